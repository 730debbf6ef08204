"""The runtime contract (tests/plugins/contract.py) run against a C plugin built with the C SDK.

The plugin is tests/assets/c/contract-plugin, the C twin of the Rust contract plugin, built with
Debian's clang and wasi-libc (committed .wasm; scripts/build-plugins.sh rebuilds it and
test_rust_example checks it is current). Passing the same suite as the Rust module is what
shows the C SDK implements the ABI: exports, request parsing, response encoding and batch items.
"""

from __future__ import annotations

from pathlib import Path

from bomhost.plugins.manifest import LoadedManifest
from tests.plugins.contract import BatchContract
from tests.plugins.util import manifest
from tests.plugins.wasm import test_contract_wasm as rust
from tests.plugins.wasm.helpers import ROOT

C_CONTRACT_WASM = ROOT / "tests/assets/c/contract-plugin/contract_plugin_c.wasm"


class TestCWasmContract(rust.TestWasmRuntimeContract):
    """The WASM runtime's contract cases, same budgets, on the C module."""

    def plugin(self, tmp_path: Path, timeout_ms: int) -> LoadedManifest:
        return manifest(tmp_path, C_CONTRACT_WASM, name="contract-c", timeout_ms=timeout_ms)


class TestCWasmBatchContract(BatchContract, TestCWasmContract):
    """Every contract case through the batch protocol: the SDK answers item by item."""
