"""builtin:osv against real OSV records: the PyPA dump served on 127.0.0.1, and read offline.

The SBOMs are cyclonedx-py's output for two real virtualenvs (tests/assets/sboms/osv/README.md);
the server (tests/osv_server.py) matches with the ``packaging`` library, so comparing online
and offline findings tests the plugin's own PEP 440 and range evaluation against it.
"""

from __future__ import annotations

import hashlib
import json
import socket
import zipfile
from pathlib import Path
from typing import Any

import pytest
from cvss import CVSS3

from bomhost.plugins.manifest import load_manifest
from tests.osv_server import OsvServer
from tests.test_cli import ROOT, bomhost, one_error_line

BUILTIN = ROOT / "bomhost" / "builtins" / "osv"
DUMP = ROOT / "tests" / "assets" / "osv" / "PyPI-all.zip"
PAIR = ROOT / "tests" / "assets" / "sboms" / "osv"
OLD, NEW = PAIR / "old.cdx.json", PAIR / "new.cdx.json"  # Flask 2.2.0 era -> Flask 3.0.3 era


def _manifest(tmp: Path, base_url: str) -> Path:
    """builtin:osv's manifest, pointed at another base URL: how a user targets a mirror."""
    text = (BUILTIN / "plugin.toml").read_text(encoding="utf-8")
    text = text.replace('exec = "./osv.wasm"', f'exec = "{BUILTIN / "osv.wasm"}"')
    text = text.replace('base_url = "https://api.osv.dev"', f'base_url = "{base_url}"')
    path = tmp / "osv.toml"
    path.write_text(text, encoding="utf-8")
    return path


def _policy(tmp: Path, port: int) -> Path:
    """The shipped fragment with the API rule swapped for the local server."""
    fragment = (BUILTIN / "policy.toml").read_text(encoding="utf-8")
    head = fragment.split("[[net.allow]]")[0]
    head = head.replace("[budgets]", "[plugins.osv.budgets]").replace(
        "[imports]", "[plugins.osv.imports]"
    )
    rule = (
        '[[plugins.osv.net.allow]]\nid = "osv-local"\nscheme = "http"\nhost = "127.0.0.1"\n'
        f'port = {port}\nmethods = ["POST", "GET"]\ntimeout_ms = 15000\n'
    )
    path = tmp / "policy.toml"
    path.write_text(head + rule, encoding="utf-8")
    return path


def _diff(*args: str | Path, cwd: Path) -> tuple[int, dict[str, Any], str]:
    proc = bomhost("diff", *args, "--output", "json", "--no-cache", cwd=cwd)
    assert proc.returncode in (0, 2), proc.stderr
    return proc.returncode, json.loads(proc.stdout), proc.stderr


def _vulns(report: dict[str, Any]) -> list[tuple[str, str, str, tuple[str, ...]]]:
    return [
        (
            f["component_purl"],
            f["data"]["id"],
            f["data"]["severity"],
            tuple(f["data"].get("aliases", [])),
        )
        for f in report["enrichment"]["plugin_findings"]
        if f["plugin_name"] == "osv"
    ]


def _online(tmp: Path, srv: OsvServer, old: Path, new: Path, *extra: str) -> dict[str, Any]:
    _, report, _ = _diff(
        old,
        new,
        "--plugin",
        _manifest(tmp, srv.base_url),
        "--policy",
        _policy(tmp, srv.port),
        *extra,
        cwd=tmp,
    )
    return report


def _offline(tmp: Path, old: Path, new: Path, dump: Path = DUMP) -> dict[str, Any]:
    _, report, _ = _diff(old, new, "--plugin", "builtin:osv", "--osv-db", dump, cwd=tmp)
    return report


# The downgrade NEW -> OLD: the old releases are the after side bomdrift queries.
EXPECTED = [
    ("pkg:pypi/flask@2.2.0", "PYSEC-2023-62", "NONE", ("CVE-2023-30861", "GHSA-m2qf-hxjv-5gpq")),
    ("pkg:pypi/pip@23.2.1", "PYSEC-2023-228", "LOW", ("CVE-2023-5752",)),
    (
        "pkg:pypi/requests@2.28.0",
        "PYSEC-2023-74",
        "NONE",
        ("CVE-2023-32681", "GHSA-j8r2-6x86-q33q"),
    ),
    ("pkg:pypi/setuptools@65.5.0", "PYSEC-2022-43012", "NONE", ("CVE-2022-40897",)),
    (
        "pkg:pypi/urllib3@1.26.5",
        "PYSEC-2023-192",
        "HIGH",
        ("CVE-2023-43804", "GHSA-v845-jxx5-vc9f"),
    ),
    (
        "pkg:pypi/urllib3@1.26.5",
        "PYSEC-2023-212",
        "MEDIUM",
        ("CVE-2023-45803", "GHSA-g4mx-q9vg-27p4"),
    ),
    (
        "pkg:pypi/werkzeug@2.2.2",
        "PYSEC-2023-221",
        "HIGH",
        ("CVE-2023-46136", "GHSA-hrfv-mqp8-q5rw"),
    ),
    ("pkg:pypi/werkzeug@2.2.2", "PYSEC-2023-57", "NONE", ("CVE-2023-23934", "GHSA-px8h-6qxv-m22q")),
    ("pkg:pypi/werkzeug@2.2.2", "PYSEC-2023-58", "NONE", ("CVE-2023-25577", "GHSA-xg9f-g7g7-2323")),
]


def test_offline_finds_the_advisories_of_the_old_releases(tmp_path: Path) -> None:
    report = _offline(tmp_path, NEW, OLD)
    assert _vulns(report) == EXPECTED
    finding = next(
        f for f in report["enrichment"]["plugin_findings"] if f["data"]["id"] == "PYSEC-2023-221"
    )
    assert finding["kind"] == "vulnerability"
    assert finding["rule_id"] == "bomdrift.cve"
    assert finding["severity"] == "error"  # HIGH and CRITICAL are errors, as bomdrift's SARIF level
    assert finding["message"] == (
        "PYSEC-2023-221 (HIGH) affects pkg:pypi/werkzeug@2.2.2. "
        "Review the advisory and update or pin a patched version."
    )
    assert report["enrichment"]["plugin_errors"] == []
    # The sandbox read exactly the dump, under the rule --osv-db added, and nothing else.
    events = [(e["rule_id"], e["reason_code"]) for e in report["sandbox"]["events"]]
    assert set(events) <= {("osv-db", "fs_read"), ("osv-db", "fs_buffer_too_small")}
    assert ("osv-db", "fs_read") in events


def test_online_and_offline_agree_both_ways_with_one_batch_request(tmp_path: Path) -> None:
    with OsvServer(DUMP) as srv:
        down = _online(tmp_path, srv, NEW, OLD)
        posts = [r for r in srv.requests if r.method == "POST"]
        gets = sorted(r.path for r in srv.requests if r.method == "GET")
        up = _online(tmp_path, srv, OLD, NEW)
    assert _vulns(down) == EXPECTED
    assert [(p.path, p.queries) for p in posts] == [("/v1/querybatch", 8)]
    # one GET per advisory named, deduplicated
    assert gets == sorted({f"/v1/vulns/{v[1]}" for v in EXPECTED})
    assert _vulns(down) == _vulns(_offline(tmp_path, NEW, OLD))
    assert _vulns(up) == _vulns(_offline(tmp_path, OLD, NEW))
    assert down["enrichment"]["plugin_errors"] == []


def _wide_sbom(path: Path, limit: int | None = None) -> int:
    """One component per (package, version) the dump names: listed versions and range bounds.

    Range bounds (introduced/fixed/last_affected) are exactly where an evaluation off by one
    would differ, and the listed versions cover PEP 440's odd spellings.
    """
    seen: dict[tuple[str, str], None] = {}
    with zipfile.ZipFile(DUMP) as zf:
        for name in sorted(zf.namelist()):
            rec = json.loads(zf.read(name))
            for aff in rec.get("affected") or []:
                pkg = aff["package"]["name"]
                versions = list(aff.get("versions") or [])[:3]
                for rng in aff.get("ranges") or []:
                    if rng["type"] == "ECOSYSTEM":
                        versions += [v for e in rng["events"] for v in e.values() if v != "0"]
                for v in versions:
                    seen.setdefault((pkg, v), None)
    pairs = list(seen)[:limit]
    comps = [
        {"type": "library", "name": n, "version": v, "purl": f"pkg:pypi/{n}@{v}"} for n, v in pairs
    ]
    doc = {"bomFormat": "CycloneDX", "specVersion": "1.5", "version": 1, "components": comps}
    path.write_text(json.dumps(doc), encoding="utf-8")
    return len(comps)


def _empty_sbom(path: Path) -> Path:
    doc = {"bomFormat": "CycloneDX", "specVersion": "1.5", "version": 1, "components": []}
    path.write_text(json.dumps(doc), encoding="utf-8")
    return path


def test_every_range_bound_of_the_dump_online_equals_offline(tmp_path: Path) -> None:
    wide = tmp_path / "wide.json"
    n = _wide_sbom(wide)
    assert n > 2000
    empty = _empty_sbom(tmp_path / "empty.json")
    with OsvServer(DUMP) as srv:
        online = _online(tmp_path, srv, empty, wide)
        posts = [r.queries for r in srv.requests if r.method == "POST"]
        gets = [r.path for r in srv.requests if r.method == "GET"]
    offline = _offline(tmp_path, empty, wide)
    assert online["enrichment"]["plugin_errors"] == []
    assert offline["enrichment"]["plugin_errors"] == []
    found = _vulns(online)
    assert len(found) > 1000
    assert found == _vulns(offline)
    # bomhost cuts the change into 1,000-component calls: one querybatch POST each
    assert posts == [1000] * (n // 1000) + ([n % 1000] if n % 1000 else [])
    # Each advisory named is fetched, once per call: a package whose versions straddle two
    # chunks is looked up by both calls (each is a fresh instance; the HTTP cache, off here,
    # is what dedupes across calls and runs).
    assert set(gets) == {f"/v1/vulns/{v[1]}" for v in found}
    assert len(gets) - len(set(gets)) < n // 1000 * 10


def _expected_severity(record: dict[str, Any]) -> str:
    """bomdrift's order: GHSA label, else the highest CVSS v3 base score (the cvss library)."""
    label = str((record.get("database_specific") or {}).get("severity") or "").upper()
    if label:
        return {"MODERATE": "MEDIUM"}.get(label, label)
    scores = [
        CVSS3(s["score"]).base_score for s in record.get("severity") or [] if s["type"] == "CVSS_V3"
    ]
    if not scores:
        return "NONE"
    best = float(max(scores))
    for floor, name in ((9.0, "CRITICAL"), (7.0, "HIGH"), (4.0, "MEDIUM"), (0.1, "LOW")):
        if best >= floor:
            return name
    return "NONE"


def test_severities_match_the_cvss_library_on_every_scored_record(tmp_path: Path) -> None:
    wide = tmp_path / "wide.json"
    _wide_sbom(wide)
    report = _offline(tmp_path, _empty_sbom(tmp_path / "empty.json"), wide)
    with zipfile.ZipFile(DUMP) as zf:
        records = {r["id"]: r for r in (json.loads(zf.read(n)) for n in zf.namelist())}
    got = {v[1]: v[2] for v in _vulns(report)}
    scored = [i for i in got if records[i].get("severity")]
    assert len(scored) > 150  # most of the 202 records with a CVSS v3 vector
    assert {i: got[i] for i in got} == {i: _expected_severity(records[i]) for i in got}
    assert {got[i] for i in scored} >= {"LOW", "MEDIUM", "HIGH", "CRITICAL"}
    aliases = {v[1]: v[3] for v in _vulns(report)}
    assert all(aliases[i] == tuple(sorted(set(records[i].get("aliases") or []) - {i})) for i in got)


def test_a_folder_of_records_gives_the_same_findings_as_the_zip(tmp_path: Path) -> None:
    folder = tmp_path / "pypi"
    with zipfile.ZipFile(DUMP) as zf:
        zf.extractall(folder)
    assert _vulns(_offline(tmp_path, NEW, OLD, folder)) == EXPECTED


def _closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def test_osv_unreachable_is_a_warning_and_plugin_errors_not_a_failed_run(tmp_path: Path) -> None:
    port = _closed_port()
    manifest = _manifest(tmp_path, f"http://127.0.0.1:{port}")
    args: tuple[str | Path, ...] = (NEW, OLD, "--plugin", manifest)
    args += ("--policy", _policy(tmp_path, port))
    rc, report, stderr = _diff(*args, cwd=tmp_path)
    assert rc == 0
    errors = report["enrichment"]["plugin_errors"]
    assert len(errors) == 8  # every queried component of the failed batch call
    # protocol 2's `error` answer, not a trap: the plugin says what it could not do
    assert {e["error_kind"] for e in errors} == {"plugin_reported"}
    assert (
        f"osv: POST http://127.0.0.1:{port}/v1/querybatch failed: connection failed"
        in (errors[0]["message"])
    )
    # the warning line on stderr: components, and the batch calls they were in
    assert "bomhost: plugin osv: 8 components in 1 call failed" in stderr
    assert "(8 plugin_reported); see enrichment.plugin_errors" in stderr
    rc, _, _ = _diff(*args, "--fail-on", "plugin-error", cwd=tmp_path)
    assert rc == 2


def test_failed_advisory_lookups_keep_the_finding_with_severity_none(tmp_path: Path) -> None:
    with OsvServer(DUMP, fail_vulns=True) as srv:
        report = _online(tmp_path, srv, NEW, OLD)
    assert [(p, i, s, a) for p, i, s, a in _vulns(report)] == [
        (p, i, "NONE", ()) for p, i, _, _ in EXPECTED
    ]
    assert report["enrichment"]["plugin_errors"] == []
    assert any("lookup(s) failed" in line["message"] for line in report["sandbox"]["logs"])


def test_osv_db_that_does_not_exist_is_one_line_exit_1(tmp_path: Path) -> None:
    proc = bomhost(
        "diff", NEW, OLD, "--plugin", "builtin:osv", "--osv-db", tmp_path / "nope.zip", cwd=tmp_path
    )
    assert "--osv-db" in one_error_line(proc)
    assert "no such file or folder" in proc.stderr


def test_a_dump_that_is_not_a_zip_is_a_plugin_error_naming_it(tmp_path: Path) -> None:
    bad = tmp_path / "all.zip"
    bad.write_bytes(b"not a zip")
    report = _offline(tmp_path, NEW, OLD, bad)
    errors = report["enrichment"]["plugin_errors"]
    assert errors
    assert "not a zip archive" in errors[0]["message"]


def test_the_module_is_the_built_crate_and_matches_its_pin() -> None:
    """The crate's build (plugins/osv) is written here; test_rust_example rebuilds it to check."""
    module = (BUILTIN / "osv.wasm").read_bytes()
    assert not (ROOT / "plugins" / "osv" / "osv.wasm").exists()
    pin = load_manifest(BUILTIN / "plugin.toml").manifest.sha256
    assert pin == hashlib.sha256(module).hexdigest()


@pytest.mark.parametrize("flag", ["--osv-db"])
def test_the_flag_is_documented_in_help(flag: str) -> None:
    assert flag in bomhost("diff", "--help").stdout


def test_sarif_has_one_cve_result_per_advisory_at_the_after_sbom(tmp_path: Path) -> None:
    # What Code Scanning shows: bomdrift's bomdrift.cve results, worst first per component,
    # pointing at the after SBOM as given (relative, so it resolves against the checkout).
    import shutil

    shutil.copy(NEW, tmp_path / "new.cdx.json")
    shutil.copy(OLD, tmp_path / "old.cdx.json")
    proc = bomhost(
        "diff",
        "new.cdx.json",
        "old.cdx.json",
        "--plugin",
        "builtin:osv",
        "--osv-db",
        DUMP,
        "--output",
        "sarif",
        cwd=tmp_path,
    )
    assert proc.returncode == 0, proc.stderr
    run = json.loads(proc.stdout)["runs"][0]
    cves = [r for r in run["results"] if r["ruleId"] == "bomdrift.cve"]
    assert [(r["properties"]["purl"], r["properties"]["advisoryId"]) for r in cves] == [
        (purl, vid) for purl, vid, _sev, _aliases in EXPECTED_SARIF_ORDER
    ]
    werkzeug = next(r for r in cves if r["properties"]["advisoryId"] == "PYSEC-2023-221")
    assert werkzeug["level"] == "error"
    assert werkzeug["message"]["text"] == (
        "PYSEC-2023-221 (HIGH) affects pkg:pypi/werkzeug@2.2.2. "
        "Review the advisory and update or pin a patched version."
    )
    identity = b"bomdrift.cve|pkg:pypi/werkzeug@2.2.2|PYSEC-2023-221"
    assert werkzeug["partialFingerprints"] == {
        "primaryHash/v1": hashlib.sha256(identity).hexdigest()
    }
    assert werkzeug["locations"] == [
        {"physicalLocation": {"artifactLocation": {"uri": "old.cdx.json"}}}
    ]
    assert {r["level"] for r in cves if r["properties"]["severity"] != "HIGH"} == {"warning"}
    # No signal finding is repeated as a generic bomdrift.plugin result.
    assert [r for r in run["results"] if r["ruleId"] == "bomdrift.plugin"] == []


# bomdrift's SARIF order: per component, worst severity first, then by id.
_RANK = {"NONE": 0, "LOW": 1, "MEDIUM": 2, "HIGH": 3, "CRITICAL": 4}
EXPECTED_SARIF_ORDER = [
    row
    for purl in dict.fromkeys(r[0] for r in EXPECTED)
    for row in sorted((r for r in EXPECTED if r[0] == purl), key=lambda r: (-_RANK[r[2]], r[1]))
]
