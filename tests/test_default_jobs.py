"""The default ``--jobs``: threads only where they help (docs/benchmarks.md, "WASM plugins")."""

from __future__ import annotations

import os
from pathlib import Path

from bomhost.engine import default_jobs
from bomhost.plugins.manifest import load_manifest
from bomhost.policy.load import load_policy

ROOT = Path(__file__).resolve().parent.parent
WASM = load_manifest(str(ROOT / "examples/plugins/banned-packages-wasm/plugin.toml"))
EXTERNAL = load_manifest(str(ROOT / "examples/plugins/banned-packages/plugin.toml"))
CPUS = os.cpu_count() or 1


def test_wasm_without_network_runs_on_one_thread() -> None:
    assert default_jobs([WASM], load_policy(None)) == 1


def test_an_external_plugin_gets_every_cpu() -> None:
    assert default_jobs([WASM, EXTERNAL], load_policy(None)) == CPUS


def test_wasm_with_network_access_gets_every_cpu(tmp_path: Path) -> None:
    policy = tmp_path / "policy.toml"
    policy.write_text(
        '[[net.allow]]\nid = "osv"\nscheme = "https"\nhost = "api.osv.dev"\nport = 443\n',
        encoding="utf-8",
    )
    assert default_jobs([WASM], load_policy(str(policy))) == CPUS
