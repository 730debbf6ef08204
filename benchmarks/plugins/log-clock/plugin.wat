;; Benchmark plugin: per invocation one log line and one clock read (two host calls), no findings.
(module
 (import "bomdrift" "log" (func $log (param i32 i32 i32)))
 (import "bomdrift" "now_ms" (func $now (result i64)))
 (memory (export "memory") 1)
 (data (i32.const 16) "{\22findings\22:[]}")
 (data (i32.const 2048) "checked")
 (func (export "bomdrift_alloc") (param i32) (result i32) (i32.const 4096))
 (func (export "bomdrift_enrich") (param i32 i32) (result i64)
   (call $log (i32.const 1) (i32.const 2048) (i32.const 7))
   (drop (call $now))
   (i64.or (i64.shl (i64.const 16) (i64.const 32)) (i64.const 15))))
