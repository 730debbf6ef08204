"""SARIF output validates against the official 2.1.0 schema and matches bomdrift's plugin results."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import Any

import jsonschema
import pytest

from bomhost.report.sarif import render_sarif
from tests.report.factories import empty_report, rich_report

SCHEMA_PATH = Path(__file__).parent.parent / "assets" / "sarif-schema-2.1.0.json"


@pytest.fixture(scope="module")
def validator() -> jsonschema.Draft4Validator:
    schema = json.loads(SCHEMA_PATH.read_text(encoding="utf-8"))
    jsonschema.Draft4Validator.check_schema(schema)
    return jsonschema.Draft4Validator(schema)


def _results(doc: dict[str, Any], rule_id: str) -> list[dict[str, Any]]:
    return [r for r in doc["runs"][0]["results"] if r["ruleId"] == rule_id]


def _sha256(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()


@pytest.mark.parametrize("factory", [rich_report, empty_report])
def test_output_is_schema_valid(validator: jsonschema.Draft4Validator, factory: Any) -> None:
    doc = json.loads(render_sarif(factory()))

    errors = sorted(validator.iter_errors(doc), key=str)
    assert errors == []
    assert doc["version"] == "2.1.0"


def test_the_validator_does_reject_broken_sarif(validator: jsonschema.Draft4Validator) -> None:
    doc = json.loads(render_sarif(rich_report()))
    doc["runs"][0]["results"][0]["level"] = "critical"

    assert not validator.is_valid(doc)


def test_plugin_findings_match_bomdrift_exactly() -> None:
    doc = json.loads(render_sarif(rich_report()))
    plugin = _results(doc, "bomdrift.plugin")

    assert [r["level"] for r in plugin] == ["error", "warning", "note"]
    first = plugin[0]
    assert first["message"]["text"] == "banned-packages (banned): left-pad is banned"
    # The after SBOM as given on the command line (bomdrift writes the placeholder "sbom").
    assert first["locations"] == [
        {"physicalLocation": {"artifactLocation": {"uri": "new.cdx.json"}}}
    ]
    expected = _sha256("bomdrift.plugin|banned-packages|pkg:npm/left-pad@1.3.0|banned/left-pad")
    assert first["partialFingerprints"] == {"primaryHash/v1": expected}
    assert first["properties"] == {
        "pluginName": "banned-packages",
        "findingKind": "banned",
        "ruleId": "banned/left-pad",
        "purl": "pkg:npm/left-pad@1.3.0",
        "severity": "error",
    }


def test_license_change_result_as_bomdrift_renders_it() -> None:
    doc = json.loads(render_sarif(rich_report()))
    (lic,) = _results(doc, "bomdrift.license-change")

    assert lic["level"] == "warning"
    assert lic["message"]["text"].startswith(
        '`axios` license changed at the same version: ["MIT"] -> ["GPL-3.0-only"].'
    )
    expected = _sha256("bomdrift.license-change|pkg:npm/axios@1.14.0|MIT|GPL-3.0-only")
    assert lic["partialFingerprints"]["primaryHash/v1"] == expected


def test_bomhost_rules_for_hash_changes_and_plugin_errors() -> None:
    doc = json.loads(render_sarif(rich_report()))
    (hashed,) = _results(doc, "bomhost.hash-changed")
    (failed,) = _results(doc, "bomhost.plugin-error")

    assert hashed["level"] == "warning"
    assert hashed["properties"]["algorithms"] == ["sha256"]
    assert failed["level"] == "warning"
    assert failed["message"]["text"] == (
        "slow-scanner failed on pkg:npm/left-pad@1.3.0 (timeout): no answer within 5000 ms; killed"
    )
    expected = _sha256("bomhost.plugin-error|slow-scanner|pkg:npm/left-pad@1.3.0|timeout")
    assert failed["partialFingerprints"]["primaryHash/v1"] == expected


def test_rules_are_stable_and_results_point_at_them() -> None:
    doc = json.loads(render_sarif(rich_report()))
    rules = doc["runs"][0]["tool"]["driver"]["rules"]
    rule_ids = [r["id"] for r in rules]

    # bomdrift's ten rules in its order (render/sarif/rules.rs), then bomhost's own.
    assert rule_ids == [
        "bomdrift.cve",
        "bomdrift.typosquat",
        "bomdrift.version-jump",
        "bomdrift.young-maintainer",
        "bomdrift.license-change",
        "bomdrift.license-violation",
        "bomdrift.recently-published",
        "bomdrift.deprecated",
        "bomdrift.maintainer-set-changed",
        "bomdrift.plugin",
        "bomhost.hash-changed",
        "bomhost.downgrade",
        "bomhost.plugin-error",
    ]
    for result in doc["runs"][0]["results"]:
        assert rule_ids[result["ruleIndex"]] == result["ruleId"]
    # Rules are listed even when nothing fired (Code Scanning enumerates them separately).
    empty = json.loads(render_sarif(empty_report()))
    assert [r["id"] for r in empty["runs"][0]["tool"]["driver"]["rules"]] == rule_ids
    assert empty["runs"][0]["results"] == []


def test_sandbox_denials_and_plain_churn_are_not_results() -> None:
    doc = json.loads(render_sarif(rich_report()))

    assert sorted({r["ruleId"] for r in doc["runs"][0]["results"]}) == [
        "bomdrift.license-change",
        "bomdrift.plugin",
        "bomhost.downgrade",
        "bomhost.hash-changed",
        "bomhost.plugin-error",
    ]
    assert len(doc["runs"][0]["results"]) == 7


def test_fingerprints_survive_a_changed_error_message() -> None:
    report = rich_report()
    error = report.enrichment.plugin_errors[0].model_copy(
        update={"message": "no answer within 5000 ms; killed after 5012 ms"}
    )
    other = report.model_copy(
        update={"enrichment": report.enrichment.model_copy(update={"plugin_errors": (error,)})}
    )

    def fp(r: Any) -> str:
        doc = json.loads(render_sarif(r))
        return str(_results(doc, "bomhost.plugin-error")[0]["partialFingerprints"])

    assert fp(report) == fp(other)


def test_render_is_deterministic_and_pretty() -> None:
    text = render_sarif(rich_report())

    assert text == render_sarif(rich_report())
    assert text.startswith('{\n  "$schema": ')
    assert text.endswith("}\n")
