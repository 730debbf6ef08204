;; bomdrift_alloc answers a pointer 16 bytes below 4 GiB: ptr + len wraps in 32-bit arithmetic.
(module
 (memory (export "memory") 1)
 (data (i32.const 16) "{\"findings\":[]}")
 (func (export "bomdrift_alloc") (param i32) (result i32) (i32.const -16))
 (func (export "bomdrift_enrich") (param i32 i32) (result i64) (i64.or (i64.shl (i64.const 16) (i64.const 32)) (i64.const 15))))
