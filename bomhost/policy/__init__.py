"""Sandbox policy: what an operator grants WASM plugins, and how each decision is explained."""
