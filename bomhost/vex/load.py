"""Reading VEX files: OpenVEX 0.2.0 or CycloneDX VEX 1.6, detected by content, as bomdrift.

Unlike bomdrift, which warns and carries on without VEX when a file cannot be read, a bad
``--vex`` file is a one-line error (exit 1): it is read before any SBOM, so nothing is lost, and a
report silently without the team's VEX statements would gate differently from the last run.
Statements bomdrift skips are skipped here too: no vulnerability name, an unknown status, or no
product (a statement about no product suppresses nothing).
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from bomhost.errors import UsageError

Status = Literal["not_affected", "affected", "fixed", "under_investigation"]
SUPPRESSING: frozenset[Status] = frozenset({"not_affected", "fixed"})

_OPENVEX_STATUS: dict[str, Status] = {
    "not_affected": "not_affected",
    "affected": "affected",
    "fixed": "fixed",
    "under_investigation": "under_investigation",
}
# CycloneDX analysis.state -> VEX status, bomdrift's mapping (resolved counts as not affected).
_CDX_STATE: dict[str, Status] = {
    "not_affected": "not_affected",
    "resolved": "not_affected",
    "resolved_with_pedigree": "not_affected",
    "false_positive": "not_affected",
    "exploitable": "affected",
    "in_triage": "under_investigation",
}


@dataclass(frozen=True)
class VexStatement:
    """One statement about one product, after format normalisation."""

    vuln_id: str
    product: str
    status: Status
    justification: str | None = None
    status_notes: str | None = None


def _strip_version(purl: str) -> str | None:
    """``pkg:npm/foo@1.2.3?x=y`` -> ``pkg:npm/foo``; None when the purl has no version."""
    base = purl.split("#", 1)[0].split("?", 1)[0]
    at = base.rfind("@")
    return base[:at] if at > base.rfind("/") else None


@dataclass
class VexIndex:
    """Statements by vulnerability id; first statement for an (id, product) wins across files."""

    by_vuln: dict[str, list[VexStatement]] = field(default_factory=dict)
    sources: tuple[str, ...] = ()

    def resolve(self, candidates: Iterable[str], product: str) -> VexStatement | None:
        """The statement for the first candidate id that names this product, if any.

        A statement's product matches exactly, or when it has no version it matches every
        version of that package (never the reverse: ``foo@1`` says nothing about ``foo@2``).
        """
        unversioned = _strip_version(product)
        for cand in candidates:
            for stmt in self.by_vuln.get(cand, ()):
                if stmt.product == product or (
                    unversioned is not None and stmt.product == unversioned
                ):
                    return stmt
        return None


def _text(obj: Any, key: str) -> str | None:
    value = obj.get(key) if isinstance(obj, dict) else None
    return value if isinstance(value, str) and value else None


def _openvex(doc: dict[str, Any], where: str) -> list[VexStatement]:
    stmts = doc.get("statements")
    if not isinstance(stmts, list):
        raise UsageError(f"{where}: OpenVEX document has no statements array")
    out: list[VexStatement] = []
    for s in stmts:
        if not isinstance(s, dict):
            continue
        vuln = s.get("vulnerability")
        # Older OpenVEX drafts allowed the vulnerability as a bare string, as bomdrift reads it.
        name = vuln if isinstance(vuln, str) else _text(vuln, "name")
        status = _OPENVEX_STATUS.get(s.get("status") or "")
        if not name or status is None:
            continue
        products = s.get("products")
        for p in products if isinstance(products, list) else ():
            ident = p if isinstance(p, str) else _text(p, "@id") or _text(p, "id")
            if ident:
                out.append(
                    VexStatement(
                        name, ident, status, _text(s, "justification"), _text(s, "status_notes")
                    )
                )
    return out


def _cyclonedx(doc: dict[str, Any], where: str) -> list[VexStatement]:
    vulns = doc.get("vulnerabilities")
    if not isinstance(vulns, list):
        raise UsageError(f"{where}: CycloneDX VEX has no vulnerabilities array")
    out: list[VexStatement] = []
    for v in vulns:
        name = _text(v, "id")
        analysis = v.get("analysis") if isinstance(v, dict) else None
        status = _CDX_STATE.get(_text(analysis, "state") or "")
        if not name or status is None:
            continue
        affects = v.get("affects")
        for a in affects if isinstance(affects, list) else ():
            ref = _text(a, "ref")
            if ref:
                out.append(
                    VexStatement(
                        name,
                        ref,
                        status,
                        _text(analysis, "justification"),
                        _text(analysis, "detail"),
                    )
                )
    return out


def _read(path: str) -> dict[str, Any]:
    where = f"--vex {path}"
    try:
        body = Path(path).read_text(encoding="utf-8")
    except FileNotFoundError as exc:
        raise UsageError(f"{where}: no such file") from exc
    except OSError as exc:
        raise UsageError(f"{where}: cannot read: {exc.strerror or exc}") from exc
    except UnicodeDecodeError as exc:
        raise UsageError(f"{where}: not UTF-8 text") from exc
    try:
        doc = json.loads(body)
    except json.JSONDecodeError as exc:
        raise UsageError(
            f"{where}: invalid JSON at line {exc.lineno} column {exc.colno}: {exc.msg}"
        ) from exc
    if not isinstance(doc, dict):
        raise UsageError(f"{where}: the root must be a JSON object")
    return doc


def load_vex(paths: Sequence[str]) -> VexIndex:
    """Read every file in order; ``UsageError`` naming the file when one cannot be used."""
    index = VexIndex(sources=tuple(paths))
    seen: set[tuple[str, str]] = set()
    for path in paths:
        doc = _read(path)
        where = f"--vex {path}"
        context = doc.get("@context")
        if isinstance(context, str) and "openvex.dev/ns" in context:
            stmts = _openvex(doc, where)
        elif doc.get("bomFormat") == "CycloneDX" and isinstance(doc.get("vulnerabilities"), list):
            stmts = _cyclonedx(doc, where)
        else:
            raise UsageError(
                f"{where}: not a VEX document (expected an OpenVEX @context or a CycloneDX "
                "bomFormat with vulnerabilities)"
            )
        for stmt in stmts:
            if (stmt.vuln_id, stmt.product) not in seen:
                seen.add((stmt.vuln_id, stmt.product))
                index.by_vuln.setdefault(stmt.vuln_id, []).append(stmt)
    return index
