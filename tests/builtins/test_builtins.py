"""First-party plugins (bomhost/builtins/): addressed as builtin:NAME, run like any plugin."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import pytest

from bomhost import builtins
from bomhost.plugins.manifest import load_manifest
from bomhost.policy.model import PluginBudgets, PluginPolicy, Policy
from tests.test_cli import ROOT, bomhost, one_error_line

KNOWN = ROOT / "bomhost" / "builtins" / "known-malicious"


def _sbom(path: Path, *purls: str) -> Path:
    comps = []
    for purl in purls:
        name, version = purl.split("/", 1)[1].split("@")
        comps.append({"type": "library", "name": name, "version": version, "purl": purl})
    doc = {"bomFormat": "CycloneDX", "specVersion": "1.5", "version": 1, "components": comps}
    path.write_text(json.dumps(doc), encoding="utf-8")
    return path


def test_a_builtin_runs_in_the_sandbox_from_a_whole_process(tmp_path: Path) -> None:
    old = _sbom(tmp_path / "old.json", "pkg:npm/event-stream@3.3.5", "pkg:npm/lodash@4.17.21")
    new = _sbom(tmp_path / "new.json", "pkg:npm/event-stream@3.3.6", "pkg:npm/lodash@4.17.21")
    proc = bomhost(
        "diff", old, new, "--plugin", "builtin:known-malicious", "--output", "json", cwd=tmp_path
    )
    assert proc.returncode == 0, proc.stderr
    report = json.loads(proc.stdout)
    findings = report["enrichment"]["plugin_findings"]
    assert [(f["plugin_name"], f["component_purl"]) for f in findings] == [
        ("known-malicious", "pkg:npm/event-stream@3.3.6")
    ]
    # It went through the WASM runtime: the report has its sandbox stats.
    assert report["sandbox"]["stats"]["known-malicious"]["fuel"] is not None


def test_an_unknown_builtin_is_one_line(tmp_path: Path) -> None:
    old = _sbom(tmp_path / "old.json", "pkg:npm/a@1")
    line = one_error_line(bomhost("diff", old, old, "--plugin", "builtin:nope", cwd=tmp_path))
    assert "builtin:nope: no such first-party plugin (known: known-malicious" in line


def test_the_fragment_is_scoped_to_its_plugin_and_the_operator_wins() -> None:
    plugin = load_manifest(builtins.resolve("builtin:known-malicious"))
    merged = builtins.with_fragments(Policy(), [plugin])
    assert merged.for_plugin("known-malicious").budgets.timeout_ms == 1000
    assert merged.for_plugin("someone-else") == Policy().for_plugin("someone-else")
    mine = Policy(plugins={"known-malicious": PluginPolicy(budgets=PluginBudgets(fuel=5))})
    kept = builtins.with_fragments(mine, [plugin])
    assert kept.for_plugin("known-malicious").budgets.fuel == 5


def test_the_module_is_the_built_example_and_matches_its_pin() -> None:
    """The committed example .wasm is checked against a fresh build by test_rust_example."""
    built = ROOT / "examples/plugins/banned-packages-wasm/banned_packages_wasm.wasm"
    module = (KNOWN / "known_malicious.wasm").read_bytes()
    assert module == built.read_bytes()
    pin = load_manifest(KNOWN / "plugin.toml").manifest.sha256
    assert pin == hashlib.sha256(module).hexdigest()


def test_plugin_list_shows_version_sha256_and_grants() -> None:
    proc = bomhost("plugin", "list", "--output", "json")
    assert proc.returncode == 0, proc.stderr
    rows = json.loads(proc.stdout)
    digest = hashlib.sha256((KNOWN / "known_malicious.wasm").read_bytes()).hexdigest()
    known = next(r for r in rows if r["name"] == "known-malicious")
    assert (known["sha256"], known["runtime"]) == (digest, "wasm")
    assert [r["name"] for r in rows] == sorted(r["name"] for r in rows)
    assert "budget timeout_ms = 1000" in known["grants"]
    osv = next(r for r in rows if r["name"] == "osv")
    digest_osv = hashlib.sha256((ROOT / "bomhost/builtins/osv/osv.wasm").read_bytes()).hexdigest()
    assert (osv["sha256"], osv["runtime"]) == (digest_osv, "wasm")
    # the OSV plugin reaches the OSV API, FIRST.org's EPSS API and CISA's KEV feed, nothing else
    assert [g for g in osv["grants"] if g.startswith(("POST", "GET", "read"))] == [
        "POST/GET https://api.osv.dev:443 (cached 86400 s)",
        "GET https://api.first.org:443 (cached 86400 s)",
        "GET https://www.cisa.gov:443 (cached 86400 s)",
    ]
    text = bomhost("plugin", "list").stdout
    assert f"builtin:known-malicious  {known['version']}  sha256 {digest}" in text


@pytest.mark.parametrize("name", builtins.names())
def test_each_builtin_passes_its_own_cases(name: str, tmp_path: Path) -> None:
    """Every first-party plugin ships cases beside its manifest and passes them in the sandbox."""
    assert (ROOT / "bomhost/builtins" / name / "cases").is_dir(), f"builtin:{name} has no cases/"
    junit = tmp_path / "junit.xml"
    proc = bomhost("plugin", "test", f"builtin:{name}", "--junit", junit)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert ", 0 failed" in proc.stdout
    assert "testcase" in junit.read_text(encoding="utf-8")


def test_known_malicious_cases_cover_flags_and_non_flags() -> None:
    proc = bomhost("plugin", "test", "builtin:known-malicious")
    assert proc.returncode == 0, proc.stdout
    assert "8 cases: 8 passed, 0 failed" in proc.stdout
    assert "PASS  a similar name is not a match (rc@1.2.8 is not rc@1.2.9)" in proc.stdout


def test_a_narrow_operator_policy_still_runs_the_default_signals(tmp_path: Path) -> None:
    # Each shipped fragment names every import its module has: an operator who allows only
    # what their own plugin needs does not break the first-party signals (nor widen them).
    policy = tmp_path / "policy.toml"
    policy.write_text('[imports]\nallow = ["bomdrift.http_request"]\n', encoding="utf-8")
    old = tmp_path / "old.json"
    new = tmp_path / "new.json"
    old.write_text('{"bomFormat":"CycloneDX","specVersion":"1.5","components":[]}')
    new.write_text(
        '{"bomFormat":"CycloneDX","specVersion":"1.5","components":[{"type":"library",'
        '"name":"crossenv","version":"1.0.0","purl":"pkg:npm/crossenv@1.0.0"}]}'
    )
    proc = bomhost("diff", old, new, "--policy", policy, "--offline", "--output", "json")
    assert proc.returncode == 0, proc.stderr
    report = json.loads(proc.stdout)
    assert [t["closest"] for t in report["enrichment"]["typosquats"]] == ["cross-env"]
