"""The plugin wire protocol (versions 1 and 2): request envelope and response, for both runtimes.

Version 1 is bomdrift's envelope byte for byte (compact JSON, bomdrift's field order).
Version 2 adds ``config`` (the manifest's ``[plugin.config]``) and ``run`` (facts fixed for the
whole run). The response is the same in both: ``{"findings": [...]}``; unknown fields are
ignored, as plugins must ignore unknown request fields.
"""

from __future__ import annotations

from typing import Any, Literal, TypeVar

from pydantic import BaseModel, ConfigDict, Field, TypeAdapter, ValidationError, field_validator

from bomhost.model import Component, Event, Severity


class RunInfo(BaseModel):
    """Facts fixed for the whole run, so a plugin stays deterministic."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    bomhost_version: str
    now_ms: int = Field(description="The run's fixed 'now' (SOURCE_DATE_EPOCH-aware), in ms.")


class RequestV1(BaseModel):
    """bomdrift's request envelope, unchanged."""

    # Built on first use (schemas, tests): requests are encoded by RequestEncoder, so a run
    # never validates one and need not pay for the schema at import.
    model_config = ConfigDict(frozen=True, extra="forbid", defer_build=True)

    protocol_version: Literal[1] = 1
    component: Component
    event: Event
    before: Component | None = None


class RequestV2(BaseModel):
    """Protocol 2: version 1's fields plus ``config`` and ``run``."""

    # Built on first use (schemas, tests): requests are encoded by RequestEncoder, so a run
    # never validates one and need not pay for the schema at import.
    model_config = ConfigDict(frozen=True, extra="forbid", defer_build=True)

    protocol_version: Literal[2] = 2
    component: Component
    event: Event
    before: Component | None = None
    config: dict[str, Any] = Field(default_factory=dict)
    run: RunInfo


class BatchItem(BaseModel):
    """One component of a batch request; ``component_purl`` is what its findings must name."""

    # Built on first use (schemas, tests): requests are encoded by RequestEncoder, so a run
    # never validates one and need not pay for the schema at import.
    model_config = ConfigDict(frozen=True, extra="forbid", defer_build=True)

    component_purl: str = Field(description="The component's purl, else its name.")
    component: Component
    event: Event
    before: Component | None = None


class RequestBatch(BaseModel):
    """Protocol 2, ``invoke = "batch"``: every component of one chunk in one request."""

    # Built on first use (schemas, tests): requests are encoded by RequestEncoder, so a run
    # never validates one and need not pay for the schema at import.
    model_config = ConfigDict(frozen=True, extra="forbid", defer_build=True)

    protocol_version: Literal[2] = 2
    batch: tuple[BatchItem, ...]
    config: dict[str, Any] = Field(default_factory=dict)
    run: RunInfo


class ResponseFinding(BaseModel):
    """One finding as a plugin writes it; all four fields are required strings."""

    model_config = ConfigDict(frozen=True, extra="ignore")

    kind: str
    message: str
    severity: Severity
    rule_id: str
    data: dict[str, Any] | None = Field(
        default=None, description="Protocol 2: a JSON object of structured detail, optional."
    )

    @field_validator("data", mode="before")
    @classmethod
    def _object_or_nothing(cls, value: Any) -> Any:
        # Protocol 1 ignores unknown fields: a bomdrift plugin that happens to send a non-object
        # ``data`` must keep working, so anything but an object is dropped, not refused.
        return value if isinstance(value, dict) else None


def _text_or_nothing(value: Any) -> Any:
    # Like ``data``: protocol 1 ignores unknown fields, so a non-string ``error`` is dropped.
    return value if isinstance(value, str) and value.strip() else None


class Response(BaseModel):
    """What a plugin answers, in both protocol versions."""

    model_config = ConfigDict(frozen=True, extra="ignore")

    findings: tuple[ResponseFinding, ...]
    error: str | None = Field(
        default=None,
        description="Protocol 2: why the plugin could not do its whole job (a source offline); "
        "recorded as a plugin_reported error, the findings it did send are kept.",
    )

    _error = field_validator("error", mode="before")(_text_or_nothing)


class BatchFinding(ResponseFinding):
    """A finding in a batch response: it names the component it belongs to."""

    component_purl: str = Field(strict=True, description="The component_purl of a request item.")


class BatchResponse(BaseModel):
    """What a batch plugin answers: findings, each naming a component that was sent."""

    model_config = ConfigDict(frozen=True, extra="ignore")

    findings: tuple[BatchFinding, ...]
    error: str | None = Field(
        default=None,
        description="Protocol 2: as in a per-component response; it applies to every item.",
    )

    _error = field_validator("error", mode="before")(_text_or_nothing)


class BadResponse(ValueError):
    """The output is not a valid response; the message says why in one line."""


class TooManyFindings(BadResponse):
    """A valid response with more findings than one call may return (``output_too_large``)."""

    def __init__(self, count: int, limit: int) -> None:
        super().__init__(f"{count} findings, more than the {limit} one call may return")
        self.count = count
        self.limit = limit


# Findings one call may return, per component it carries (a batch call of n components may
# return n times as many). The byte caps (1 MiB stdout, max_output_bytes) bound the bytes; this
# bounds what the report keeps per call, since a short finding is ~60 bytes.
MAX_FINDINGS_PER_COMPONENT = 1_000


_CONFIG = TypeAdapter(dict[str, Any])
_R = TypeVar("_R", Response, BatchResponse)


class RequestEncoder:
    """Encodes one plugin's requests; built once per plugin per run, used from many threads.

    The bytes are exactly ``RequestV1/RequestV2(...).model_dump_json()`` (a test checks it), but
    the parts fixed for the whole run (``config``, ``run``) are serialised once here instead of
    on every call: request encoding is on the per-invocation hot path of the WASM runtime.
    """

    def __init__(self, protocol: Literal[1, 2], config: dict[str, Any], run: RunInfo) -> None:
        self.protocol = protocol
        self._head = b'{"protocol_version":%d,"component":' % protocol
        self._tail = b"}"
        if protocol == 2:
            self._tail = (
                b',"config":'
                + _CONFIG.dump_json(config)
                + b',"run":'
                + run.model_dump_json().encode()
                + b"}"
            )

    def encode(self, component: Component, event: Event, before: Component | None) -> bytes:
        """The compact JSON request for one call (no trailing newline)."""
        return b"".join(
            (
                self._head,
                component.__pydantic_serializer__.to_json(component),
                b',"event":"',
                event.encode(),
                b'","before":',
                b"null" if before is None else before.__pydantic_serializer__.to_json(before),
                self._tail,
            )
        )

    def encode_batch(self, items: list[tuple[str, Component, Event, Component | None]]) -> bytes:
        """The compact JSON request for one batch call: ``RequestBatch(...).model_dump_json()``."""
        parts = [b'{"protocol_version":2,"batch":[']
        for n, (subject, component, event, before) in enumerate(items):
            if n:
                parts.append(b",")
            parts += (
                b'{"component_purl":',
                _STR.dump_json(subject),
                b',"component":',
                component.__pydantic_serializer__.to_json(component),
                b',"event":"',
                event.encode(),
                b'","before":',
                b"null" if before is None else before.__pydantic_serializer__.to_json(before),
                b"}",
            )
        parts += (b"]", self._tail)
        return b"".join(parts)


_STR = TypeAdapter(str)


def encode_request(
    *,
    protocol: Literal[1, 2],
    component: Component,
    event: Event,
    before: Component | None,
    config: dict[str, Any],
    run: RunInfo,
) -> bytes:
    """The compact JSON request for one call; see ``RequestEncoder`` for repeated use."""
    return RequestEncoder(protocol, config, run).encode(component, event, before)


# Rust's ``str::trim`` (what bomdrift applies to stdout) removes Unicode White_Space, not only
# ASCII: a plugin that ends its output with U+00A0 or U+2028 works there, so it must work here.
_UNICODE_WS = (
    "\t\n\x0b\x0c\r \x85\xa0\u1680\u2000\u2001\u2002\u2003\u2004\u2005\u2006"
    "\u2007\u2008\u2009\u200a\u2028\u2029\u202f\u205f\u3000"
)


def _trim(data: bytes) -> bytes:
    text = data.strip()
    if text and (text[0] >= 0x80 or text[-1] >= 0x80):  # rare: only then decode
        try:
            return text.decode("utf-8").strip(_UNICODE_WS).encode("utf-8")
        except UnicodeDecodeError:
            return text  # not UTF-8: the parser names the problem
    return text


def decode_response(data: bytes) -> tuple[ResponseFinding, ...]:
    """Parse a plugin's whole (trimmed) output as one response, or raise ``BadResponse``.

    More than ``MAX_FINDINGS_PER_COMPONENT`` findings raise ``TooManyFindings``.
    """
    return _capped(_decode(data, Response).findings, MAX_FINDINGS_PER_COMPONENT)


def decode_response_error(data: bytes) -> tuple[tuple[ResponseFinding, ...], str | None]:
    """``decode_response`` plus the response's protocol-2 ``error`` (None when absent)."""
    response = _decode(data, Response)
    return _capped(response.findings, MAX_FINDINGS_PER_COMPONENT), response.error


def decode_batch_response(data: bytes, sent: frozenset[str]) -> tuple[BatchFinding, ...]:
    """A batch response whose every finding names a component in ``sent``, or ``BadResponse``.

    The findings cap is ``MAX_FINDINGS_PER_COMPONENT`` times the number of components sent.
    """
    return decode_batch_response_error(data, sent)[0]


def decode_batch_response_error(
    data: bytes, sent: frozenset[str]
) -> tuple[tuple[BatchFinding, ...], str | None]:
    """``decode_batch_response`` plus the response's protocol-2 ``error``."""
    response = _decode(data, BatchResponse)
    findings = _capped(response.findings, MAX_FINDINGS_PER_COMPONENT * max(len(sent), 1))
    for n, f in enumerate(findings):
        if f.component_purl not in sent:
            raise BadResponse(
                f"findings.{n}.component_purl {f.component_purl!r} names a component that was not sent"
            )
    return findings, response.error


_F = TypeVar("_F", ResponseFinding, BatchFinding)


def _capped(findings: tuple[_F, ...], limit: int) -> tuple[_F, ...]:
    if len(findings) > limit:
        raise TooManyFindings(len(findings), limit)
    return findings


def _decode(data: bytes, model: type[_R]) -> _R:
    text = _trim(data)
    if not text:
        raise BadResponse("empty output (expected one JSON value)")
    try:
        # One pass in pydantic-core: parse and validate together.
        return model.model_validate_json(text)
    except ValidationError as exc:
        first = exc.errors()[0]
        if first["type"] == "json_invalid":
            raise BadResponse(f"output is not one JSON value: {first['msg']}") from exc
        where = ".".join(str(p) for p in first["loc"]) or "response"
        raise BadResponse(f"invalid response at {where}: {first['msg']}") from exc
