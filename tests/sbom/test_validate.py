"""`--validate`: strict CycloneDX schema validation on request, through the real CLI."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from bomhost.cli import run

ASSETS = Path(__file__).resolve().parent.parent / "assets" / "sboms"
PROTON = ASSETS / "cdx12-proton-bridge-v1.6.3.bom.json"


def test_real_sboms_pass_validation(capsys: pytest.CaptureFixture[str]) -> None:
    xml = ASSETS / "cdx14-laravel-7.12.0.bom.xml"
    assert run(["diff", str(PROTON), str(xml), "--validate", "--output", "json"]) == 0
    assert capsys.readouterr().err == ""


def test_schema_violation_is_one_line_only_when_asked(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # Lenient readers accept it (it has a name); CycloneDX 1.2 also requires "version".
    bad = tmp_path / "bad.json"
    doc = {"bomFormat": "CycloneDX", "specVersion": "1.2", "version": 1}
    doc["components"] = [{"type": "library", "name": "left-pad"}]
    bad.write_text(json.dumps(doc))
    assert run(["diff", str(PROTON), str(bad), "--output", "json"]) == 0
    capsys.readouterr()
    assert run(["diff", str(PROTON), str(bad), "--validate", "--output", "json"]) == 1
    err = capsys.readouterr().err.strip().splitlines()
    assert err == [
        f"bomhost: error: {bad}: not valid CycloneDX 1.2 at components.0: "
        "'version' is a required property"
    ]


def test_spdx_is_not_validated_and_says_so(capsys: pytest.CaptureFixture[str]) -> None:
    spdx = ASSETS / "spdx23-example11-hello-server.spdx.json"
    assert run(["diff", str(spdx), str(spdx), "--validate", "--output", "json"]) == 0
    assert (
        "--validate checks CycloneDX only; spdx-json was not validated" in capsys.readouterr().err
    )
