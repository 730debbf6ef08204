;; Calls bomdrift.now_ms forever, with ~100k instructions of its own between calls (so a
;; signal arrives while the guest runs and is handled as the next host call starts): only a
;; budget, or an interrupt, stops it.
(module
 (import "bomdrift" "now_ms" (func $now (result i64)))
 (memory (export "memory") 1)
 (func (export "bomdrift_alloc") (param i32) (result i32) (i32.const 4096))
 (func (export "bomdrift_enrich") (param i32 i32) (result i64)
   (local $i i32)
   (loop $outer
     (local.set $i (i32.const 100000))
     (loop $spin
       (local.set $i (i32.sub (local.get $i) (i32.const 1)))
       (br_if $spin (local.get $i)))
     (drop (call $now))
     (br $outer))
   (i64.const 0)))
