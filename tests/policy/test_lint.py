"""``bomhost policy lint``: errors exit 1, warnings exit 0 unless --strict, every problem listed."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from bomhost.cli import run
from bomhost.policy.lint import lint_policy
from bomhost.policy.presets import PRESETS

ROOT = Path(__file__).resolve().parents[2]
GRANTS = '[imports]\nallow = ["bomdrift.log", "bomdrift.read_file", "bomdrift.http_get"]\n'
QUOTAS_FS = "max_bytes_per_invocation = 1000\nmax_bytes_per_run = 10000\n"
QUOTAS_NET = "max_requests = 5\nmax_response_bytes = 1000\nmax_egress_bytes = 1000\n"


def _lint(tmp_path: Path, text: str) -> list[tuple[str, str, str]]:
    p = tmp_path / "policy.toml"
    p.write_text(text, encoding="utf-8")
    return [(d.severity, d.code, d.where) for d in lint_policy(p).diagnostics]


def test_clean_policy_has_no_diagnostics(tmp_path: Path) -> None:
    (tmp_path / "data").mkdir()
    text = (
        GRANTS
        + f"[[fs.read]]\nid='data'\npath='data'\n{QUOTAS_FS}"
        + f"[[net.allow]]\nid='n'\nscheme='http'\nhost='127.0.0.1'\nport=8080\n{QUOTAS_NET}"
    )
    assert _lint(tmp_path, text) == []


def test_all_schema_errors_are_listed_not_just_the_first(tmp_path: Path) -> None:
    got = _lint(
        tmp_path,
        "[budgets]\nfuel = 0\nwhatever = 1\n[[net.allow]]\nid='n'\nscheme='ftp'\nhost='h'\n",
    )
    assert got == [
        ("error", "bad_value", "budgets.fuel"),
        ("error", "unknown_key", "budgets.whatever"),
        ("error", "bad_value", "net.allow[0].scheme"),
        ("error", "missing_key", "net.allow[0].port"),
    ]


def test_rule_without_its_import_is_unreachable(tmp_path: Path) -> None:
    text = f"[[fs.read]]\nid='d'\npath='.'\n{QUOTAS_FS}"
    assert ("error", "unreachable_rule", "fs.read[0]") in _lint(tmp_path, text)
    # A plugin table that inherits and may import read_file makes the top-level rule reachable.
    text += "[plugins.p.imports]\nextend = ['bomdrift.read_file']\n"
    assert ("error", "unreachable_rule", "fs.read[0]") not in _lint(tmp_path, text)


def test_risky_rules_warn(tmp_path: Path) -> None:
    got = _lint(
        tmp_path,
        GRANTS
        + "[[fs.read]]\nid='root'\npath='/'\n"
        + f"[[fs.read]]\nid='etc'\npath='/etc'\n{QUOTAS_FS}"
        + "[[net.allow]]\nid='any'\nscheme='http'\nhost='*'\nport=80\nmax_requests=1000000\n"
        + f"[[net.allow]]\nid='one'\nscheme='http'\nhost='a.example'\nport=80\n{QUOTAS_NET}"
        + f"[[net.allow]]\nid='tls'\nscheme='https'\nhost='a.example'\nport=443\n{QUOTAS_NET}",
    )
    assert got == [
        ("warning", "broad_folder", "fs.read[0]"),
        ("warning", "quota_missing", "fs.read[0]"),
        ("warning", "shadowed_rule", "fs.read[1]"),
        ("warning", "host_any", "net.allow[0]"),
        ("warning", "quota_missing", "net.allow[0]"),
        ("warning", "quota_huge", "net.allow[0]"),
        ("warning", "shadowed_rule", "net.allow[1]"),
    ]


def test_wildcard_shadowing_is_exact(tmp_path: Path) -> None:
    rule = "[[net.allow]]\nid='{}'\nscheme='http'\nhost='{}'\nport=80\n" + QUOTAS_NET
    text = GRANTS + rule.format("w", "*.example.com") + rule.format("apex", "example.com")
    text += rule.format("sub", "a.example.com")
    assert _lint(tmp_path, text) == [("warning", "shadowed_rule", "net.allow[2]")]


def test_home_folder_rule_warns(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    home = tmp_path / "home"
    home.mkdir()
    monkeypatch.setenv("HOME", str(home))
    got = _lint(tmp_path, GRANTS + f"[[fs.read]]\nid='h'\npath='~'\n{QUOTAS_FS}")
    assert got == [("warning", "broad_folder", "fs.read[0]")]


@pytest.mark.parametrize("name", PRESETS)
def test_presets_lint_without_errors(name: str) -> None:
    result = lint_policy(ROOT / "policies" / f"{name}.toml")
    assert result.errors == 0
    # The one expected warning: balanced names a data folder the user creates.
    assert [d.code for d in result.diagnostics] == (["path_missing"] if name == "balanced" else [])


def test_cli_exit_codes_and_json(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    warn = tmp_path / "warn.toml"
    warn.write_text(GRANTS + "[[net.allow]]\nid='any'\nscheme='http'\nhost='*'\nport=80\n")
    bad = tmp_path / "bad.toml"
    bad.write_text("[budgets]\nfule = 1\n")
    assert run(["policy", "lint", str(warn)]) == 0
    assert run(["policy", "lint", str(warn), "--strict"]) == 1
    capsys.readouterr()
    assert run(["policy", "lint", str(bad), "--output", "json"]) == 1
    doc = json.loads(capsys.readouterr().out)
    assert doc["errors"] == 1
    assert doc["diagnostics"][0]["where"] == "budgets.fule"
    assert run(["policy", "lint", str(tmp_path / "missing.toml")]) == 1
    assert "cannot read policy" in capsys.readouterr().out


def test_template_writes_a_preset_and_keeps_existing_files(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "p.toml"
    assert run(["policy", "template", "--preset", "dev", "--output-file", str(out)]) == 0
    assert out.read_text() == (ROOT / "policies" / "dev.toml").read_text()
    assert run(["policy", "template", "--preset", "strict", "--output-file", str(out)]) == 1
    assert "exists" in capsys.readouterr().err
    assert out.read_text() == (ROOT / "policies" / "dev.toml").read_text()
    assert run(["policy", "template", "--preset", "balanced"]) == 0
    assert capsys.readouterr().out == (ROOT / "policies" / "balanced.toml").read_text()


def test_granting_a_blocking_wasi_function_is_an_error(tmp_path: Path) -> None:
    policy = tmp_path / "p.toml"
    policy.write_text('[imports]\nallow = ["wasi_snapshot_preview1.poll_oneoff"]\n')
    result = lint_policy(policy)
    assert [d.severity for d in result.diagnostics] == ["error"]
    assert "poll_oneoff" in result.diagnostics[0].message
    assert "never provides it" in result.diagnostics[0].message
