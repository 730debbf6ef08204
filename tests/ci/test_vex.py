"""--vex and --emit-vex as bomdrift has them, through real runs with a plugin that reports its signals."""

from __future__ import annotations

import json
from pathlib import Path

import jsonschema
import pytest
from cyclonedx.schema import SchemaVersion
from cyclonedx.validation.json import JsonStrictValidator

from tests.ci.openvex_rules import openvex_schema
from tests.ci.signals import install_signals
from tests.test_cli import ROOT, bomhost, one_error_line

OLD = ROOT / "examples" / "sboms" / "old.cdx.json"
NEW = ROOT / "examples" / "sboms" / "new.cdx.json"
COLORAMA = "pkg:pypi/colorama@0.4.6"
REQUESTS = "pkg:pypi/requests@2.32.3"
LICENSE_ID = f"bomdrift.license-violation:{REQUESTS}:Apache-2.0"
TYPO_ID = f"bomdrift.typosquat:{COLORAMA}:colorame"


def openvex(path: Path, statements: list[dict[str, object]]) -> Path:
    doc = {
        "@context": "https://openvex.dev/ns/v0.2.0",
        "@id": "https://example.test/vex/1",
        "author": "security@example.test",
        "timestamp": "2026-01-01T00:00:00Z",
        "version": 1,
        "statements": statements,
    }
    path.write_text(json.dumps(doc), encoding="utf-8")
    return path


def cyclonedx_vex(path: Path, vulns: list[dict[str, object]]) -> Path:
    doc = {"bomFormat": "CycloneDX", "specVersion": "1.6", "version": 1, "vulnerabilities": vulns}
    text = json.dumps(doc)
    # The fixture is a real CycloneDX 1.6 document (the library's bundled schema).
    assert JsonStrictValidator(SchemaVersion.V1_6).validate_str(text) is None
    path.write_text(text, encoding="utf-8")
    return path


def run(tmp_path: Path, *args: str | Path) -> tuple[int, dict[str, object], str]:
    plugin = install_signals(tmp_path)
    proc = bomhost("diff", OLD, NEW, "--plugin", plugin, "--output", "json", *args, cwd=tmp_path)
    return proc.returncode, json.loads(proc.stdout) if proc.stdout else {}, proc.stderr


def rules(report: dict[str, object]) -> list[str]:
    enrichment = report["enrichment"]
    assert isinstance(enrichment, dict)
    return sorted(f["rule_id"] for f in enrichment["plugin_findings"])


def test_statuses_suppress_or_annotate_across_both_formats(tmp_path: Path) -> None:
    ov = openvex(
        tmp_path / "team.openvex.json",
        [
            # Versionless product: every version of colorama; matched through the CVE alias.
            {
                "vulnerability": {"name": "CVE-2099-0001"},
                "products": [{"@id": "pkg:pypi/colorama"}],
                "status": "not_affected",
                "justification": "vulnerable_code_not_present",
            },
            {
                "vulnerability": {"name": LICENSE_ID},
                "products": [{"@id": REQUESTS}],
                "status": "under_investigation",
            },
        ],
    )
    cdx = cyclonedx_vex(
        tmp_path / "vendor.cdx.json",
        [{"id": TYPO_ID, "affects": [{"ref": COLORAMA}], "analysis": {"state": "resolved"}}],
    )
    code, report, stderr = run(tmp_path, "--vex", ov, "--vex", cdx, "--fail-on", "error")
    # The licence violation (error) is only annotated, so the gate still trips on it.
    assert code == 2, stderr
    assert rules(report) == ["license/requests"]
    enrichment = report["enrichment"]
    assert isinstance(enrichment, dict)
    assert enrichment["vex_suppressed_count"] == 2
    assert enrichment["vex_annotations"] == {LICENSE_ID: {"status": "under_investigation"}}
    md = bomhost(
        "diff", OLD, NEW, "--plugin", install_signals(tmp_path), "--vex", ov, "--vex", cdx,
        "--output", "markdown",
    ).stdout  # fmt: skip
    assert "| Suppressed by VEX | 2 |" in md


def test_a_versioned_statement_says_nothing_about_another_version(tmp_path: Path) -> None:
    ov = openvex(
        tmp_path / "v.json",
        [
            {
                "vulnerability": {"name": "GHSA-test-0001"},
                "products": ["pkg:pypi/colorama@0.4.5"],
                "status": "fixed",
            },
            # A bomhost plugin finding is named by its rule id (what a baseline uses too).
            {
                "vulnerability": {"name": "license/requests"},
                "products": [{"@id": REQUESTS}],
                "status": "fixed",
            },
        ],
    )
    _code, report, _ = run(tmp_path, "--vex", ov)
    assert rules(report) == ["osv/GHSA-test-0001", "typosquat/colorama"]


def test_first_file_wins_and_config_has_no_vex_key(tmp_path: Path) -> None:
    stmt = {"vulnerability": {"name": "GHSA-test-0001"}, "products": [{"@id": COLORAMA}]}
    first = openvex(tmp_path / "a.json", [{**stmt, "status": "affected"}])
    second = openvex(tmp_path / "b.json", [{**stmt, "status": "not_affected"}])
    _code, report, _ = run(tmp_path, "--vex", first, "--vex", second)
    assert "osv/GHSA-test-0001" in rules(report)


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        (None, "no such file"),
        ("{", "invalid JSON at line 1"),
        ('{"statements": []}', "not a VEX document"),
        ('{"@context": "https://openvex.dev/ns/v0.2.0"}', "no statements array"),
    ],
)
def test_a_bad_vex_file_is_one_line(tmp_path: Path, body: str | None, expected: str) -> None:
    path = tmp_path / "vex.json"
    if body is not None:
        path.write_text(body, encoding="utf-8")
    line = one_error_line(bomhost("diff", OLD, NEW, "--vex", path))
    assert f"--vex {path}" in line
    assert expected in line


def test_emitted_openvex_is_valid_deterministic_and_reads_back(tmp_path: Path) -> None:
    base = tmp_path / "baseline.json"
    base.write_text(
        json.dumps(
            {
                "suppressed_advisories": [
                    {
                        "id": "osv/GHSA-test-0001",
                        "purl": COLORAMA,
                        "reason": "not reachable",
                        "vex_status": "not_affected",
                        "vex_justification": "vulnerable_code_not_in_execute_path",
                    },
                    {"id": "typosquat/colorama", "reason": "we own colorame"},
                ]
            }
        )
    )
    out = tmp_path / "out.openvex.json"
    env = {"SOURCE_DATE_EPOCH": "1700000000"}
    plugin = install_signals(tmp_path)
    args = ("diff", OLD, NEW, "--plugin", plugin, "--baseline", base, "--emit-vex", out)
    first = bomhost(*args, "--repo-url", "https://github.com/o/r", env=env)
    assert first.returncode == 0, first.stderr
    text = out.read_text(encoding="utf-8")
    doc = json.loads(text)
    jsonschema.validate(doc, openvex_schema())
    assert doc["author"] == "https://github.com/o/r"  # --vex-author falls back to the repo URL
    assert doc["timestamp"] == "2023-11-14T22:13:20Z"
    by_id = {s["vulnerability"]["name"]: s for s in doc["statements"]}
    assert by_id["osv/GHSA-test-0001"]["status"] == "not_affected"
    assert by_id["osv/GHSA-test-0001"]["status_notes"] == "not reachable"
    # A plain suppression is never promoted to a not_affected claim.
    assert by_id["typosquat/colorama"]["status"] == "under_investigation"
    assert "products" not in by_id["typosquat/colorama"]
    # Findings still in the report are affected, with the action the schema asks for.
    assert by_id[LICENSE_ID]["status"] == "affected"
    assert by_id[LICENSE_ID]["action_statement"]
    assert by_id[LICENSE_ID]["status_notes"] == (
        "bomdrift finding kind: license-violation (deny: Apache-2.0)"
    )
    assert bomhost(*args, "--repo-url", "https://github.com/o/r", env=env).returncode == 0
    assert out.read_text(encoding="utf-8") == text  # same inputs, same bytes
    # The emitted document is a VEX input: its not_affected statement suppresses.
    _code, report, _ = run(tmp_path, "--vex", out)
    assert "osv/GHSA-test-0001" not in rules(report)


def test_vex_author_and_justification_keys(tmp_path: Path) -> None:
    (tmp_path / ".bomdrift.toml").write_text(
        '[diff]\nvex_author = "sec@example.test"\n'
        'vex_default_justification = "component_not_present"\n'
    )
    base = tmp_path / "b.json"
    base.write_text(json.dumps({"suppressed_advisories": [
        {"id": "CVE-1", "purl": COLORAMA, "vex_status": "not_affected"}
    ]}))  # fmt: skip
    out = tmp_path / "o.json"
    proc = bomhost("diff", OLD, NEW, "--baseline", base, "--emit-vex", out, cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    doc = json.loads(out.read_text())
    jsonschema.validate(doc, openvex_schema())
    assert doc["author"] == "sec@example.test"
    assert doc["statements"][0]["justification"] == "component_not_present"
    (tmp_path / ".bomdrift.toml").write_text('[diff]\nvex_default_justification = "trust me"\n')
    line = one_error_line(bomhost("diff", OLD, NEW, "--emit-vex", out, cwd=tmp_path))
    assert "diff.vex_default_justification" in line
