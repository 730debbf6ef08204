"""The WASM sandbox runtime (the security boundary): small enough to read in one sitting."""
