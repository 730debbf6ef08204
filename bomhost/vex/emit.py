"""``--emit-vex``: one OpenVEX 0.2.0 document for the run, as bomdrift writes it (src/vex/emit.rs).

Statements come from two places. Every object-form baseline entry gives one, with the entry's
``vex_status`` (default ``under_investigation``: a plain suppression is never promoted to a
``not_affected`` claim), its ``vex_justification`` or the default, and its reason as
``status_notes``. Every finding still in the report gives an ``affected`` statement. Sorted by
(vulnerability, product), baseline statements first on a tie, duplicates dropped: with
``SOURCE_DATE_EPOCH`` set the document is the same bytes every run.

Where bomdrift's output does not meet the OpenVEX schema, bomhost's does: an ``affected``
statement carries the ``action_statement`` the schema requires, and a justification that is not
one of the schema's five becomes the ``impact_statement``.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from bomhost.baseline import BaselineEntry
from bomhost.model import Finding
from bomhost.vex.apply import advisory_id, identity, synthetic_id

# OpenVEX 0.2.0's justification labels (the only values its schema allows).
JUSTIFICATIONS = (
    "component_not_present",
    "vulnerable_code_not_present",
    "vulnerable_code_not_in_execute_path",
    "vulnerable_code_cannot_be_controlled_by_adversary",
    "inline_mitigations_already_exist",
)
DEFAULT_JUSTIFICATION = "vulnerable_code_not_in_execute_path"
_STATUSES = ("not_affected", "affected", "fixed", "under_investigation")
_ACTION = (
    "Review the finding in the bomhost report; upgrade or remove the component, or record "
    "the decision in the baseline with a vex_status."
)


@dataclass(frozen=True)
class _Stmt:
    vuln_id: str
    product: str
    status: str
    justification: str | None
    notes: str | None


def _notes(f: Finding) -> str:
    """bomdrift's ``status_notes`` for its kinds; the plugin and message for any other."""
    data = f.data or {}
    if advisory_id(f) is not None:
        return f"bomdrift finding kind: cve (severity {data.get('severity', 'NONE')})"
    if f.kind == "typosquat":
        return f"bomdrift finding kind: typosquat (similar to {data.get('closest', '')})"
    if f.kind == "version-jump":
        return f"bomdrift finding kind: version-jump ({data.get('before_major')} -> {data.get('after_major')})"
    if f.kind == "maintainer-age":
        return f"bomdrift finding kind: young-maintainer ({data.get('days_old')} days)"
    if f.kind == "license-violation":
        return f"bomdrift finding kind: license-violation ({data.get('matched_rule', '')})"
    return f"bomhost plugin finding: {f.plugin_name}: {f.kind} ({f.severity}): {f.message}"


def _timestamp(now_ms: int) -> str:
    stamp = datetime.fromtimestamp(now_ms // 1000, tz=UTC)
    return stamp.isoformat().replace("+00:00", "Z")


def emit_openvex(
    findings: Sequence[Finding],
    baseline_entries: Sequence[BaselineEntry],
    *,
    author: str,
    default_justification: str,
    now_ms: int,
) -> str:
    """The OpenVEX document text (pretty JSON, sorted keys, as serde_json writes it)."""
    stmts: list[_Stmt] = []
    for be in baseline_entries:
        status = be.vex_status if be.vex_status in _STATUSES else "under_investigation"
        stmts.append(
            _Stmt(
                be.id,
                be.purl or "",
                status,
                be.vex_justification or default_justification,
                be.reason,
            )
        )
    for f in findings:
        _key, candidates = identity(f)
        vuln_id = advisory_id(f) or synthetic_id(f) or candidates[0]
        stmts.append(_Stmt(vuln_id, f.component_purl, "affected", None, _notes(f)))
    stmts.sort(key=lambda s: (s.vuln_id, s.product))
    unique: dict[tuple[str, str], _Stmt] = {}
    for s in stmts:  # the sort is stable: a baseline statement wins a tie
        unique.setdefault((s.vuln_id, s.product), s)

    timestamp = _timestamp(now_ms)
    digest = hashlib.sha256(f"{author}#{timestamp}".encode()).hexdigest()[:16]
    doc: dict[str, Any] = {
        "@context": "https://openvex.dev/ns/v0.2.0",
        "@id": f"https://bomhost.example/openvex/{digest}",
        "author": author,
        "timestamp": timestamp,
        "version": 1,
        "statements": [_statement(s) for s in unique.values()],
    }
    return json.dumps(doc, indent=2, sort_keys=True, ensure_ascii=False)


def _statement(s: _Stmt) -> dict[str, Any]:
    obj: dict[str, Any] = {"vulnerability": {"name": s.vuln_id}, "status": s.status}
    if s.product:
        obj["products"] = [{"@id": s.product}]
    if s.status == "not_affected":
        # OpenVEX requires a justification label or an impact statement for not_affected.
        just = s.justification or DEFAULT_JUSTIFICATION
        obj["justification" if just in JUSTIFICATIONS else "impact_statement"] = just
    if s.status == "affected":
        obj["action_statement"] = _ACTION
    if s.notes:
        obj["status_notes"] = s.notes
    return obj
