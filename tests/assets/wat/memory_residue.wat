;; Looks for bytes an earlier call left in linear memory, then leaves some for the next call:
;; a word low in memory (below the pool's keep-resident size) and one 2 MiB up (past it).
(module
 (memory (export "memory") 1)
 (data (i32.const 16) "{\"findings\":[]}")
 (data (i32.const 64) "{\"findings\":[{\"kind\":\"residue\",\"message\":\"memory written by an earlier call\",\"severity\":\"high\",\"rule_id\":\"residue\"}]}")
 (func (export "bomdrift_alloc") (param i32) (result i32) (i32.const 4096))
 (func (export "bomdrift_enrich") (param i32 i32) (result i64)
   (local $seen i32)
   (drop (memory.grow (i32.const 40)))
   (local.set $seen (i32.or (i32.load (i32.const 60000)) (i32.load (i32.const 2097252))))
   (i32.store (i32.const 60000) (i32.const 0xdeadbeef))
   (i32.store (i32.const 2097252) (i32.const 0xdeadbeef))
   (if (result i64) (local.get $seen)
     (then (i64.or (i64.shl (i64.const 64) (i64.const 32)) (i64.const 117)))
     (else (i64.or (i64.shl (i64.const 16) (i64.const 32)) (i64.const 15))))))
