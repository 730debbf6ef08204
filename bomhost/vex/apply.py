"""Which ids name a finding, and applying a VEX index to the findings of a run.

Ids, as bomdrift matches them: an advisory by its id and every alias (the finding's ``data``
from a vulnerability plugin); bomdrift's other signals by its synthetic ids
(``bomdrift.<kind>:<purl>:<detail>``, src/vex/synthetic_id.rs) so existing VEX files keep
working; and every finding also by its ``rule_id`` (what a bomhost baseline names), so a team can
write VEX statements about its own plugins' findings.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from bomhost.model import Finding
from bomhost.report.model import VexAnnotation
from bomhost.vex.load import SUPPRESSING, VexIndex


def _str(data: dict[str, Any], key: str) -> str:
    value = data.get(key)
    return str(value) if isinstance(value, str | int) and not isinstance(value, bool) else ""


def synthetic_id(f: Finding) -> str | None:
    """bomdrift's synthetic id for its non-advisory signals; None for other kinds."""
    data = f.data or {}
    purl = f.component_purl
    if f.kind == "typosquat" and _str(data, "closest"):
        return f"bomdrift.typosquat:{purl}:{_str(data, 'closest')}"
    if f.kind == "version-jump" and _str(data, "before_major") != "":
        return f"bomdrift.version-jump:{purl}:{_str(data, 'before_major')}->{_str(data, 'after_major')}"
    if f.kind == "maintainer-age" and _str(data, "top_contributor"):
        return f"bomdrift.young-maintainer:{purl}:{_str(data, 'top_contributor')}"
    if f.kind == "license-violation" and _str(data, "license"):
        return f"bomdrift.license-violation:{purl}:{_str(data, 'license')}"
    if f.kind in ("recently-published", "deprecated", "maintainer-set-changed"):
        return f"bomdrift.{f.kind}:{purl}"
    return None


def advisory_id(f: Finding) -> str | None:
    """A vulnerability finding's advisory id (``data.id``), if it has one."""
    if f.kind != "vulnerability" or not f.data:
        return None
    ident = f.data.get("id")
    return ident if isinstance(ident, str) and ident else None


def identity(f: Finding) -> tuple[str, list[str]]:
    """(annotation key, candidate ids in match order) for one finding."""
    advisory = advisory_id(f)
    if advisory is not None:
        aliases = [a for a in (f.data or {}).get("aliases") or () if isinstance(a, str)]
        return f"cve:{f.component_purl}:{advisory}", [advisory, *aliases, f.rule_id]
    synth = synthetic_id(f)
    if synth is not None:
        return synth, [synth, f.rule_id]
    return f"plugin:{f.plugin_name}:{f.component_purl}:{f.rule_id}", [f.rule_id]


@dataclass(frozen=True)
class VexOutcome:
    """What is left after VEX: kept findings, annotations on some of them, how many dropped."""

    findings: tuple[Finding, ...]
    annotations: dict[str, VexAnnotation] = field(default_factory=dict)
    suppressed: int = 0


def apply_vex(findings: Sequence[Finding], index: VexIndex) -> VexOutcome:
    """Drop the findings a ``not_affected``/``fixed`` statement covers; annotate the others."""
    kept: list[Finding] = []
    annotations: dict[str, VexAnnotation] = {}
    suppressed = 0
    for f in findings:
        key, candidates = identity(f)
        stmt = index.resolve(candidates, f.component_purl)
        if stmt is None:
            kept.append(f)
        elif stmt.status in SUPPRESSING:
            suppressed += 1
        else:
            kept.append(f)
            annotations[key] = VexAnnotation(status=stmt.status, justification=stmt.justification)
    return VexOutcome(tuple(kept), annotations, suppressed)
