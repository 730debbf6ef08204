"""The test-case format of ``bomhost plugin test``: one component, what the plugin may see, and
the findings it must answer.

A case file is TOML (``cases/*.toml``) or JSON (``cases/*.json``) holding one or more cases::

    [[case]]
    name = "a banned package is flagged"
    event = "added"                      # added | version-changed | removed | license-changed
    config = { banned = ["pkg:npm/left-pad"] }   # optional; merged over [plugin.config]
    component = { name = "left-pad", version = "1.3.0", ecosystem = "npm",
                  purl = "pkg:npm/left-pad@1.3.0" }
    # before = { ... }                   # the component before: version- and license-changed
    # files = { "banned.txt" = "pkg:npm/left-pad\\n" }   # readable by the plugin (relative paths)
    # [[case.http]]                      # answers of a real server on 127.0.0.1
    # path = "/v1/query"
    # body = '{"vulns": []}'

    [[case.expect]]                      # the findings, in order; `expect = []` for none
    kind = "banned"
    severity = "error"
    rule_id = "banned/pkg:npm/left-pad"
    message = "pkg:npm/left-pad@1.3.0 matches banned prefix pkg:npm/left-pad"

An expected finding may give ``data = {...}`` (protocol 2's structured detail): then every
finding's ``data`` in that case is compared too. Instead of ``expect``, ``error = "trap"`` (any ``error_kind``) says the call must fail that way.
A case that names neither is refused: a test that cannot fail is a defect.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from bomhost.errors import CaseError
from bomhost.model import Component, ErrorKind, Event, Severity
from bomhost.policy.model import HttpMethod
from bomhost.tomlfile import first_error, read_toml

# The run's "now" in a case unless it says otherwise: fixed, so findings that depend on the
# time (a package younger than a week) are the same on every machine and every day.
DEFAULT_NOW_MS = 1_700_000_000_000
# In a case's config, this string is replaced by the local HTTP server's base URL.
BASE_URL = "${base_url}"


class _Strict(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class HttpAnswer(_Strict):
    """One answer of the case's HTTP server (``http://127.0.0.1:<port>``, named ``${base_url}``)."""

    path: str = Field(pattern=r"^/", description="Request path with its query, e.g. /v1/q?a=1.")
    method: HttpMethod = "GET"
    status: int = Field(default=200, ge=100, le=599)
    body: str = ""
    headers: dict[str, str] = Field(default_factory=lambda: {"content-type": "application/json"})


class ExpectedFinding(_Strict):
    """A finding as the plugin must answer it (bomhost adds plugin_name and component_purl)."""

    kind: str
    severity: Severity
    rule_id: str
    message: str
    # Protocol 2's structured detail. Compared only in cases where some expected finding gives
    # it (then a finding without it must have none), so plain cases need not spell it out.
    data: dict[str, Any] | None = None


class Case(_Strict):
    """One call of the plugin and what it must answer."""

    name: str = Field(min_length=1)
    event: Event = "added"
    component: Component
    before: Component | None = None
    config: dict[str, Any] = Field(default_factory=dict)
    files: dict[str, str] = Field(default_factory=dict)
    http: tuple[HttpAnswer, ...] = ()
    expect: tuple[ExpectedFinding, ...] | None = None
    error: ErrorKind | None = None
    now_ms: int = Field(default=DEFAULT_NOW_MS, ge=0)

    @model_validator(mode="after")
    def _consistent(self) -> Case:
        if (self.expect is None) == (self.error is None):
            raise ValueError('give either expect = [...] (the findings) or error = "<error_kind>"')
        paired = self.event in ("version-changed", "license-changed")
        if paired and self.before is None:
            raise ValueError(f"event {self.event} needs before = {{...}} (the component before)")
        if not paired and self.before is not None:
            raise ValueError(f"event {self.event} has no before component")
        for path in self.files:
            parts = Path(path).parts
            if not path or Path(path).is_absolute() or ".." in parts:
                raise ValueError(f"files: {path!r} must be a relative path inside the case")
        return self


class CaseFile(_Strict):
    """A whole case file: ``[[case]]`` tables."""

    case: tuple[Case, ...] = Field(min_length=1)


class LoadedCase(BaseModel):
    """A case and the file it came from (for reports and JUnit's classname)."""

    model_config = ConfigDict(frozen=True)

    case: Case
    source: Path
    index: int


def load_cases(path: Path) -> list[LoadedCase]:
    """Every case of one file; ``CaseError`` with one line naming the file and key."""
    if path.suffix == ".json":
        try:
            raw: Any = json.loads(path.read_text(encoding="utf-8"))
        except OSError as exc:
            raise CaseError(f"{path}: cannot read cases: {exc.strerror or exc}") from exc
        except (UnicodeDecodeError, json.JSONDecodeError) as exc:
            raise CaseError(f"{path}: invalid JSON: {exc}") from exc
    else:
        raw = read_toml(path, "cases", CaseError)
    try:
        parsed = CaseFile.model_validate(raw)
    except ValidationError as exc:
        raise CaseError(f"{path}: {first_error(exc)}") from exc
    return [LoadedCase(case=c, source=path, index=i) for i, c in enumerate(parsed.case)]


def case_files(folder: Path) -> list[Path]:
    """The case files in a folder: ``*.toml`` and ``*.json``, sorted by name."""
    return sorted([*folder.glob("*.toml"), *folder.glob("*.json")])


def default_case_files(manifest: Path) -> list[Path]:
    """The cases beside a manifest: ``cases/*.toml`` and ``cases/*.json``."""
    return case_files(manifest.parent / "cases")


def collect(manifest: Path, given: list[str]) -> list[LoadedCase]:
    """The cases to run: the files (or folders of case files) given, else those beside it."""
    files: list[Path] = []
    for item in given:
        p = Path(item)
        files += case_files(p) if p.is_dir() else [p]
    if not given:
        files = default_case_files(manifest)
        if not files:
            raise CaseError(
                f"{manifest}: no test cases: write cases/*.toml beside the manifest, or name case files"
            )
    cases = [c for f in files for c in load_cases(f)]
    if not cases:
        raise CaseError(f"{', '.join(given)}: no case files there")
    return cases


def substitute(value: Any, base_url: str) -> Any:
    """``value`` with every ``${base_url}`` in its strings replaced (config overrides)."""
    if isinstance(value, str):
        return value.replace(BASE_URL, base_url)
    if isinstance(value, list):
        return [substitute(v, base_url) for v in value]
    if isinstance(value, dict):
        return {k: substitute(v, base_url) for k, v in value.items()}
    return value
