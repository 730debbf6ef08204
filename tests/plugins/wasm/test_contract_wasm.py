"""The runtime contract (tests/plugins/contract.py) run against the WASM runtime.

The plugin is tests/assets/rust/contract-plugin, built with the plugin SDK like the examples
(committed .wasm; scripts/build-plugins.sh rebuilds it, test_rust_example checks it is current).
"""

from __future__ import annotations

from pathlib import Path
from typing import ClassVar

from bomhost.model import ErrorKind
from bomhost.plugins.manifest import LoadedManifest
from bomhost.policy.model import DEFAULT_IMPORTS, Budgets, Imports, NetAllowRule, NetTable, Policy
from tests.plugins.contract import BatchContract, HttpRequestContract, RuntimeContract
from tests.plugins.util import manifest
from tests.plugins.wasm.helpers import ROOT

CONTRACT_WASM = ROOT / "tests/assets/rust/contract-plugin/contract_plugin.wasm"
# The plugin calls bomdrift.http_request (for "post"), so every policy it runs under allows it.
IMPORTS = Imports(allow=(*DEFAULT_IMPORTS, "bomdrift.http_request"))


class TestWasmRuntimeContract(HttpRequestContract, RuntimeContract):
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
            ),
            imports=IMPORTS,
        )

    def http_policy(self, rule: NetAllowRule) -> Policy:
        return self.policy().model_copy(update={"net": NetTable(allow=(rule,))})


class TestWasmBatchContract(BatchContract, TestWasmRuntimeContract):
    """Every contract case through the batch protocol, one fresh instance per chunk."""


def test_batch_budgets_scale_with_the_chunk(tmp_path: Path) -> None:
    """Fuel that one component needs, with nothing to spare, is enough for a chunk of 50: the
    budget of a batch call is n times the per-component one (protocol/README.md section 8)."""
    from bomhost.plugins.runner import run_plugins
    from tests.plugins.contract import added, batched, ctx

    p = manifest(tmp_path, CONTRACT_WASM, name="contract")
    one = run_plugins([p], added("finding-3"), ctx(policy=Policy(imports=IMPORTS)), jobs=1)
    fuel = one.stats["contract"].fuel
    assert fuel is not None
    assert not one.errors
    # 20% headroom for one component; 50 components share one call.
    policy = Policy(budgets=Budgets(fuel=int(fuel.max * 1.2)), imports=IMPORTS)
    names = [f"finding-{n % 4}" for n in range(50)]
    changes = added(*names)
    changes = changes.model_copy(
        update={
            "added": tuple(
                c.model_copy(update={"version": f"{i}.0.0", "purl": f"pkg:npm/{c.name}@{i}.0.0"})
                for i, c in enumerate(changes.added)
            )
        }
    )
    out = run_plugins([batched(p, 50)], changes, ctx(policy=policy), jobs=1)
    assert out.errors == ()
    assert out.stats["contract"].count == 1
    assert len(out.findings) == sum(n % 4 for n in range(50))
    # Without the scaling the same chunk runs out of fuel.
    unscaled = out.stats["contract"].fuel
    assert unscaled is not None
    assert unscaled.max > int(fuel.max * 1.2)
