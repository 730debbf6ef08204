"""What bomdrift users parse in reports and CI: SARIF, Markdown, --fail-on, exit codes, flags."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import cmarkgfm
import pytest
from cmarkgfm.cmark import Options

from bomhost.report.markdown import render_markdown
from bomhost.report.model import Enrichment
from tests.compat.helpers import bomhost, cdx, install, write_manifest, write_pair
from tests.report.factories import empty_report

PLUGIN = "banned-packages"


@pytest.fixture
def setup(tmp_path: Path) -> tuple[Path, Path, Path]:
    old, new = write_pair(tmp_path)
    install(tmp_path, "banned.py")
    manifest = write_manifest(tmp_path, f'[plugin]\nname = "{PLUGIN}"\nexec = "banned.py"\n')
    return old, new, manifest


def test_sarif_plugin_results_as_bomdrift(setup: tuple[Path, Path, Path]) -> None:
    old, new, manifest = setup
    proc = bomhost("diff", old, new, "--plugin", manifest, "--output", "sarif")
    assert proc.returncode == 0, proc.stderr
    results = [
        r for r in json.loads(proc.stdout)["runs"][0]["results"] if r["ruleId"] == "bomdrift.plugin"
    ]
    purl = "pkg:golang/github.com/x/left-pad@1.0.0"
    banned = results[0]
    assert banned["level"] == "error"
    assert banned["message"]["text"] == f"{PLUGIN} (banned): left-pad is banned"
    assert banned["locations"] == [{"physicalLocation": {"artifactLocation": {"uri": "sbom"}}}]
    identity = f"bomdrift.plugin|{PLUGIN}|{purl}|banned/left-pad".encode()
    assert banned["partialFingerprints"] == {"primaryHash/v1": hashlib.sha256(identity).hexdigest()}
    assert banned["properties"] == {
        "pluginName": PLUGIN,
        "findingKind": "banned",
        "ruleId": "banned/left-pad",
        "purl": purl,
        "severity": "error",
    }
    assert results[1]["level"] == "note"  # info -> note


def test_markdown_plugin_section_as_bomdrift(setup: tuple[Path, Path, Path]) -> None:
    old, new, manifest = setup
    proc = bomhost("diff", old, new, "--plugin", manifest, "--output", "markdown")
    assert proc.returncode == 0, proc.stderr
    md = proc.stdout
    assert "| Plugin findings | 2 |\n" in md
    section = md.split("### Plugin findings (2)\n\n<details><summary>Show details</summary>\n\n")[1]
    assert f"**{PLUGIN}** (2)\n\n" in section
    # bomdrift's row, byte for byte: "- <badge> · `purl` · kind — message (`rule_id`)".
    assert (
        "- ❌ error · `pkg:golang/github.com/x/left-pad@1.0.0` · banned — left-pad is banned"
        " (`banned/left-pad`)\n"
    ) in section
    # Free text (kind, message) is escaped so a plugin cannot inject HTML or Markdown: the raw
    # bytes differ from bomdrift's there ("->" is "-&gt;"), what GitHub shows does not.
    row = "- \u2139\ufe0f info · `pkg:npm/lodash@4.17.21` · bump — 4.17.20 -&gt; 4.17.21 (`bump`)\n"
    assert row in section
    assert "bump — 4.17.20 -&gt; 4.17.21" in cmarkgfm.github_flavored_markdown_to_html(row)


def test_hostile_identifiers_stay_inside_their_code_span() -> None:
    from bomhost.model import Finding

    finding = Finding(
        plugin_name="p",
        component_purl="pkg:npm/a@1` <img src=x onerror=alert(1)> `",
        kind="k",
        message="m",
        severity="warning",
        rule_id="``r``",
    )
    md = render_markdown(
        empty_report().model_copy(update={"enrichment": Enrichment(plugin_findings=(finding,))})
    )
    html = cmarkgfm.github_flavored_markdown_to_html(md, options=Options.CMARK_OPT_UNSAFE)
    assert "<img" not in html
    assert "<code>pkg:npm/a@1` &lt;img src=x onerror=alert(1)&gt; `</code>" in html
    assert "<code>``r``</code>" in html


@pytest.mark.parametrize(
    ("fail_on", "status"),
    [("none", 0), ("any", 2), ("license-change", 0)],
)
def test_bomdrift_fail_on_values_bomhost_shares(
    setup: tuple[Path, Path, Path], fail_on: str, status: int
) -> None:
    old, new, manifest = setup
    proc = bomhost("diff", old, new, "--plugin", manifest, "--fail-on", fail_on)
    assert proc.returncode == status, proc.stderr
    assert proc.stdout.startswith("## SBOM diff")  # the report is written before exit 2


SIGNAL_NAMES = ("cve-low", "cve-high", "cve-kev", "typosquat", "licensed", "fresh", "old-news")


@pytest.fixture
def signal_run(tmp_path: Path) -> tuple[Path, Path, Path]:
    """old/new SBOMs where each added component draws one signal from a real plugin process."""
    old = tmp_path / "old.json"
    new = tmp_path / "new.json"
    old.write_text(cdx())
    new.write_text(
        cdx(
            *(
                {"type": "library", "name": n, "version": "1.0.0", "purl": f"pkg:npm/{n}@1.0.0"}
                for n in SIGNAL_NAMES
            )
        )
    )
    install(tmp_path, "signals.py")
    manifest = write_manifest(
        tmp_path,
        '[plugin]\nname = "signals"\nexec = "./signals.py"\nprotocol_version = 2\n',
    )
    return old, new, manifest


@pytest.mark.parametrize(
    ("fail_on", "drop", "reason"),
    [
        ("cve", (), "3 known vulnerability finding(s)"),
        ("critical-cve", (), "1 vulnerability finding(s) of severity HIGH or CRITICAL"),
        ("kev", (), "1 vulnerability finding(s) in the CISA KEV catalogue"),
        ("typosquat", (), "1 possible typosquat(s)"),
        ("license-violation", (), "1 licence policy violation(s)"),
        ("recently-published", (), "1 recently published component(s)"),
        ("deprecated", (), "1 deprecated component(s)"),
        # Each trips on its own kind only: without that component, exit 0.
        ("critical-cve", ("cve-high",), None),
        ("kev", ("cve-kev",), None),
        ("typosquat", ("typosquat",), None),
        ("deprecated", ("old-news",), None),
    ],
)
def test_bomdrift_signal_fail_on_values_gate_on_findings_of_their_kind(
    signal_run: tuple[Path, Path, Path], fail_on: str, drop: tuple[str, ...], reason: str | None
) -> None:
    old, new, manifest = signal_run
    doc = json.loads(new.read_text())
    doc["components"] = [c for c in doc["components"] if c["name"] not in drop]
    new.write_text(json.dumps(doc))
    proc = bomhost("diff", old, new, "--plugin", manifest, "--fail-on", fail_on, "--output", "json")
    gates = json.loads(proc.stdout)["gates"]
    if reason is None:
        assert proc.returncode == 0, proc.stderr
        assert gates == []
    else:
        assert proc.returncode == 2, proc.stderr
        assert gates == [{"option": f"--fail-on {fail_on}", "reason": reason}]
        assert f"bomhost: gate tripped: --fail-on {fail_on}: {reason}" in proc.stderr


@pytest.mark.parametrize(("threshold", "status"), [("0.7", 2), ("0.5", 2), ("0.71", 0)])
def test_fail_on_epss_trips_at_or_above_the_threshold(
    signal_run: tuple[Path, Path, Path], threshold: str, status: int
) -> None:
    old, new, manifest = signal_run
    proc = bomhost("diff", old, new, "--plugin", manifest, "--fail-on-epss", threshold)
    assert proc.returncode == status, proc.stderr
    if status:
        assert f"gate tripped: --fail-on-epss {threshold}: 1 vulnerability" in proc.stderr


def test_fail_on_epss_out_of_range_is_a_usage_error(signal_run: tuple[Path, Path, Path]) -> None:
    old, new, _ = signal_run
    proc = bomhost("diff", old, new, "--fail-on-epss", "1.5")
    assert proc.returncode == 1
    assert "expected a float in 0.0..=1.0" in proc.stderr
    assert "Traceback" not in proc.stderr


def test_bomdrift_offline_switches_are_accepted(setup: tuple[Path, Path, Path]) -> None:
    old, new, manifest = setup
    proc = bomhost(
        "diff",
        old,
        new,
        "--plugin",
        manifest,
        "--no-osv",
        "--no-osv-cache",
        "--no-epss",
        "--no-kev",
        "--no-maintainer-age",
        "--no-registry",
        "--output",
        "json",
    )
    assert proc.returncode == 0, proc.stderr
    assert len(json.loads(proc.stdout)["enrichment"]["plugin_findings"]) == 2


def test_default_output_into_a_file_is_markdown_when_not_a_tty(tmp_path: Path) -> None:
    # bomdrift's CI usage: `bomdrift diff a b --output-file comment.md`, then post the file.
    old, new = write_pair(tmp_path)
    out = tmp_path / "comment.md"
    proc = bomhost("diff", old, new, "--output-file", out)
    assert proc.returncode == 0, proc.stderr
    assert out.read_text().startswith("## SBOM diff\n")
    text = tmp_path / "report.txt"
    assert bomhost("diff", old, new, "--output", "terminal", "--output-file", text).returncode == 0
    assert text.read_text().startswith("bomhost v")


@pytest.mark.parametrize(
    ("value", "generated_at"),
    [("1700000000", "2023-11-14T22:13:20Z"), (" 1700000000\n", "2023-11-14T22:13:20Z"), ("", None)],
)
def test_source_date_epoch_read_as_bomdrift(
    tmp_path: Path, value: str, generated_at: str | None
) -> None:
    old, new = write_pair(tmp_path)
    proc = bomhost("diff", old, new, "--output", "json", env={"SOURCE_DATE_EPOCH": value})
    assert proc.returncode == 0, proc.stderr
    assert json.loads(proc.stdout)["generated_at"] == generated_at


def test_source_date_epoch_out_of_range_is_one_line(tmp_path: Path) -> None:
    old, new = write_pair(tmp_path)
    proc = bomhost("diff", old, new, env={"SOURCE_DATE_EPOCH": "99999999999999999999"})
    assert proc.returncode == 1
    assert (
        proc.stderr
        == "bomhost: error: SOURCE_DATE_EPOCH is out of range (years 1 to 9999): 99999999999999999999\n"
    )
