"""builtin:osv's EPSS scores and KEV flags, from a local FIRST.org-shaped API and KEV feed.

The advisories are real (the PyPA dump served by tests/osv_server.py); the EPSS scores and the
KEV listing are the test's own, so each assertion knows what the plugin must have read.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from bomhost.signals import SignalOptions, signal_config
from tests.builtins.test_osv import DUMP, NEW, OLD, _policy
from tests.builtins.test_osv import _manifest as osv_manifest
from tests.osv_server import OsvServer
from tests.test_cli import bomhost

FLASK_CVE = "CVE-2023-30861"  # PYSEC-2023-62, flask 2.2.0
PIP_CVE = "CVE-2023-5752"  # PYSEC-2023-228, pip 23.2.1


def _manifest(tmp: Path, srv: OsvServer) -> Path:
    """test_osv's re-pointed manifest, with EPSS and KEV on the same local server."""
    path = osv_manifest(tmp, srv.base_url)
    text = path.read_text(encoding="utf-8")
    text = text.replace(
        'epss_url = "https://api.first.org/data/v1/epss"',
        f'epss_url = "{srv.base_url}/data/v1/epss"',
    )
    text = text.replace(
        'kev_url = "https://www.cisa.gov/sites/default/files/feeds/known_exploited_vulnerabilities.json"',
        f'kev_url = "{srv.base_url}/kev.json"',
    )
    path.write_text(text, encoding="utf-8")
    return path


def _run(tmp: Path, srv: OsvServer, *extra: str) -> tuple[int, dict[str, Any], str]:
    proc = bomhost(
        "diff", NEW, OLD, "--plugin", _manifest(tmp, srv), "--policy", _policy(tmp, srv.port),
        "--output", "json", "--no-cache", *extra,
        cwd=tmp,
    )  # fmt: skip
    assert proc.returncode in (0, 2), proc.stderr
    return proc.returncode, json.loads(proc.stdout), proc.stderr


def _data(report: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {
        f["data"]["id"]: f["data"]
        for f in report["enrichment"]["plugin_findings"]
        if f["plugin_name"] == "osv"
    }


def test_scores_and_kev_reach_the_advisories_and_gate(tmp_path: Path) -> None:
    with OsvServer(DUMP, epss={FLASK_CVE: "0.876", PIP_CVE: "0.01"}, kev=[FLASK_CVE]) as srv:
        code, report, _ = _run(tmp_path, srv)
        gated, _, stderr = _run(tmp_path, srv, "--fail-on", "kev", "--fail-on-epss", "0.5")
        epss_calls = [r.path for r in srv.requests if r.path.startswith("/data/v1/epss")]
    data = _data(report)
    assert code == 0
    assert data["PYSEC-2023-62"]["epss_score"] == 0.876
    assert data["PYSEC-2023-62"]["kev"] is True
    assert data["PYSEC-2023-228"]["epss_score"] == 0.01
    assert "kev" not in data["PYSEC-2023-228"]
    # bomdrift's enrichment.vulns carries them too, and the gates read them.
    flask = report["enrichment"]["vulns"]["pkg:pypi/flask@2.2.0"][0]
    assert (flask["epss_score"], flask["kev"]) == (0.876, True)
    assert gated == 2
    assert "--fail-on kev: 1 vulnerability finding(s) in the CISA KEV catalogue" in stderr
    # One request per 100 CVEs, each CVE asked once, however many components name it.
    assert len(epss_calls) == 2  # the plain run and the gated one
    asked = epss_calls[0].split("cve=")[1].split(",")
    assert len(asked) == len(set(asked))
    assert FLASK_CVE in asked


def test_no_epss_and_no_kev_ask_nothing(tmp_path: Path) -> None:
    # --no-epss / --no-kev reach builtin:osv as these config keys (signals.signal_config); a
    # re-pointed copy of the manifest, as here, sets them itself.
    assert signal_config("osv", SignalOptions(no_epss=True, no_kev=True))["no_epss"] is True
    assert signal_config("osv", SignalOptions(no_epss=True, no_kev=True))["no_kev"] is True
    with OsvServer(DUMP, epss={FLASK_CVE: "0.876"}, kev=[FLASK_CVE]) as srv:
        manifest = _manifest(tmp_path, srv)
        text = manifest.read_text(encoding="utf-8")
        manifest.write_text(
            text.replace("[plugin.config]\n", "[plugin.config]\nno_epss = true\nno_kev = true\n")
        )
        proc = bomhost(
            "diff", NEW, OLD, "--plugin", manifest, "--policy", _policy(tmp_path, srv.port),
            "--output", "json", "--no-cache", cwd=tmp_path,
        )  # fmt: skip
        paths = [r.path for r in srv.requests]
    report = json.loads(proc.stdout)
    assert not [p for p in paths if p.startswith("/data/v1/epss") or p == "/kev.json"]
    flask = _data(report)["PYSEC-2023-62"]
    assert "epss_score" not in flask
    assert "kev" not in flask


def test_an_unavailable_epss_api_is_a_warning_and_keeps_the_advisories(tmp_path: Path) -> None:
    with OsvServer(DUMP, kev=[FLASK_CVE], fail_epss=True) as srv:
        _, report, _ = _run(tmp_path, srv)
    flask = _data(report)["PYSEC-2023-62"]
    assert flask["kev"] is True
    assert "epss_score" not in flask
    assert report["enrichment"]["plugin_errors"] == []
    logs = [entry["message"] for entry in report["sandbox"]["logs"]]
    assert any(m.startswith("osv: EPSS scores unavailable: GET ") for m in logs), logs


def test_offline_runs_ask_no_service(tmp_path: Path) -> None:
    proc = bomhost(
        "diff", NEW, OLD, "--plugin", "builtin:osv", "--osv-db", DUMP, "--output", "json",
        cwd=tmp_path,
    )  # fmt: skip
    report = json.loads(proc.stdout)
    flask = _data(report)["PYSEC-2023-62"]
    assert "epss_score" not in flask
    # Not even a denied attempt: the shipped policy would have refused nothing, the point is
    # that --osv-db means no network at all.
    assert not [
        e for e in report["sandbox"]["events"] if e.get("reason_code", "").startswith("net_")
    ]
