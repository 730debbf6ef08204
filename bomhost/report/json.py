"""The JSON report: bomdrift's ``changes``/``enrichment`` shape plus bomhost's extra keys, and its reader.

Shape (keys in this order)::

    {
      "changes": {
        "added": [Component], "removed": [Component],      # bomdrift, unchanged
        "version_changed": [[before, after]],              # bomdrift's pairs, unchanged
        "license_changed": [[before, after]],              # bomdrift's pairs, unchanged
        "version_directions": [{"component", "before", "after", "direction"}],  # bomhost
        "hash_changed": [{"before", "after", "algorithms"}]                      # bomhost
      },
      "enrichment": {"plugin_findings": [...], "plugin_errors": [...]},
      "summary": {...}, "gates": [...], "warnings": [...],
      "sandbox": {"events": [...], "stats": {...}, "logs": [...]},
      "old": SbomInfo, "new": SbomInfo, "bomhost_version": "...", "generated_at": "..."
    }

``version_directions[i]`` describes ``version_changed[i]``: a separate, index-aligned list keeps
bomdrift's pair shape byte-for-byte (consumers index ``[0]``/``[1]``) while still letting a jq user
write ``.changes.version_directions[] | select(.direction == "downgrade")`` without pairing up two
arrays. bomdrift's own enrichers (vulns, typosquats, ...) are not emitted: bomhost does not run them,
and an empty ``vulns`` would read as "checked, nothing found".

Pretty-printed like serde_json's ``to_string_pretty`` (2-space indent, ``": "``, UTF-8 unescaped)
plus a trailing newline. ``parse_report``/``load_report`` read it back into the exact ``Report``.
"""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Any

import orjson
from pydantic import ValidationError

from bomhost.errors import ReportError
from bomhost.model import Component, Finding
from bomhost.report.model import Report
from bomhost.report.summary import summarize


def dumps_pretty(value: Any) -> str:
    """serde_json-style pretty JSON with a trailing newline (shared with the SARIF renderer).

    The bytes are those of ``json.dumps(value, indent=2, ensure_ascii=False, allow_nan=False)``
    (tests/report/test_dumps_pretty.py compares them on generated values and every report
    shape), written by orjson's 2-space indent about ten times faster. Where orjson writes
    differently, the value is prepared first (``_exact``): a float is handed over as the text
    of Python's ``repr`` (orjson writes ``1.17e-05`` as ``0.0000117``). What orjson cannot
    write the same way at all (an integer past 64 bits, a non-string key, NaN, a lone
    surrogate) takes the stdlib path, which also raises exactly as before.
    """
    try:
        return orjson.dumps(_exact(value), option=orjson.OPT_INDENT_2).decode() + "\n"
    except (TypeError, _Stdlib):  # orjson.JSONEncodeError is a TypeError
        pass
    return json.dumps(value, indent=2, ensure_ascii=False, allow_nan=False) + "\n"


class _Stdlib(Exception):
    """A value only the stdlib writes the expected way."""


_I64_MIN = -(2**63)
_U64_MAX = 2**64 - 1


def _exact(value: Any) -> Any:
    """``value`` with every float as an ``orjson.Fragment`` of its ``repr`` (see dumps_pretty)."""
    kind = type(value)
    if kind is str or kind is bool or value is None:
        return value
    if kind is dict:
        out: dict[str, Any] = {}
        for k, v in value.items():
            if type(k) is not str:
                raise _Stdlib
            out[k] = _exact(v)
        return out
    if kind is list or kind is tuple:
        return [_exact(v) for v in value]
    if kind is float:
        if not math.isfinite(value):
            raise _Stdlib
        return orjson.Fragment(float.__repr__(value))
    if kind is int:
        if not _I64_MIN <= value <= _U64_MAX:
            raise _Stdlib
        return value
    raise _Stdlib  # subclasses and anything else: the stdlib decides


def _component(c: Component) -> dict[str, Any]:
    """``c.model_dump(mode="json")``, built from the fields directly (a test checks they agree).

    Every field is a str, None or a tuple of str, except ``hashes`` (models of two strs).
    """
    d = dict(c.__dict__)
    d["licenses"] = list(d["licenses"])
    d["hashes"] = [dict(h.__dict__) for h in c.hashes]
    return d


def _finding(f: Finding) -> dict[str, Any]:
    """bomdrift's six fields; ``data`` only when a plugin sent it, keys sorted for stable bytes."""
    out = f.model_dump(mode="json", exclude={"data"})
    if f.data is not None:
        out["data"] = _sorted_keys(f.data)
    return out


def _sorted_keys(value: Any) -> Any:
    """Sort mapping keys recursively: free-form dicts must not leak their insertion order."""
    if isinstance(value, dict):
        return {k: _sorted_keys(value[k]) for k in sorted(value)}
    if isinstance(value, list):
        return [_sorted_keys(v) for v in value]
    return value


def _vex_keys(report: Report) -> dict[str, Any]:
    """bomdrift's ``vex_annotations`` / ``vex_suppressed_count``, written only when non-empty."""
    enrichment = report.enrichment
    out: dict[str, Any] = {}
    if enrichment.vex_annotations:
        out["vex_annotations"] = {
            k: enrichment.vex_annotations[k].model_dump(mode="json", exclude_none=True)
            for k in sorted(enrichment.vex_annotations)
        }
    if enrichment.vex_suppressed_count:
        out["vex_suppressed_count"] = enrichment.vex_suppressed_count
    return out


def report_to_dict(report: Report) -> dict[str, Any]:
    """The JSON document as Python data, in key order (see the module docstring)."""
    changes = report.changes
    sandbox = report.sandbox
    return {
        "changes": {
            "added": [_component(c) for c in changes.added],
            "removed": [_component(c) for c in changes.removed],
            "version_changed": [
                [_component(vc.before), _component(vc.after)] for vc in changes.version_changed
            ],
            "license_changed": [
                [_component(lc.before), _component(lc.after)] for lc in changes.license_changed
            ],
            "version_directions": [
                {
                    "component": vc.after.display_id,
                    "before": vc.before.version,
                    "after": vc.after.version,
                    "direction": vc.direction,
                }
                for vc in changes.version_changed
            ],
            "hash_changed": [
                {
                    "before": _component(hc.before),
                    "after": _component(hc.after),
                    "algorithms": list(hc.algorithms),
                }
                for hc in changes.hash_changed
            ],
        },
        "enrichment": {
            "plugin_findings": [_finding(f) for f in report.enrichment.plugin_findings],
            "plugin_errors": [e.model_dump(mode="json") for e in report.enrichment.plugin_errors],
            **_vex_keys(report),
        },
        "summary": summarize(report).model_dump(mode="json"),
        "gates": [g.model_dump(mode="json") for g in report.gates],
        "warnings": list(report.warnings),
        "sandbox": {
            "events": [_sorted_keys(e.model_dump(mode="json")) for e in sandbox.events],
            "stats": {
                name: sandbox.stats[name].model_dump(mode="json") for name in sorted(sandbox.stats)
            },
            "logs": [log.model_dump(mode="json") for log in sandbox.logs],
        },
        "old": report.old.model_dump(mode="json"),
        "new": report.new.model_dump(mode="json"),
        "bomhost_version": report.bomhost_version,
        "generated_at": report.generated_at,
    }


def render_json(report: Report) -> str:
    """The JSON report text."""
    return dumps_pretty(report_to_dict(report))


def parse_report(text: str, source: str = "<report>") -> Report:
    """Read a JSON report back into a ``Report``; ``ReportError`` names ``source`` on failure."""
    try:
        doc = json.loads(text)
    except json.JSONDecodeError as exc:
        raise ReportError(
            f"{source}: not valid JSON (line {exc.lineno}, column {exc.colno}: {exc.msg})"
        ) from exc
    if not isinstance(doc, dict) or "changes" not in doc or "bomhost_version" not in doc:
        raise ReportError(f"{source}: not a bomhost JSON report (no changes/bomhost_version keys)")
    try:
        return Report.model_validate(_to_model_shape(doc))
    except (ValidationError, TypeError, KeyError, IndexError, ValueError) as exc:
        raise ReportError(f"{source}: not a valid bomhost JSON report: {_one_line(exc)}") from exc


def load_report(path: str | Path) -> Report:
    """Read the JSON report at ``path``; ``ReportError`` with one line if it cannot be used."""
    try:
        text = Path(path).read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        detail = exc.strerror if isinstance(exc, OSError) and exc.strerror else str(exc)
        raise ReportError(f"{path}: cannot read report: {detail}") from exc
    return parse_report(text, str(path))


def _to_model_shape(doc: dict[str, Any]) -> dict[str, Any]:
    """Undo the bomdrift-compatible layout: pairs become objects, derived keys are dropped."""
    changes = doc["changes"]
    if not isinstance(changes, dict):
        raise TypeError("changes must be an object")
    pairs = changes.get("version_changed", [])
    directions = changes.get("version_directions", [])
    if len(directions) not in (0, len(pairs)):
        raise ValueError("version_directions does not line up with version_changed")
    version_changed = [
        {
            "before": _pair(pair)[0],
            "after": _pair(pair)[1],
            "direction": directions[i]["direction"] if directions else "unknown",
        }
        for i, pair in enumerate(pairs)
    ]
    license_changed = [
        {"before": _pair(pair)[0], "after": _pair(pair)[1]}
        for pair in changes.get("license_changed", [])
    ]
    shaped = {k: v for k, v in doc.items() if k != "summary"}
    shaped["changes"] = {
        "added": changes.get("added", []),
        "removed": changes.get("removed", []),
        "version_changed": version_changed,
        "license_changed": license_changed,
        "hash_changed": changes.get("hash_changed", []),
    }
    return shaped


def _pair(value: Any) -> tuple[Any, Any]:
    if not isinstance(value, list) or len(value) != 2:
        raise ValueError("a version/license change must be a [before, after] pair")
    return value[0], value[1]


def _one_line(exc: Exception) -> str:
    if isinstance(exc, ValidationError):
        first = exc.errors()[0]
        loc = ".".join(str(p) for p in first["loc"]) or "(top level)"
        more = f" (and {exc.error_count() - 1} more)" if exc.error_count() > 1 else ""
        return f"{loc}: {first['msg']}{more}"
    return str(exc)
