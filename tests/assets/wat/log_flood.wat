;; Logs 100-byte lines 10000 times, then answers normally.
(module
 (import "bomdrift" "log" (func $log (param i32 i32 i32)))
 (memory (export "memory") 1)
 (global $heap (mut i32) (i32.const 4096))
 (func (export "bomdrift_alloc") (param $n i32) (result i32)
   (local $p i32) (local.set $p (global.get $heap))
   (global.set $heap (i32.add (global.get $heap) (local.get $n))) (local.get $p))
 (data (i32.const 16) "{\"findings\":[{\"kind\":\"echo\",\"message\":\"seen\",\"severity\":\"info\",\"rule_id\":\"echo/seen\"}]}")
 (func (export "bomdrift_enrich") (param i32 i32) (result i64) (local $i i32)
   (loop $l (call $log (i32.const 0) (i32.const 8192) (i32.const 100))
     (local.set $i (i32.add (local.get $i) (i32.const 1)))
     (br_if $l (i32.lt_u (local.get $i) (i32.const 10000))))
   (i64.or (i64.shl (i64.const 16) (i64.const 32)) (i64.const 87))))
