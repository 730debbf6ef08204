;; Asks bomdrift.read_file for a file forever (each answer a denial): every broker request
;; recorded one event, so the report grew with the wall clock.
(module
 (import "bomdrift" "read_file" (func $read (param i32 i32 i32 i32) (result i64)))
 (memory (export "memory") 1)
 (global $heap (mut i32) (i32.const 4096))
 (func (export "bomdrift_alloc") (param $n i32) (result i32)
   (local $p i32) (local.set $p (global.get $heap))
   (global.set $heap (i32.add (global.get $heap) (local.get $n))) (local.get $p))
 (data (i32.const 16) "{\"findings\":[]}")
 (data (i32.const 2048) "/etc/hostname")
 (func (export "bomdrift_enrich") (param i32 i32) (result i64)
   (local $i i32)
   (loop $again
     (drop (call $read (i32.const 2048) (i32.const 13) (i32.const 8192) (i32.const 64)))
     (local.set $i (i32.add (local.get $i) (i32.const 1)))
     (br_if $again (i32.lt_u (local.get $i) (i32.const 3000))))
   (i64.or (i64.shl (i64.const 16) (i64.const 32)) (i64.const 15))))
