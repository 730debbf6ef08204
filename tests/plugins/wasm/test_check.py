"""``bomhost plugin check``: the same verdict as a run, without a diff."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from bomhost.cli import run as cli
from bomhost.plugins.check import check_plugin
from bomhost.policy.model import Policy
from tests.plugins.wasm.helpers import ROOT, wat


def test_refused_import_is_reported_like_a_run(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    m = wat(tmp_path, "wasi_path_open")
    assert cli(["plugin", "check", str(m.path)]) == 1
    out, err = capsys.readouterr()
    line = (
        "plugin 'wasi_path_open': import wasi_snapshot_preview1.path_open is not allowed by the"
        " policy (built-in default policy); the plugin was not run"
    )
    assert err.strip() == f"bomhost: error: {line}"
    assert (
        "import wasi_snapshot_preview1.path_open (func): REFUSED: is not allowed by the policy"
        in out
    )


def test_policy_file_grants_the_import(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    m = wat(tmp_path, "wasi_path_open")
    policy = tmp_path / "p.toml"
    policy.write_text('[imports]\nallow = ["wasi_snapshot_preview1.path_open"]\n', encoding="utf-8")
    assert cli(["plugin", "check", str(m.path), "--policy", str(policy), "--output", "json"]) == 0
    result = json.loads(capsys.readouterr().out)
    assert result["ok"] is True
    assert result["imports"] == [
        {
            "name": "wasi_snapshot_preview1.path_open",
            "kind": "func",
            "allowed": True,
            "reason": None,
        }
    ]


def test_project_config_policy_is_used_as_a_run_would(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    m = wat(tmp_path, "wasi_path_open")
    project = tmp_path / "project"
    (project / ".git").mkdir(parents=True)
    (project / "p.toml").write_text(
        '[imports]\nallow = ["wasi_snapshot_preview1.path_open"]\n', encoding="utf-8"
    )
    (project / ".bomhost.toml").write_text('policy = "p.toml"\n', encoding="utf-8")
    monkeypatch.chdir(project)
    assert cli(["plugin", "check", str(m.path)]) == 0
    assert "ok: the plugin would run" in capsys.readouterr().out


def test_example_plugin_checks_ok() -> None:
    result = check_plugin(ROOT / "examples/plugins/banned-packages-wasm/plugin.toml", Policy())
    assert result.ok
    assert result.runtime == "wasm"
    assert {i.name for i in result.imports} <= set(Policy().imports.allow)
    assert result.sha256 is not None
    assert len(result.sha256) == 64


def test_trapping_initialize_is_not_a_load_error(tmp_path: Path) -> None:
    # It fails on every call (trap), which a check cannot know without running it.
    assert check_plugin(wat(tmp_path, "init_trap").path, Policy()).ok


def test_diff_cli_with_a_hostile_and_a_good_plugin(tmp_path: Path) -> None:
    sboms = ROOT / "tests" / "assets" / "sboms"
    old = sboms / "cdx12-proton-bridge-v1.6.3.bom.json"
    new = sboms / "cdx12-proton-bridge-v1.8.0.bom.json"
    policy = tmp_path / "p.toml"
    policy.write_text("[budgets]\nfuel = 1000000\n", encoding="utf-8")
    report = tmp_path / "r.json"
    hostile, good = wat(tmp_path, "fuel_burner"), wat(tmp_path, "good")
    args = ["diff", str(old), str(new), "--plugin", str(hostile.path), "--plugin", str(good.path)]
    args += ["--policy", str(policy), "--output", "json", "--output-file", str(report)]
    assert cli(args) == 0  # a hostile plugin never changes the exit code by itself
    data = json.loads(report.read_text(encoding="utf-8"))
    errors = data["enrichment"]["plugin_errors"]
    findings = data["enrichment"]["plugin_findings"]
    assert errors
    assert {e["error_kind"] for e in errors} == {"out_of_fuel"}
    assert [f["component_purl"] for f in findings] == [e["component_purl"] for e in errors]
    events = data["sandbox"]["events"]
    assert {(e["rule_id"], e["reason_code"]) for e in events} == {
        ("budgets.fuel", "fuel_exhausted")
    }
    fuel_max = data["sandbox"]["stats"]["fuel_burner"]["fuel"]["max"]
    assert fuel_max == 1000000
    assert isinstance(fuel_max, int)  # a count reads as 1000000, not 1000000.0
