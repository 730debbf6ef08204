"""The runtime contract (tests/plugins/contract.py) run against the WASM runtime.

The plugin is tests/assets/rust/contract-plugin, built with the plugin SDK like the examples
(committed .wasm; scripts/build-plugins.sh rebuilds it, test_rust_example checks it is current).
"""

from __future__ import annotations

from pathlib import Path
from typing import ClassVar

from bomhost.model import ErrorKind
from bomhost.plugins.manifest import LoadedManifest
from bomhost.policy.model import Budgets, Policy
from tests.plugins.contract import RuntimeContract
from tests.plugins.util import manifest
from tests.plugins.wasm.helpers import ROOT

CONTRACT_WASM = ROOT / "tests/assets/rust/contract-plugin/contract_plugin.wasm"


class TestWasmRuntimeContract(RuntimeContract):
    crash_kind: ClassVar[ErrorKind] = "trap"
    flood_kind: ClassVar[ErrorKind] = "output_too_large"

    def plugin(self, tmp_path: Path, timeout_ms: int) -> LoadedManifest:
        return manifest(tmp_path, CONTRACT_WASM, name="contract", timeout_ms=timeout_ms)

    def policy(self) -> Policy:
        # The wall clock comes from the manifest (it may only lower the policy's); fuel is
        # ample so the "sleep" busy loop meets the wall clock, not the fuel budget, even on a
        # fast machine; the 8 MiB flood is far above max_output_bytes and fits in memory.
        return Policy(
            budgets=Budgets(
                fuel=10**13,
                timeout_ms=self.timeout_ms,
                memory_bytes=64 * 1024 * 1024,
                max_output_bytes=1024 * 1024,
            )
        )
