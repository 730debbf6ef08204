;; Declares a 2-page maximum, far under any budget, and grows past it: the refusal is the
;; module's own limit, not bomhost's memory budget, and the outcome must say so.
(module
 (memory (export "memory") 1 2)
 (global $heap (mut i32) (i32.const 4096))
 (func (export "bomdrift_alloc") (param $n i32) (result i32)
   (local $p i32) (local.set $p (global.get $heap))
   (global.set $heap (i32.add (global.get $heap) (local.get $n))) (local.get $p))
 (func (export "bomdrift_enrich") (param i32 i32) (result i64)
   (drop (memory.grow (i32.const 1)))
   (drop (memory.grow (i32.const 1)))
   (i64.const 0)))
