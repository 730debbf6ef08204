;; Asks WASI random_get for 256 MiB into a 64 KiB memory: the host must refuse before making them.
(module
 (import "wasi_snapshot_preview1" "random_get" (func $random (param i32 i32) (result i32)))
 (memory (export "memory") 1)
 (global $heap (mut i32) (i32.const 4096))
 (func (export "bomdrift_alloc") (param $n i32) (result i32)
   (local $p i32) (local.set $p (global.get $heap))
   (global.set $heap (i32.add (global.get $heap) (local.get $n))) (local.get $p))
 (data (i32.const 16) "{\"findings\":[]}")
 (func (export "bomdrift_enrich") (param i32 i32) (result i64)
   (drop (call $random (i32.const 0) (i32.const 0x10000000)))
   (i64.or (i64.shl (i64.const 16) (i64.const 32)) (i64.const 15))))
