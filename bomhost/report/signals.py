"""bomdrift's signal sections (``enrichment.vulns``, ``typosquats``, ...), built from findings' ``data``.

A signal plugin (first-party or a user's replacement) sends, per finding, a ``kind`` and a
protocol-2 ``data`` object holding the fields of bomdrift's enrichment entry for that signal,
without the component: the report layer fills ``component`` (or ``before``/``after``) from the
change set by ``component_purl``, so every plugin need not echo the component back and cannot
misstate it. ``SIGNAL_KINDS`` is that contract (protocol/README.md §4):

==========================  ==========================  =======================================
kind                        enrichment key              data fields (bomdrift's, in its order)
==========================  ==========================  =======================================
``vulnerability``           ``vulns[purl]`` (VulnRef)   id, severity, aliases, epss_score, kev
``typosquat``               ``typosquats``              closest, score
``version-jump``            ``version_jumps``           before_major, after_major
``maintainer-age``          ``maintainer_age``          top_contributor, first_commit_at,
                                                        days_old, host
``license-violation``       ``license_violations``      license, matched_rule, kind
``recently-published``      ``recently_published``      published_at, days_old
``deprecated``              ``deprecated``              message
``maintainer-set-changed``  ``maintainer_set_changed``  added, removed
==========================  ==========================  =======================================

A finding is a *signal finding* when its kind is one of these and it carries a ``data`` object;
any other finding stays a plain plugin finding. A signal finding whose component is not in the
change set (a plugin naming a purl it was not sent) has nothing to attach to and is left out of
the sections (it is still in ``plugin_findings``).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from bomhost.model import Component, Finding
from bomhost.report.model import Report

# kind -> (enrichment key, data fields in bomdrift's struct order, component fields).
SIGNAL_KINDS: dict[str, tuple[str, tuple[str, ...], tuple[str, ...]]] = {
    "vulnerability": ("vulns", ("id", "severity", "aliases", "epss_score", "kev"), ()),
    "typosquat": ("typosquats", ("closest", "score"), ("component",)),
    "version-jump": ("version_jumps", ("before_major", "after_major"), ("before", "after")),
    "maintainer-age": (
        "maintainer_age",
        ("top_contributor", "first_commit_at", "days_old", "host"),
        ("component",),
    ),
    "license-violation": (
        "license_violations",
        ("license", "matched_rule", "kind"),
        ("component",),
    ),
    "recently-published": ("recently_published", ("published_at", "days_old"), ("component",)),
    "deprecated": ("deprecated", ("message",), ("component",)),
    "maintainer-set-changed": ("maintainer_set_changed", ("added", "removed"), ("before", "after")),
}
# bomdrift always writes these five (empty when nothing was found); the others only when non-empty.
ALWAYS = ("vulns", "typosquats", "version_jumps", "maintainer_age", "license_violations")
OPTIONAL = ("recently_published", "deprecated", "maintainer_set_changed")
SEVERITY_ORDER = ("NONE", "LOW", "MEDIUM", "HIGH", "CRITICAL")


def is_signal(f: Finding) -> bool:
    """Whether ``f`` belongs in one of bomdrift's signal sections rather than Plugin findings."""
    return f.kind in SIGNAL_KINDS and f.data is not None


@dataclass
class Entry:
    """One enrichment entry: the bomdrift object, plus the finding it came from."""

    value: dict[str, Any]
    finding: Finding
    component: Component  # the component (for pairs, the after side) the entry is about
    before: Component | None = None


@dataclass
class Signals:
    """Every signal section of a report, entries in the order the findings came."""

    entries: dict[str, list[Entry]] = field(default_factory=dict)

    def of(self, key: str) -> list[Entry]:
        return self.entries.get(key, [])

    def vulns(self) -> dict[str, list[Entry]]:
        """``vulns`` grouped by purl (sorted keys: bomdrift's HashMap order is not stable)."""
        grouped: dict[str, list[Entry]] = {}
        for e in self.of("vulns"):
            grouped.setdefault(e.finding.component_purl, []).append(e)
        return {k: grouped[k] for k in sorted(grouped)}

    def vuln_count(self) -> int:
        return len(self.of("vulns"))


def _index(report: Report) -> dict[str, tuple[Component | None, Component]]:
    """display id -> (before, after) for every component a plugin is sent (added, changed)."""
    out: dict[str, tuple[Component | None, Component]] = {}
    changes = report.changes
    for vc in changes.version_changed:
        out.setdefault(vc.after.display_id, (vc.before, vc.after))
    for c in changes.added:
        out.setdefault(c.display_id, (None, c))
    # Licence violations and registry checks may also name same-version components.
    for lc in changes.license_changed:
        out.setdefault(lc.after.display_id, (lc.before, lc.after))
    for hc in changes.hash_changed:
        out.setdefault(hc.after.display_id, (hc.before, hc.after))
    return out


def _component_json(c: Component) -> dict[str, Any]:
    return c.model_dump(mode="json")


def _vuln_ref(data: dict[str, Any]) -> dict[str, Any]:
    """bomdrift's VulnRef: id, severity; aliases, epss_score, kev only when set (serde skips)."""
    ref: dict[str, Any] = {"id": data.get("id"), "severity": data.get("severity", "NONE")}
    aliases = data.get("aliases")
    if isinstance(aliases, list) and aliases:
        ref["aliases"] = sorted(a for a in aliases if isinstance(a, str))
    if data.get("epss_score") is not None:
        ref["epss_score"] = data["epss_score"]
    if data.get("kev") is True:
        ref["kev"] = True
    return ref


def collect(report: Report, findings: Iterable[Finding] | None = None) -> Signals:
    """The signal sections of ``report`` (its plugin findings, or ``findings`` when given)."""
    index = _index(report)
    signals = Signals()
    for f in report.enrichment.plugin_findings if findings is None else findings:
        if not is_signal(f) or f.data is None:
            continue
        key, fields, component_fields = SIGNAL_KINDS[f.kind]
        pair = index.get(f.component_purl)
        if pair is None:
            continue
        before, after = pair
        if key == "vulns":
            value = _vuln_ref(f.data)
        else:
            value = {}
            if component_fields == ("component",):
                value["component"] = _component_json(after)
            else:
                if before is None:
                    continue
                value["before"] = _component_json(before)
                value["after"] = _component_json(after)
            for name in fields:
                if name in f.data:
                    value[name] = f.data[name]
            # Fields beyond bomdrift's (a plugin's extras) follow, sorted for stable bytes.
            for name in sorted(set(f.data) - set(fields) - set(component_fields)):
                value[name] = f.data[name]
        signals.entries.setdefault(key, []).append(Entry(value, f, after, before))
    return signals


def enrichment_json(signals: Signals) -> dict[str, Any]:
    """bomdrift's signal keys, in its order, shaped value for value."""
    out: dict[str, Any] = {
        "vulns": {purl: [e.value for e in refs] for purl, refs in signals.vulns().items()}
    }
    for key in ALWAYS[1:]:
        out[key] = [e.value for e in signals.of(key)]
    for key in OPTIONAL:
        if signals.of(key):
            out[key] = [e.value for e in signals.of(key)]
    return out


def severity_rank(value: Any) -> int:
    """A VulnRef severity's rank (unknown strings rank as NONE)."""
    return SEVERITY_ORDER.index(value) if value in SEVERITY_ORDER else 0
