"""bomhost: SBOM diff for CI with bomdrift-compatible and sandboxed WebAssembly plugins."""

__version__ = "0.1.0"
