"""``bomhost plugin pin`` and ``bomhost plugin inspect``, from whole processes."""

from __future__ import annotations

import hashlib
import json
import shutil
from pathlib import Path

from bomhost.plugins.manifest import load_manifest
from tests.test_cli import ROOT, bomhost, one_error_line

C_EXAMPLE = ROOT / "examples/plugins/banned-packages-c"
LOOKUP = ROOT / "tests/assets/c/lookup-plugin"
WAT = ROOT / "tests/assets/wat"


def _copy(src: Path, tmp_path: Path) -> Path:
    dst = tmp_path / src.name
    shutil.copytree(src, dst)
    return dst / "plugin.toml"


def test_pin_writes_only_the_sha256_and_the_pin_is_enforced(tmp_path: Path) -> None:
    manifest = _copy(C_EXAMPLE, tmp_path)
    before = manifest.read_text(encoding="utf-8")
    module = manifest.parent / "banned_packages_c.wasm"
    digest = hashlib.sha256(module.read_bytes()).hexdigest()
    proc = bomhost("plugin", "pin", manifest)
    assert proc.returncode == 0, proc.stderr
    assert (
        f"sha256 = {digest} (banned_packages_c.wasm, {module.stat().st_size} bytes)" in proc.stdout
    )
    after = manifest.read_text(encoding="utf-8")
    # One added line; every comment and the config table kept as written.
    assert after.replace(f'sha256 = "{digest}"\n', "") == before
    assert load_manifest(manifest).manifest.sha256 == digest
    assert "already pinned" in bomhost("plugin", "pin", manifest).stdout
    assert bomhost("plugin", "pin", "--check", manifest).returncode == 0
    # The module changes: the check fails, the diff refuses to run it, a re-pin fixes both.
    module.write_bytes(module.read_bytes() + b"\0")
    check = bomhost("plugin", "pin", "--check", manifest)
    assert check.returncode == 1
    assert "pin is not current" in check.stderr
    assert manifest.read_text(encoding="utf-8") == after  # --check writes nothing
    refused = bomhost("plugin", "check", manifest)
    assert refused.returncode == 1
    assert "manifest pins" in refused.stderr
    repin = bomhost("plugin", "pin", manifest)
    assert f"(was {digest})" in repin.stdout
    assert bomhost("plugin", "pin", "--check", manifest).returncode == 0


def test_pin_an_external_plugin_and_a_missing_module(tmp_path: Path) -> None:
    manifest = _copy(ROOT / "examples/plugins/banned-packages", tmp_path)
    assert bomhost("plugin", "pin", manifest).returncode == 0
    digest = hashlib.sha256((manifest.parent / "check-banned.py").read_bytes()).hexdigest()
    assert load_manifest(manifest).manifest.sha256 == digest
    gone = _copy(LOOKUP, tmp_path)
    (gone.parent / "lookup_plugin.wasm").unlink()
    line = one_error_line(bomhost("plugin", "pin", gone))
    assert "cannot read" in line
    assert "build it first" in line


def test_inspect_names_the_grants_a_module_needs(tmp_path: Path) -> None:
    proc = bomhost("plugin", "inspect", LOOKUP / "plugin.toml", "--output", "json")
    assert proc.returncode == 0, proc.stderr
    info = json.loads(proc.stdout)
    assert info["plugin"] == "lookup"
    assert info["size"] == (LOOKUP / "lookup_plugin.wasm").stat().st_size
    needs = {i["name"]: i["needs"] for i in info["imports"]}
    assert needs["bomdrift.log"] == "in the default policy"
    assert needs["bomdrift.http_get"] == needs["bomdrift.read_file"] == "needs a grant"
    assert any("[[plugins.lookup.net.allow]]" in g for g in info["grants"])
    assert any("[[plugins.lookup.fs.read]]" in g for g in info["grants"])
    assert {e["name"] for e in info["exports"]} >= {"memory", "bomdrift_alloc", "bomdrift_enrich"}
    assert info["abi_problems"] == []
    # The fragment it proposes is a valid policy that the plugin loads under.
    assert 'extend = ["bomdrift.http_get", "bomdrift.read_file"]' in info["policy_fragment"]
    fragment = tmp_path / "policy.toml"
    fragment.write_text(info["policy_fragment"], encoding="utf-8")
    assert bomhost("plugin", "check", LOOKUP / "plugin.toml", "--policy", fragment).returncode == 0
    assert bomhost("plugin", "check", LOOKUP / "plugin.toml").returncode == 1


def test_inspect_a_module_that_needs_nothing() -> None:
    proc = bomhost("plugin", "inspect", C_EXAMPLE / "banned_packages_c.wasm")
    assert proc.returncode == 0, proc.stderr
    assert "grants needed:\n  none: it runs under the default policy" in proc.stdout
    assert "abi: ok" in proc.stdout


def test_inspect_a_module_no_policy_can_run(tmp_path: Path) -> None:
    proc = bomhost("plugin", "inspect", WAT / "env_import.wat")
    assert proc.returncode == 1
    assert "env.system (func (i32) -> i32): cannot load: bomhost provides no such import" in (
        proc.stdout
    )
    assert "cannot run: an import no policy can grant" in proc.stderr
    junk = tmp_path / "junk.wasm"
    junk.write_bytes(b"not wasm")
    assert "is not a valid WASM module" in one_error_line(bomhost("plugin", "inspect", junk))
