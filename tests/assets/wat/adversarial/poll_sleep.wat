;; Sleeps 5 s in WASI poll_oneoff (one relative clock subscription), a host call no epoch can stop.
(module
 (import "wasi_snapshot_preview1" "poll_oneoff" (func $poll (param i32 i32 i32 i32) (result i32)))
 (memory (export "memory") 1)
 (global $heap (mut i32) (i32.const 4096))
 (func (export "bomdrift_alloc") (param $n i32) (result i32)
   (local $p i32) (local.set $p (global.get $heap))
   (global.set $heap (i32.add (global.get $heap) (local.get $n))) (local.get $p))
 (data (i32.const 16) "{\"findings\":[]}")
 (func (export "bomdrift_enrich") (param i32 i32) (result i64)
   (i32.store8 (i32.const 264) (i32.const 0))          ;; tag: clock
   (i32.store (i32.const 272) (i32.const 1))           ;; clock id: monotonic
   (i64.store (i32.const 280) (i64.const 5000000000))  ;; timeout: 5 s
   (drop (call $poll (i32.const 256) (i32.const 512) (i32.const 1) (i32.const 600)))
   (i64.or (i64.shl (i64.const 16) (i64.const 32)) (i64.const 15))))
