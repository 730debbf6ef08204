"""The plugin wire protocol (versions 1 and 2): request envelope and response, for both runtimes.

Version 1 is bomdrift's envelope byte for byte (compact JSON, bomdrift's field order).
Version 2 adds ``config`` (the manifest's ``[plugin.config]``) and ``run`` (facts fixed for the
whole run). The response is the same in both: ``{"findings": [...]}``; unknown fields are
ignored, as plugins must ignore unknown request fields.
"""

from __future__ import annotations

import json
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from bomhost.model import Component, Event, Severity


class RunInfo(BaseModel):
    """Facts fixed for the whole run, so a plugin stays deterministic."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    bomhost_version: str
    now_ms: int = Field(description="The run's fixed 'now' (SOURCE_DATE_EPOCH-aware), in ms.")


class RequestV1(BaseModel):
    """bomdrift's request envelope, unchanged."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    protocol_version: Literal[1] = 1
    component: Component
    event: Event
    before: Component | None = None


class RequestV2(BaseModel):
    """Protocol 2: version 1's fields plus ``config`` and ``run``."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    protocol_version: Literal[2] = 2
    component: Component
    event: Event
    before: Component | None = None
    config: dict[str, Any] = Field(default_factory=dict)
    run: RunInfo


class ResponseFinding(BaseModel):
    """One finding as a plugin writes it; all four fields are required strings."""

    model_config = ConfigDict(frozen=True, extra="ignore")

    kind: str
    message: str
    severity: Severity
    rule_id: str


class Response(BaseModel):
    """What a plugin answers, in both protocol versions."""

    model_config = ConfigDict(frozen=True, extra="ignore")

    findings: tuple[ResponseFinding, ...]


class BadResponse(ValueError):
    """The output is not a valid response; the message says why in one line."""


def encode_request(
    *,
    protocol: Literal[1, 2],
    component: Component,
    event: Event,
    before: Component | None,
    config: dict[str, Any],
    run: RunInfo,
) -> bytes:
    """The compact JSON request for one call (no trailing newline)."""
    req: RequestV1 | RequestV2
    if protocol == 1:
        req = RequestV1(component=component, event=event, before=before)
    else:
        req = RequestV2(component=component, event=event, before=before, config=config, run=run)
    return req.model_dump_json().encode()


def decode_response(data: bytes) -> tuple[ResponseFinding, ...]:
    """Parse a plugin's whole (trimmed) output as one response, or raise ``BadResponse``."""
    text = data.strip()
    if not text:
        raise BadResponse("empty output (expected one JSON value)")
    try:
        value = json.loads(text)
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise BadResponse(f"output is not one JSON value: {exc}") from exc
    try:
        return Response.model_validate(value).findings
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(p) for p in first["loc"]) or "response"
        raise BadResponse(f"invalid response at {where}: {first['msg']}") from exc
