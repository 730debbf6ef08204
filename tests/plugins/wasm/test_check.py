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


def test_check_lists_the_net_and_file_grants_without_secrets(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """Rules for this plugin ([plugins.NAME]) first, then top-level ones; header names only."""
    monkeypatch.setenv("BOMHOST_CHECK_TOKEN", "tok-VALUE-never-shown")
    monkeypatch.delenv("BOMHOST_CHECK_UNSET", raising=False)
    m = wat(tmp_path, "wasi_path_open")
    (tmp_path / "list.txt").write_text("x\n", encoding="utf-8")
    policy = tmp_path / "p.toml"
    policy.write_text(
        """
[imports]
allow = ["wasi_snapshot_preview1.path_open"]
[[net.allow]]
id = "everyone"
scheme = "https"
host = "*.example.org"
port = 443
[[plugins.wasi_path_open.net.allow]]
id = "osv"
scheme = "https"
host = "api.osv.dev"
port = 443
methods = ["GET", "POST"]
cache_ttl_s = 600
max_requests = 5
headers = { Authorization = "Bearer ${env:BOMHOST_CHECK_TOKEN}", X-Other = "${env:BOMHOST_CHECK_UNSET}" }
on_missing_env = "drop"
[[plugins.wasi_path_open.fs.read]]
id = "list"
path = "list.txt"
max_bytes_per_run = 1000
""",
        encoding="utf-8",
    )
    assert cli(["plugin", "check", str(m.path), "--policy", str(policy)]) == 0
    out, err = capsys.readouterr()
    assert (
        "  net osv: GET/POST https://api.osv.dev:443, cached 600 s, timeout 1000 ms,"
        " max 5 requests\n    injects headers: authorization (values hidden)\n"
        "    drops headers (variable not set): x-other\n"
        "  net everyone: GET https://*.example.org:443, not cached, timeout 1000 ms\n"
        "  read list: list.txt (per run 1000 bytes)\n"
    ) in out
    assert cli(["plugin", "check", str(m.path), "--policy", str(policy), "--output", "json"]) == 0
    text = capsys.readouterr().out
    result = json.loads(text)
    assert [
        (n["id"], n["methods"], n["cache_ttl_s"], n["injected_headers"]) for n in result["net"]
    ] == [
        ("osv", ["GET", "POST"], 600, ["authorization"]),
        ("everyone", ["GET"], 0, []),
    ]
    assert result["files"] == [
        {
            "id": "list",
            "path": "list.txt",
            "max_bytes_per_invocation": None,
            "max_bytes_per_run": 1000,
        }
    ]
    assert "tok-VALUE-never-shown" not in out + err + text
