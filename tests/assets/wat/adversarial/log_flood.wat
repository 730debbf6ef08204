;; Calls bomdrift.log with an empty message forever: each call cost nothing against the log
;; budget, so only the wall clock stopped it (42,498 lines, 6.7 MB report for two calls).
(module
 (import "bomdrift" "log" (func $log (param i32 i32 i32)))
 (memory (export "memory") 1)
 (global $heap (mut i32) (i32.const 4096))
 (func (export "bomdrift_alloc") (param $n i32) (result i32)
   (local $p i32) (local.set $p (global.get $heap))
   (global.set $heap (i32.add (global.get $heap) (local.get $n))) (local.get $p))
 (data (i32.const 16) "{\"findings\":[]}")
 (func (export "bomdrift_enrich") (param i32 i32) (result i64)
   (loop $again (call $log (i32.const 1) (i32.const 0) (i32.const 0)) (br $again))
   (i64.or (i64.shl (i64.const 16) (i64.const 32)) (i64.const 15))))
