"""JSON Schemas of the manifest and the wire protocol, generated from the pydantic models.

``python -m bomhost.plugins.schemas [DIR]`` writes them to ``protocol/`` (the default); a test
checks that the committed files equal what this module generates, so the schemas a plugin
author reads can never drift from what bomhost validates and sends.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict
from pydantic.json_schema import GenerateJsonSchema, JsonSchemaMode
from pydantic_core import core_schema

from bomhost.plugins.manifest import V1_EVENTS, PluginManifest
from bomhost.plugins.protocol import BatchResponse, RequestBatch, RequestV1, RequestV2, Response
from bomhost.policy.broker import HttpRequest

DRAFT = "https://json-schema.org/draft/2020-12/schema"
BASE_ID = "https://bomhost.dev/protocol/"


class ManifestFile(BaseModel):
    """A plugin manifest file: one ``[plugin]`` table (unknown keys warn, and are ignored)."""

    model_config = ConfigDict(extra="forbid")

    plugin: PluginManifest


class _AlwaysSent(GenerateJsonSchema):
    """Requests: bomhost always writes every field (defaults included), so all are required."""

    def field_is_required(
        self,
        field: core_schema.ModelField | core_schema.DataclassField | core_schema.TypedDictField,
        total: bool,
    ) -> bool:
        return True


def _schema(
    model: type[BaseModel],
    file: str,
    title: str,
    mode: JsonSchemaMode,
    generator: type[GenerateJsonSchema] = GenerateJsonSchema,
) -> dict[str, Any]:
    body = model.model_json_schema(mode=mode, schema_generator=generator)
    body["title"] = title
    return {"$schema": DRAFT, "$id": BASE_ID + file, **body}


def _open(node: Any) -> Any:
    """Drop ``additionalProperties: false``: plugins must accept fields added later."""
    if isinstance(node, dict):
        return {k: _open(v) for k, v in node.items() if (k, v) != ("additionalProperties", False)}
    if isinstance(node, list):
        return [_open(v) for v in node]
    return node


def _request(model: type[BaseModel], file: str, title: str) -> dict[str, Any]:
    schema: dict[str, Any] = _open(_schema(model, file, title, "serialization", _AlwaysSent))
    if model is RequestV1:  # the shared Event type also lists protocol 2's events
        schema["properties"]["event"]["enum"] = sorted(V1_EVENTS)
    return schema


def schemas() -> dict[str, dict[str, Any]]:
    """File name -> schema, for every file in ``protocol/``."""
    return {
        "manifest.schema.json": _schema(
            ManifestFile, "manifest.schema.json", "bomhost plugin manifest", "validation"
        ),
        "request-v1.schema.json": _request(
            RequestV1, "request-v1.schema.json", "Plugin request, protocol 1"
        ),
        "request-v2.schema.json": _request(
            RequestV2, "request-v2.schema.json", "Plugin request, protocol 2"
        ),
        "response.schema.json": _schema(
            Response, "response.schema.json", "Plugin response (protocols 1 and 2)", "validation"
        ),
        "request-batch.schema.json": _request(
            RequestBatch,
            "request-batch.schema.json",
            'Plugin request, protocol 2, invoke = "batch"',
        ),
        "response-batch.schema.json": _schema(
            BatchResponse,
            "response-batch.schema.json",
            'Plugin response, invoke = "batch"',
            "validation",
        ),
        "http-request.schema.json": _schema(
            HttpRequest,
            "http-request.schema.json",
            "bomdrift.http_request argument (WASM host function, protocol 2)",
            "validation",
        ),
    }


def render(schema: dict[str, Any]) -> str:
    """Stable text: same models, same bytes."""
    return json.dumps(schema, indent=2, ensure_ascii=False) + "\n"


def write(directory: Path) -> list[Path]:
    directory.mkdir(parents=True, exist_ok=True)
    written = []
    for name, schema in schemas().items():
        path = directory / name
        path.write_text(render(schema), encoding="utf-8")
        written.append(path)
    return written


def main(argv: list[str]) -> int:
    """``python -m bomhost.plugins.schemas [FOLDER]``: write the schemas (default ./protocol)."""
    if argv and argv[0].startswith("-"):
        print("usage: python -m bomhost.plugins.schemas [FOLDER]  (default: protocol)")
        return 0 if argv[0] in ("-h", "--help") else 2
    directory = Path(argv[0]) if argv else Path("protocol")
    for path in write(directory):
        print(path)
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
