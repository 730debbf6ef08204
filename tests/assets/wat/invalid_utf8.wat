;; Returns bytes that are not UTF-8.
(module
 (memory (export "memory") 1)
 (global $heap (mut i32) (i32.const 4096))
 (func (export "bomdrift_alloc") (param $n i32) (result i32)
   (local $p i32) (local.set $p (global.get $heap))
   (global.set $heap (i32.add (global.get $heap) (local.get $n))) (local.get $p))
 (data (i32.const 16) "{\"findings\":[{\"kind\":\"echo\",\"message\":\"seen\",\"severity\":\"info\",\"rule_id\":\"echo/seen\"}]}")
 (data (i32.const 3000) "\ff\fe\fd")
 (func (export "bomdrift_enrich") (param i32 i32) (result i64)
   (i64.or (i64.shl (i64.const 3000) (i64.const 32)) (i64.const 3))))
