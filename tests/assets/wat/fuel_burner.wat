;; Counts to 2^62: finite, but far beyond any fuel budget.
(module
 (memory (export "memory") 1)
 (global $heap (mut i32) (i32.const 4096))
 (func (export "bomdrift_alloc") (param $n i32) (result i32)
   (local $p i32) (local.set $p (global.get $heap))
   (global.set $heap (i32.add (global.get $heap) (local.get $n))) (local.get $p))
 (data (i32.const 16) "{\"findings\":[{\"kind\":\"echo\",\"message\":\"seen\",\"severity\":\"info\",\"rule_id\":\"echo/seen\"}]}")
 (func (export "bomdrift_enrich") (param i32 i32) (result i64) (local $i i64)
   (loop $l (local.set $i (i64.add (local.get $i) (i64.const 1)))
     (br_if $l (i64.lt_u (local.get $i) (i64.const 0x4000000000000000))))
   (i64.or (i64.shl (i64.const 16) (i64.const 32)) (i64.const 87))))
