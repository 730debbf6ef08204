"""Tests of the WASM sandbox runtime."""
