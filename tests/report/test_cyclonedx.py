"""`--output cyclonedx`: a schema-valid CycloneDX 1.6 BOM of what the change brings in."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from cyclonedx.schema import SchemaVersion
from cyclonedx.validation.json import JsonStrictValidator

from bomhost.cli import run

ROOT = Path(__file__).resolve().parents[2]
SBOMS = ROOT / "tests" / "assets" / "sboms"
PROTON_OLD = SBOMS / "cdx12-proton-bridge-v1.6.3.bom.json"
PROTON_NEW = SBOMS / "cdx12-proton-bridge-v1.8.0.bom.json"
DEMO = ROOT / "examples" / "sboms"
BANNED = ROOT / "examples" / "plugins" / "banned-packages" / "plugin.toml"


def cyclonedx(capsys: pytest.CaptureFixture[str], *args: str | Path) -> str:
    assert run(["diff", *map(str, args), "--output", "cyclonedx"]) == 0
    return capsys.readouterr().out


def test_delta_bom_is_schema_valid_and_holds_only_what_changed(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("SOURCE_DATE_EPOCH", raising=False)
    text = cyclonedx(capsys, PROTON_OLD, PROTON_NEW)
    assert JsonStrictValidator(SchemaVersion.V1_6).validate_str(text) is None
    bom = json.loads(text)
    assert bom["specVersion"] == "1.6"
    # The 7 upgraded Go modules (README.txt of the public SBOMs), at their new versions.
    dns = [c for c in bom["components"] if c["name"] == "github.com/miekg/dns"]
    assert len(bom["components"]) == 7
    assert dns[0]["version"] == "v1.1.41"
    props = {p["name"]: p["value"] for p in dns[0]["properties"]}
    assert props == {
        "bomhost:change": "version-changed",
        "bomhost:direction": "upgrade",
        "bomhost:previous-version": "v1.1.30",
    }
    # The generator's SHA-256 of the new version is carried over.
    assert [h["alg"] for h in dns[0]["hashes"]] == ["SHA-256"]
    assert "timestamp" not in bom["metadata"]
    assert cyclonedx(capsys, PROTON_OLD, PROTON_NEW) == text


def test_plugin_findings_become_properties_and_epoch_stamps_it(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "86400")
    text = cyclonedx(capsys, DEMO / "old.cdx.json", DEMO / "new.cdx.json", "--plugin", BANNED)
    assert JsonStrictValidator(SchemaVersion.V1_6).validate_str(text) is None
    bom = json.loads(text)
    assert bom["metadata"]["timestamp"].startswith("1970-01-02T00:00:00")
    colorama = next(c for c in bom["components"] if c["name"] == "colorama")
    assert {"name": "bomhost:change", "value": "added"} in colorama["properties"]
    assert {
        "name": "bomhost:finding",
        "value": "banned-packages error banned/pkg:pypi/colorama: "
        "pkg:pypi/colorama@0.4.6 matches banned prefix pkg:pypi/colorama",
    } in colorama["properties"]
