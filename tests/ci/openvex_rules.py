"""OpenVEX 0.2.0's document rules as a JSON Schema, for checking what ``--emit-vex`` writes.

The OpenVEX project publishes ``openvex_json_schema.json`` (0.2.0) in its spec repository; no
package on this machine ships it, so this is bomhost's own statement of the spec's normative
rules, in the same terms: the required document fields, the four statuses, the five
justification labels, ``not_affected`` needing exactly one of a justification or an impact
statement, and ``affected`` needing an action statement. When the upstream file is provided in
``shared/reference/openvex_json_schema.json`` the tests use it instead.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

UPSTREAM = Path(__file__).resolve().parents[3] / "shared" / "reference" / "openvex_json_schema.json"

RULES: dict[str, Any] = {
    "$schema": "https://json-schema.org/draft/2020-12/schema",
    "type": "object",
    "required": ["@context", "@id", "author", "timestamp", "version", "statements"],
    "additionalProperties": False,
    "properties": {
        "@context": {"type": "string"},
        "@id": {"type": "string"},
        "author": {"type": "string"},
        "role": {"type": "string"},
        "timestamp": {"type": "string", "format": "date-time"},
        "last_updated": {"type": "string"},
        "version": {"type": "integer", "minimum": 1},
        "tooling": {"type": "string"},
        "statements": {
            "type": "array",
            "minItems": 1,
            "uniqueItems": True,
            "items": {
                "type": "object",
                "required": ["vulnerability", "status"],
                "additionalProperties": False,
                "properties": {
                    "vulnerability": {
                        "type": "object",
                        "required": ["name"],
                        "additionalProperties": False,
                        "properties": {
                            "@id": {"type": "string"},
                            "name": {"type": "string"},
                            "description": {"type": "string"},
                            "aliases": {"type": "array", "items": {"type": "string"}},
                        },
                    },
                    "products": {
                        "type": "array",
                        "uniqueItems": True,
                        "items": {
                            "type": "object",
                            "properties": {"@id": {"type": "string"}},
                        },
                    },
                    "status": {
                        "enum": ["not_affected", "affected", "fixed", "under_investigation"]
                    },
                    "status_notes": {"type": "string"},
                    "justification": {
                        "enum": [
                            "component_not_present",
                            "vulnerable_code_not_present",
                            "vulnerable_code_not_in_execute_path",
                            "vulnerable_code_cannot_be_controlled_by_adversary",
                            "inline_mitigations_already_exist",
                        ]
                    },
                    "impact_statement": {"type": "string"},
                    "action_statement": {"type": "string"},
                    "timestamp": {"type": "string"},
                    "supplier": {"type": "string"},
                },
                "allOf": [
                    {
                        "if": {"properties": {"status": {"const": "not_affected"}}},
                        "then": {
                            "oneOf": [
                                {
                                    "required": ["justification"],
                                    "not": {"required": ["impact_statement"]},
                                },
                                {
                                    "required": ["impact_statement"],
                                    "not": {"required": ["justification"]},
                                },
                            ]
                        },
                    },
                    {
                        "if": {"properties": {"status": {"const": "affected"}}},
                        "then": {"required": ["action_statement"]},
                    },
                ],
            },
        },
    },
}


def openvex_schema() -> dict[str, Any]:
    """The upstream schema when provided, else the rules above."""
    if UPSTREAM.is_file():
        doc: dict[str, Any] = json.loads(UPSTREAM.read_text(encoding="utf-8"))
        return doc
    return RULES
