"""The JSON report keeps bomdrift's field names and pair shapes, and reads back into the same Report."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from bomhost.errors import ReportError
from bomhost.report.json import load_report, parse_report, render_json
from tests.report.factories import empty_report, rich_report

COMPONENT_KEYS = [
    "name",
    "version",
    "ecosystem",
    "purl",
    "licenses",
    "supplier",
    "hashes",
    "relationship",
    "source_url",
    "bom_ref",
]


def test_changes_use_bomdrift_names_and_pair_shapes() -> None:
    doc = json.loads(render_json(rich_report()))
    changes = doc["changes"]

    assert list(doc)[:2] == ["changes", "enrichment"]
    assert list(changes)[:4] == ["added", "removed", "version_changed", "license_changed"]
    assert list(changes["added"][0]) == COMPONENT_KEYS
    assert changes["added"][0]["purl"] == "pkg:npm/left-pad@1.3.0"
    assert changes["added"][0]["hashes"] == [
        {"alg": "sha1", "value": "0f3a8b8c5e9d0a1b2c3d4e5f60718293a4b5c6d7"}
    ]
    assert changes["removed"][0]["name"] == "six"

    pair = changes["version_changed"][0]
    assert isinstance(pair, list)
    assert len(pair) == 2
    assert [pair[0]["version"], pair[1]["version"]] == ["v2.3.0", "v2.6.0"]
    lic = changes["license_changed"][0]
    assert [lic[0]["licenses"], lic[1]["licenses"]] == [["MIT"], ["GPL-3.0-only"]]


def test_version_directions_line_up_with_version_changed() -> None:
    changes = json.loads(render_json(rich_report()))["changes"]

    assert changes["version_directions"] == [
        {
            "component": "pkg:golang/github.com/go-resty/resty/v2@v2.6.0",
            "before": "v2.3.0",
            "after": "v2.6.0",
            "direction": "upgrade",
        },
        {
            "component": "pkg:npm/lodash@4.17.20",
            "before": "4.17.21",
            "after": "4.17.20",
            "direction": "downgrade",
        },
    ]
    for pair, direction in zip(
        changes["version_changed"], changes["version_directions"], strict=True
    ):
        assert pair[1]["version"] == direction["after"]


def test_enrichment_and_bomhost_extras() -> None:
    doc = json.loads(render_json(rich_report()))

    assert doc["enrichment"]["plugin_findings"][0] == {
        "plugin_name": "banned-packages",
        "component_purl": "pkg:npm/left-pad@1.3.0",
        "kind": "banned",
        "message": "left-pad is banned",
        "severity": "error",
        "rule_id": "banned/left-pad",
    }
    assert doc["enrichment"]["plugin_errors"] == [
        {
            "plugin_name": "slow-scanner",
            "component_purl": "pkg:npm/left-pad@1.3.0",
            "error_kind": "timeout",
            "message": "no answer within 5000 ms; killed",
        }
    ]
    assert doc["changes"]["hash_changed"][0]["algorithms"] == ["sha256"]
    assert doc["summary"] == {
        "added": 2,
        "removed": 1,
        "version_changed": 2,
        "downgrades": 1,
        "license_changed": 1,
        "hash_changed": 1,
        "plugin_findings": 3,
        "plugin_errors": 1,
        "sandbox_denials": 1,
        "gates_tripped": 1,
    }
    assert doc["gates"] == [{"option": "--fail-on any", "reason": "3 plugin findings"}]
    assert doc["warnings"] == ["plugin banned-packages: unknown manifest key 'timeout' ignored"]
    assert set(doc["sandbox"]) == {"events", "stats", "logs"}
    assert doc["old"]["path"] == "old.cdx.json"
    assert doc["bomhost_version"] == "0.1.0"
    assert doc["generated_at"] == "2024-01-02T03:04:05Z"


def test_free_form_dicts_are_emitted_in_sorted_order() -> None:
    doc = json.loads(render_json(rich_report()))

    # Both were built in non-sorted insertion order.
    assert list(doc["sandbox"]["stats"]) == ["age-check", "slow-scanner"]
    assert list(doc["sandbox"]["events"][0]["context"]) == ["host", "port"]


def test_pretty_printed_like_serde_with_trailing_newline() -> None:
    text = render_json(empty_report())

    assert text.startswith('{\n  "changes": {\n    "added": [],\n')
    assert text.endswith("}\n")
    assert not text.endswith("\n\n")


def test_non_ascii_is_written_as_utf8_not_escaped() -> None:
    report = rich_report()
    renamed = report.changes.added[0].model_copy(update={"name": "läft-päd"})
    changes = report.changes.model_copy(update={"added": (renamed,)})
    text = render_json(report.model_copy(update={"changes": changes}))

    assert '"name": "läft-päd"' in text


def test_render_is_deterministic() -> None:
    assert render_json(rich_report()) == render_json(rich_report())


def test_round_trip_gives_back_the_same_report() -> None:
    report = rich_report()

    assert parse_report(render_json(report)) == report
    assert parse_report(render_json(empty_report())) == empty_report()


def test_load_report_reads_a_file(tmp_path: Path) -> None:
    path = tmp_path / "report.json"
    path.write_text(render_json(rich_report()), encoding="utf-8")

    loaded = load_report(path)

    assert loaded.sandbox.events[0].reason_code == "host_not_allowed"
    assert loaded.changes.version_changed[1].direction == "downgrade"


@pytest.mark.parametrize(
    ("content", "expected"),
    [
        ("{not json", "not valid JSON (line 1, column 2"),
        ("[1, 2]", "not a bomhost JSON report"),
        ('{"changes": {"added": [], "removed": []}, "enrichment": {}}', "not a bomhost JSON"),
        (
            '{"changes": {"added": [{"version": "1"}]}, "bomhost_version": "0.1.0"}',
            "not a valid bomhost JSON report: ",
        ),
        (
            '{"changes": {"version_changed": [[{}]]}, "bomhost_version": "0.1.0"}',
            "[before, after] pair",
        ),
    ],
)
def test_bad_report_files_give_one_line_errors(tmp_path: Path, content: str, expected: str) -> None:
    path = tmp_path / "bad.json"
    path.write_text(content, encoding="utf-8")

    with pytest.raises(ReportError) as info:
        load_report(path)

    message = str(info.value)
    assert message.startswith(f"{path}: ")
    assert expected in message
    assert "\n" not in message


def test_missing_report_file(tmp_path: Path) -> None:
    with pytest.raises(ReportError, match="cannot read report: No such file or directory"):
        load_report(tmp_path / "absent.json")


def test_bomdrift_consumer_view_of_a_real_report_file(tmp_path: Path) -> None:
    """What a script written for bomdrift's JSON does: index pairs, iterate findings."""
    doc = json.loads(render_json(rich_report()))

    bumped = {
        after["name"]: (before["version"], after["version"])
        for before, after in doc["changes"]["version_changed"]
    }
    rules = sorted(f["rule_id"] for f in doc["enrichment"]["plugin_findings"])

    assert bumped["lodash"] == ("4.17.21", "4.17.20")
    assert rules == ["age/fresh", "banned/left-pad", "banned/lodash"]
