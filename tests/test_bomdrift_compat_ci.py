"""A repository set up for bomdrift (.bomdrift.toml, baseline file) gets the same gates from bomhost.

Real processes on the bundled example SBOMs (one component added, one version change) with the
example banned-packages plugin, which flags the added colorama with rule id
``banned/pkg:pypi/colorama`` at severity error.
"""

from __future__ import annotations

import json
from pathlib import Path

from tests.test_cli import ROOT, bomhost, one_error_line

OLD = ROOT / "examples" / "sboms" / "old.cdx.json"
NEW = ROOT / "examples" / "sboms" / "new.cdx.json"
BANNED = ROOT / "examples" / "plugins" / "banned-packages" / "plugin.toml"
RULE = "banned/pkg:pypi/colorama"


def repo(tmp_path: Path, bomdrift_toml: str) -> Path:
    (tmp_path / ".git").mkdir()
    (tmp_path / ".bomdrift.toml").write_text(bomdrift_toml, encoding="utf-8")
    (tmp_path / ".bomhost.toml").write_text(f'plugins = ["{BANNED}"]\n', encoding="utf-8")
    return tmp_path


def test_config_gates_apply_and_the_command_line_wins(tmp_path: Path) -> None:
    root = repo(tmp_path, '[diff]\nmax_added = 0\nno_osv = true\noutput = "json"\n')
    proc = bomhost("diff", OLD, NEW, cwd=root)
    assert proc.returncode == 2, proc.stderr
    assert "--max-added 0: 1 added (limit 0)" in proc.stderr
    assert json.loads(proc.stdout)["changes"]["added"]  # output = "json" from the config
    # The command line wins over the config value.
    proc = bomhost("diff", OLD, NEW, "--max-added", "5", "--output", "markdown", cwd=root)
    assert proc.returncode == 0, proc.stderr
    assert not proc.stdout.lstrip().startswith("{")


def test_fail_on_from_config_and_cli(tmp_path: Path) -> None:
    root = repo(tmp_path, '[diff]\nfail_on = "plugin-finding"\n')
    proc = bomhost("diff", OLD, NEW, cwd=root)
    assert proc.returncode == 2, proc.stderr
    assert "--fail-on plugin-finding" in proc.stderr
    proc = bomhost("diff", OLD, NEW, "--fail-on", "downgrade", cwd=root)
    assert proc.returncode == 0, proc.stderr


def test_unknown_key_and_bad_value_are_one_line_errors(tmp_path: Path) -> None:
    root = repo(tmp_path, "[diff]\nmax_aded = 1\n")
    line = one_error_line(bomhost("diff", OLD, NEW, cwd=root))
    assert "diff.max_aded: unknown key" in line
    (root / ".bomdrift.toml").write_text('[diff.license]\nallowed = ["MIT"]\n')
    assert "diff.license.allowed: unknown key" in one_error_line(
        bomhost("diff", OLD, NEW, cwd=root)
    )
    (root / ".bomdrift.toml").write_text("[dif]\nmax_added = 1\n")
    assert "unknown key 'dif'" in one_error_line(bomhost("diff", OLD, NEW, cwd=root))
    (root / ".bomdrift.toml").write_text("[diff]\nmax_added = -1\n")
    assert "diff.max_added" in one_error_line(bomhost("diff", OLD, NEW, cwd=root))
    (root / ".bomdrift.toml").write_text('[diff]\nfail_on = "nope"\n')
    assert "nope" in one_error_line(bomhost("diff", OLD, NEW, cwd=root))
    (root / ".bomdrift.toml").write_text('[diff]\nno_osv = "yes"\n')
    assert "diff.no_osv: expected true or false" in one_error_line(
        bomhost("diff", OLD, NEW, cwd=root)
    )


def test_explicit_config_path(tmp_path: Path) -> None:
    root = repo(tmp_path, "")
    other = tmp_path / "ci.toml"
    other.write_text("[diff]\nmax_version_changed = 0\n")
    proc = bomhost("diff", OLD, NEW, "--config", other, cwd=root)
    assert proc.returncode == 2
    assert "--max-version-changed 0" in proc.stderr
    line = one_error_line(bomhost("diff", OLD, NEW, "--config", tmp_path / "nope.toml", cwd=root))
    assert "--config" in line
    assert "nope.toml" in line


def test_baseline_suppresses_and_is_strict_on_the_cli_only(tmp_path: Path) -> None:
    root = repo(tmp_path, '[diff]\nfail_on = "error"\nbaseline = ".bomdrift/baseline.json"\n')
    # Config baseline missing (a fresh `init`): dropped with a warning, the gate still trips.
    proc = bomhost("diff", OLD, NEW, cwd=root)
    assert proc.returncode == 2, proc.stderr
    assert "does not exist yet" in proc.stderr
    # On the command line a missing baseline is an error.
    line = one_error_line(bomhost("diff", OLD, NEW, "--baseline", "missing.json", cwd=root))
    assert "missing.json" in line
    # `baseline add` creates the file; the finding is suppressed and the gate passes.
    add = bomhost("baseline", "add", RULE, "--reason", "accepted", cwd=root)
    assert add.returncode == 0, add.stderr
    doc = json.loads((root / ".bomdrift" / "baseline.json").read_text())
    assert doc["suppressed_advisories"] == [{"id": RULE, "reason": "accepted"}]
    proc = bomhost("diff", OLD, NEW, "--output", "json", cwd=root)
    assert proc.returncode == 0, proc.stderr
    assert json.loads(proc.stdout)["enrichment"]["plugin_findings"] == []
    assert bomhost("baseline", "add", RULE, cwd=root).stdout.startswith(f"{RULE} is already")


def test_expired_entry_no_longer_suppresses(tmp_path: Path) -> None:
    root = repo(tmp_path, '[diff]\nfail_on = "error"\n')
    base = root / "b.json"
    base.write_text(json.dumps({"suppressed_advisories": [{"id": RULE, "expires": "2020-01-01"}]}))
    proc = bomhost("diff", OLD, NEW, "--baseline", base, cwd=root)
    assert proc.returncode == 2
    assert "expired on 2020-01-01" in proc.stderr
    base.write_text(json.dumps({"suppressed_advisories": [{"id": RULE, "expires": "2020-13-01"}]}))
    assert "2020-13-01" in one_error_line(bomhost("diff", OLD, NEW, "--baseline", base, cwd=root))
    bad = bomhost("baseline", "add", RULE, "--baseline", base, "--expires", "soon", cwd=root)
    assert "'soon' is not a YYYY-MM-DD date" in one_error_line(bad)


def test_a_previous_json_report_is_a_baseline(tmp_path: Path) -> None:
    root = repo(tmp_path, '[diff]\nfail_on = "error"\n')
    snapshot = bomhost("diff", OLD, NEW, "--output", "json", cwd=root)
    (root / "snap.json").write_text(snapshot.stdout)
    proc = bomhost("diff", OLD, NEW, "--baseline", "snap.json", cwd=root)
    assert proc.returncode == 0, proc.stderr


def test_baseline_add_from_comment(tmp_path: Path) -> None:
    body = "LGTM, but:\n@bot /bomdrift suppress GHSA-abcd-1234 reason: not reachable\n"
    proc = bomhost("baseline", "add", "--from-comment", body, "--path", "b.json", cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    doc = json.loads((tmp_path / "b.json").read_text())
    assert doc == {
        "schema_version": 1,
        "suppressed_advisories": [{"id": "GHSA-abcd-1234", "reason": "not reachable"}],
    }
    bad = bomhost("baseline", "add", "--from-comment", "/bomdrift suppress rm;-rf", cwd=tmp_path)
    assert "malformed advisory id" in one_error_line(bad)
    none = bomhost("baseline", "add", "--from-comment", "nothing here", cwd=tmp_path)
    assert "no `/bomdrift suppress" in one_error_line(none)


def test_summary_and_findings_only_from_flag_and_config(tmp_path: Path) -> None:
    root = repo(tmp_path, "[diff]\nsummary_only = true\n")
    summary = bomhost("diff", OLD, NEW, cwd=root).stdout
    assert "| Added | 1 |" in summary.replace("  ", " ")
    assert "### " not in summary  # no sections at all
    (root / ".bomdrift.toml").write_text("")
    findings = bomhost("diff", OLD, NEW, "--findings-only", cwd=root).stdout
    assert "### Plugin findings (1)" in findings
    assert "### Added" not in findings
    assert "### Version changed" not in findings
    full = bomhost("diff", OLD, NEW, cwd=root).stdout
    assert "### Added (1)" in full


def test_explicit_terminal_output_is_honoured_on_a_pipe(tmp_path: Path) -> None:
    root = repo(tmp_path, "")
    piped = bomhost("diff", OLD, NEW, "--output", "terminal", cwd=root).stdout
    assert "## SBOM diff" not in piped
    assert "\x1b[" not in piped
    assert "## SBOM diff" in bomhost("diff", OLD, NEW, cwd=root).stdout


def test_licence_policy_from_config_gates_like_bomdrift(tmp_path: Path) -> None:
    # The example SBOMs are cyclonedx-py's: colorama declares only a trove classifier, requests
    # 2.32.3 both "Apache-2.0" and a classifier. bomdrift judges each string: the classifiers are
    # not SPDX, so they are matched as strings and are not on the allow list.
    root = repo(
        tmp_path,
        '[diff]\nfail_on = "license-violation"\noutput = "json"\n\n'
        '[diff.license]\nallow = ["MIT", "Apache-2.0", "MPL-2.0"]\n',
    )
    proc = bomhost("diff", OLD, NEW, "--offline", cwd=root)
    assert proc.returncode == 2, proc.stderr
    assert "--fail-on license-violation: 2 licence policy violation(s)" in proc.stderr
    violations = json.loads(proc.stdout)["enrichment"]["license_violations"]
    assert [(v["component"]["name"], v["license"], v["kind"]) for v in violations] == [
        ("colorama", "License :: OSI Approved :: BSD License", "not-allowed"),
        ("requests", "License :: OSI Approved :: Apache Software License", "not-allowed"),
    ]
    # The command line's deny list joins the config's policy; deny wins over allow.
    proc = bomhost("diff", OLD, NEW, "--offline", "--deny-licenses", "Apache-*", cwd=root)
    denied = [
        (v["component"]["name"], v["matched_rule"])
        for v in json.loads(proc.stdout)["enrichment"]["license_violations"]
        if v["kind"] == "deny"
    ]
    assert denied == [("requests", "deny: Apache-*")]
    # No policy at all: builtin:license does not run.
    (tmp_path / "plain").mkdir()
    plain = repo(tmp_path / "plain", '[diff]\noutput = "json"\n')
    proc = bomhost("diff", OLD, NEW, "--offline", cwd=plain)
    assert proc.returncode == 0, proc.stderr
    report = json.loads(proc.stdout)
    assert report["enrichment"]["license_violations"] == []
    assert "license" not in report["sandbox"]["stats"]
    assert {"typosquat", "version-jump"} <= set(report["sandbox"]["stats"])
