"""``--debug-calibration``: one stderr row per finding with its score and the threshold it met.

bomdrift's calibration tap (src/run/calibration.rs): an adopter runs it over a few PRs, keeps
``2>calibration.txt`` and tunes the thresholds from real scores, with no telemetry. Rows are read
from each finding's ``data`` (the fields of bomdrift's enrichment entry), by kind, in bomdrift's
order: typosquat, version-jump, maintainer-age, cve (+ epss, kev), license, recently-published,
deprecated, maintainer-set-changed. Other plugin findings have no score and give no row.

``pipe``: ``kind|key|score|threshold`` (purls contain commas, so not CSV); ``jsonl``: one JSON
object per line with the same four keys (sorted, compact, as serde_json writes them).
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping, Sequence
from typing import Any, Literal

from bomhost.model import Finding

CalibrationFormat = Literal["pipe", "jsonl"]
Value = str | int | float

# bomdrift's defaults for the thresholds a row reports (its enrichers' constants).
SIMILARITY_THRESHOLD = 0.92
MIN_MAJOR_DELTA = 2
YOUNG_MAINTAINER_DAYS = 90
MIN_PUBLISHED_AGE_DAYS = 14
EPSS_THRESHOLD = 0.5

_ORDER = (
    "typosquat",
    "version-jump",
    "maintainer-age",
    "vulnerability",
    "license-violation",
    "recently-published",
    "deprecated",
    "maintainer-set-changed",
)


def _num(data: Mapping[str, Any], key: str) -> int | float | None:
    value = data.get(key)
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    return value


def _str(data: Mapping[str, Any], key: str, default: str = "") -> str:
    value = data.get(key)
    return value if isinstance(value, str) else default


def _rows_for(f: Finding, overrides: Mapping[str, Any]) -> Iterable[tuple[str, str, Value, Value]]:
    data = f.data or {}
    purl = f.component_purl
    if f.kind == "typosquat" and (score := _num(data, "score")) is not None:
        threshold = overrides.get("typosquat_similarity_threshold") or SIMILARITY_THRESHOLD
        yield "typosquat", purl, float(score), float(threshold)
    elif f.kind == "version-jump":
        before, after = _num(data, "before_major"), _num(data, "after_major")
        if before is not None and after is not None:
            delta = max(int(after) - int(before), 0)  # bomdrift's saturating_sub
            yield "version-jump", purl, delta, overrides.get("multi_major_delta") or MIN_MAJOR_DELTA
    elif f.kind == "maintainer-age" and (days := _num(data, "days_old")) is not None:
        young = overrides.get("young_maintainer_days") or YOUNG_MAINTAINER_DAYS
        yield "maintainer-age", purl, int(days), young
    elif f.kind == "vulnerability" and (ident := _str(data, "id")):
        yield "cve", f"{purl}#{ident}", _str(data, "severity", "NONE"), "high+"
        aliases = [a for a in data.get("aliases") or () if isinstance(a, str)]
        cves = [c for c in [ident, *aliases] if c.startswith("CVE-")]
        for cve in cves:
            if (epss := _num(data, "epss_score")) is not None:
                yield "epss", f"{purl}+{cve}", float(epss), EPSS_THRESHOLD
            if data.get("kev") is True:
                yield "kev", f"{purl}+{cve}", "true", "kev"
    elif f.kind == "license-violation":
        yield "license", purl, _str(data, "license"), _str(data, "matched_rule")
    elif f.kind == "recently-published" and (days := _num(data, "days_old")) is not None:
        yield "recently-published", purl, int(days), MIN_PUBLISHED_AGE_DAYS
    elif f.kind == "deprecated":
        yield "deprecated", purl, _str(data, "message") or "(deprecated)", "any"
    elif f.kind == "maintainer-set-changed":
        changed = len(data.get("added") or ()) + len(data.get("removed") or ())
        yield "maintainer-set-changed", purl, changed, 1


def _cell(value: Value) -> str:
    if isinstance(value, float):
        return f"{value:.4f}"  # bomdrift's {:.4}
    return str(value)


def format_row(kind: str, key: str, score: Value, threshold: Value, fmt: CalibrationFormat) -> str:
    """One row in the chosen format, without the newline."""
    if fmt == "jsonl":
        row = {"kind": kind, "key": key, "score": score, "threshold": threshold}
        return json.dumps(row, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return f"{kind}|{key}|{_cell(score)}|{_cell(threshold)}"


def calibration_lines(
    findings: Sequence[Finding], fmt: CalibrationFormat, overrides: Mapping[str, Any]
) -> list[str]:
    """Every row for these findings, in bomdrift's kind order (then report order).

    ``overrides`` holds the threshold options in force (``typosquat_similarity_threshold``,
    ``multi_major_delta``, ``young_maintainer_days``) so a row shows the threshold really used.
    """
    rank = {kind: i for i, kind in enumerate(_ORDER)}
    ordered = sorted(
        (f for f in findings if f.kind in rank),
        key=lambda f: (rank[f.kind], f.component_purl if f.kind == "vulnerability" else ""),
    )
    return [format_row(*row, fmt) for f in ordered for row in _rows_for(f, overrides)]
