;; Calls one brokered host function (bomdrift.@FUNC@) on a fixed argument and reports the outcome
;; as one finding: the message is the bytes it got back, or "E<n>" for the error code -n.
;; The test fills the @...@ placeholders (the URL carries a port chosen at test time).
(module
 (import "bomdrift" "@FUNC@" (func $get (param i32 i32 i32 i32) (result i64)))
 (memory (export "memory") 2)
 (global $heap (mut i32) (i32.const 65536))
 (func (export "bomdrift_alloc") (param $n i32) (result i32)
   (local $p i32) (local.set $p (global.get $heap))
   (global.set $heap (i32.add (global.get $heap) (local.get $n))) (local.get $p))
 ;; 85 bytes of response prefix, then the 4-byte suffix
 (data (i32.const 1024) "{\"findings\":[{\"kind\":\"result\",\"severity\":\"info\",\"rule_id\":\"policy/result\",\"message\":\"")
 (data (i32.const 1200) "\"}]}")
 (data (i32.const 2048) "@ARG@")
 (func (export "bomdrift_enrich") (param i32 i32) (result i64)
   (local $r i32) (local $n i32)
   ;; the answer lands at 8192, at most @CAP@ bytes; the response is built at 4096
   (local.set $r (i32.wrap_i64 (call $get (i32.const 2048) (i32.const @ARG_LEN@) (i32.const 8192) (i32.const @CAP@))))
   (memory.copy (i32.const 4096) (i32.const 1024) (i32.const 85))
   (if (i32.lt_s (local.get $r) (i32.const 0))
     (then
       (i32.store8 (i32.const 4181) (i32.const 69)) ;; "E"
       (i32.store8 (i32.const 4182) (i32.sub (i32.const 48) (local.get $r))) ;; "0" + n
       (local.set $n (i32.const 2)))
     (else
       (memory.copy (i32.const 4181) (i32.const 8192) (local.get $r))
       (local.set $n (local.get $r))))
   (memory.copy (i32.add (i32.const 4181) (local.get $n)) (i32.const 1200) (i32.const 4))
   (i64.or (i64.shl (i64.const 4096) (i64.const 32))
           (i64.extend_i32_u (i32.add (i32.const 89) (local.get $n))))))
