;; Uses a WebAssembly proposal the sandbox does not enable (two_memories): refused when compiled.
(module
 (memory (export "memory") 1) (memory (export "second") 1)
 (global $heap (mut i32) (i32.const 4096))
 (func (export "bomdrift_alloc") (param $n i32) (result i32)
   (local $p i32) (local.set $p (global.get $heap))
   (global.set $heap (i32.add (global.get $heap) (local.get $n))) (local.get $p))
 (data (i32.const 16) "{\"findings\":[]}")
 (func (export "bomdrift_enrich") (param i32 i32) (result i64) (i64.or (i64.shl (i64.const 16) (i64.const 32)) (i64.const 15))))
