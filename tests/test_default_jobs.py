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


def _persistent(tmp_path: Path, name: str) -> Path:
    path = tmp_path / f"{name}.toml"
    path.write_text(
        f'[plugin]\nname = "{name}"\nexec = "{EXTERNAL.exec_path}"\nprotocol_version = 2\n'
        'mode = "persistent"\n',
        encoding="utf-8",
    )
    return path


def test_one_persistent_plugin_runs_on_one_thread(tmp_path: Path) -> None:
    # Its calls are answered one at a time: a second thread only waits for the lock.
    one = load_manifest(str(_persistent(tmp_path, "p1")))
    assert one.manifest.mode == "persistent"
    assert default_jobs([one], load_policy(None)) == 1
    assert default_jobs([one, WASM], load_policy(None)) == 1
    two = load_manifest(str(_persistent(tmp_path, "p2")))
    assert default_jobs([one, two], load_policy(None)) == CPUS  # they overlap each other
    assert default_jobs([one, EXTERNAL], load_policy(None)) == CPUS
