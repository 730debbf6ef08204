;; Reports 8 bytes of WASI random_get, in hex, as its finding's message (traps if the call fails).
(module
 (import "wasi_snapshot_preview1" "random_get" (func $random (param i32 i32) (result i32)))
 (memory (export "memory") 1)
 (global $heap (mut i32) (i32.const 4096))
 (func (export "bomdrift_alloc") (param $n i32) (result i32)
   (local $p i32) (local.set $p (global.get $heap))
   (global.set $heap (i32.add (global.get $heap) (local.get $n))) (local.get $p))
 (data (i32.const 0) "0123456789abcdef")
 ;; the 16 X (at 1024 + 78) are replaced by the hex digits; 98 bytes in all
 (data (i32.const 1024) "{\"findings\":[{\"kind\":\"random\",\"severity\":\"info\",\"rule_id\":\"random\",\"message\":\"XXXXXXXXXXXXXXXX\"}]}")
 (func (export "bomdrift_enrich") (param i32 i32) (result i64)
   (local $i i32) (local $b i32)
   (if (call $random (i32.const 512) (i32.const 8)) (then unreachable))
   (loop $next
     (local.set $b (i32.load8_u (i32.add (i32.const 512) (local.get $i))))
     (i32.store8 (i32.add (i32.const 1102) (i32.shl (local.get $i) (i32.const 1)))
       (i32.load8_u (i32.shr_u (local.get $b) (i32.const 4))))
     (i32.store8 (i32.add (i32.const 1103) (i32.shl (local.get $i) (i32.const 1)))
       (i32.load8_u (i32.and (local.get $b) (i32.const 15))))
     (local.set $i (i32.add (local.get $i) (i32.const 1)))
     (br_if $next (i32.lt_u (local.get $i) (i32.const 8))))
   (i64.or (i64.shl (i64.const 1024) (i64.const 32)) (i64.const 98))))
