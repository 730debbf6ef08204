;; Declares 1,100 pages (68.75 MiB) of memory at start: more than the default 64 MiB budget.
(module
 (memory (export "memory") 1100)
 (data (i32.const 16) "{\22findings\22:[]}")
 (func (export "bomdrift_alloc") (param i32) (result i32) (i32.const 4096))
 (func (export "bomdrift_enrich") (param i32 i32) (result i64)
   (i64.or (i64.shl (i64.const 16) (i64.const 32)) (i64.const 15))))
