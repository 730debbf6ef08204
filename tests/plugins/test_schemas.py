"""The committed protocol/ schemas equal the generated ones and accept what bomhost really sends."""

from __future__ import annotations

import json
import tomllib
from pathlib import Path

import jsonschema
import pytest

from bomhost.model import Component, Hash
from bomhost.plugins.protocol import RunInfo, encode_request
from bomhost.plugins.schemas import main, render, schemas

PROTOCOL = Path(__file__).resolve().parents[2] / "protocol"
EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "plugins" / "banned-packages"


def load(name: str) -> dict[str, object]:
    return json.loads((PROTOCOL / name).read_text(encoding="utf-8"))  # type: ignore[no-any-return]


@pytest.mark.parametrize("name", sorted(schemas()))
def test_committed_schema_is_generated(name: str) -> None:
    committed = (PROTOCOL / name).read_text(encoding="utf-8")
    assert committed == render(schemas()[name]), "run: python -m bomhost.plugins.schemas"


def _request(protocol: int, event: str) -> object:
    comp = Component(
        name="left-pad",
        version="1.3.0",
        ecosystem="npm",
        purl="pkg:npm/left-pad@1.3.0",
        licenses=("MIT",),
        hashes=(Hash(alg="sha256", value="00ff"),),
    )
    data = encode_request(
        protocol=protocol,  # type: ignore[arg-type]
        component=comp,
        event=event,  # type: ignore[arg-type]
        before=comp if event == "version-changed" else None,
        config={"banned": ["pkg:npm/left-pad"]},
        run=RunInfo(bomhost_version="0.1.0", now_ms=0),
    )
    return json.loads(data)


def test_requests_validate() -> None:
    jsonschema.validate(_request(1, "added"), load("request-v1.schema.json"))
    jsonschema.validate(_request(1, "version-changed"), load("request-v1.schema.json"))
    jsonschema.validate(_request(2, "removed"), load("request-v2.schema.json"))
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate(_request(2, "removed"), load("request-v1.schema.json"))


def test_response_schema() -> None:
    schema = load("response.schema.json")
    good = {"findings": [{"kind": "k", "message": "m", "severity": "info", "rule_id": "r", "x": 1}]}
    jsonschema.validate(good, schema)
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate({"findings": [{"kind": "k", "severity": "fatal"}]}, schema)


def test_manifest_schema_accepts_the_example() -> None:
    schema = load("manifest.schema.json")
    example = tomllib.loads((EXAMPLE / "plugin.toml").read_text(encoding="utf-8"))
    jsonschema.validate(example, schema)
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate({"plugin": {"name": "x", "exec": "y", "timeout_ms": 0}}, schema)


def test_help_is_not_taken_for_a_folder(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:

    monkeypatch.chdir(tmp_path)
    assert main(["--help"]) == 0
    assert "usage: python -m bomhost.plugins.schemas" in capsys.readouterr().out
    assert list(tmp_path.iterdir()) == []
