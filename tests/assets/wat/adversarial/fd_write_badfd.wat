;; Calls WASI fd_write on a bad descriptor (9) forever: refused at once (EBADF), and still
;; charged, so the loop ends on fuel rather than on the wall clock.
(module
 (import "wasi_snapshot_preview1" "fd_write" (func $fd_write (param i32 i32 i32 i32) (result i32)))
 (memory (export "memory") 1)
 (global $heap (mut i32) (i32.const 4096))
 (func (export "bomdrift_alloc") (param $n i32) (result i32)
   (local $p i32) (local.set $p (global.get $heap))
   (global.set $heap (i32.add (global.get $heap) (local.get $n))) (local.get $p))
 (data (i32.const 16) "{\"findings\":[]}")
 (func (export "bomdrift_enrich") (param i32 i32) (result i64)
   (loop $again (drop (call $fd_write (i32.const 9) (i32.const 2100) (i32.const 0) (i32.const 2108)))
     (br $again))
   (i64.or (i64.shl (i64.const 16) (i64.const 32)) (i64.const 15))))
