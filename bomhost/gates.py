"""CI gates: which conditions turn a finished report into exit code 2.

Gates are evaluated after everything else, on the finished report, so a tripped gate never
prevents the report from being written in full.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any, Literal, get_args

from bomhost.errors import UsageError
from bomhost.model import SEVERITY_RANK, ChangeSet, Finding
from bomhost.report.model import Enrichment, Gate

FailOn = Literal[
    "none",
    "any",
    "license-change",
    "hash-change",
    "downgrade",
    "plugin-finding",
    "warning",
    "error",
    "plugin-error",
    # bomdrift's signal values: they read findings by kind (bomhost/signals.py), whichever
    # plugin reported them, so a user plugin that replaces a first-party signal gates the same.
    "cve",
    "critical-cve",
    "kev",
    "typosquat",
    "license-violation",
    "recently-published",
    "deprecated",
]
FAIL_ON_VALUES: tuple[str, ...] = get_args(FailOn)

# What each --fail-on value means, for --help and docs.
FAIL_ON_HELP: dict[str, str] = {
    "none": "never fail on findings (the default)",
    "any": "any risk signal: license-change, hash-change, downgrade or any plugin finding "
    "(every bomdrift signal is a plugin finding)",
    "license-change": "a component kept its version but changed its licences",
    "hash-change": "a component kept its version but a digest of the same algorithm changed",
    "downgrade": "a component moved to a lower version",
    "plugin-finding": "any plugin finding, whatever its severity",
    "warning": "a plugin finding of severity warning or error",
    "error": "a plugin finding of severity error",
    "plugin-error": "a plugin call failed (crash, timeout, budget, bad output)",
    "cve": "a known vulnerability (a finding of kind vulnerability)",
    "critical-cve": "a vulnerability of severity HIGH or CRITICAL (bomdrift's rule)",
    "kev": "a vulnerability listed in CISA's Known Exploited Vulnerabilities catalogue",
    "typosquat": "an added component named like a popular package",
    "license-violation": "a licence outside the --allow-licenses/--deny-licenses policy",
    "recently-published": "a component published within --recently-published-days",
    "deprecated": "a component deprecated or yanked upstream",
}

# Finding kinds of bomdrift's signals (the protocol-2 contract, protocol/README.md).
KIND_BY_VALUE: dict[str, str] = {
    "cve": "vulnerability",
    "typosquat": "typosquat",
    "license-violation": "license-violation",
    "recently-published": "recently-published",
    "deprecated": "deprecated",
}
_HIGH = frozenset({"HIGH", "CRITICAL"})


@dataclass(frozen=True)
class GateOptions:
    """The gates a run was asked to enforce."""

    fail_on: frozenset[str] = frozenset()
    max_added: int | None = None
    max_removed: int | None = None
    max_version_changed: int | None = None
    # bomdrift's --fail-on-epss: a vulnerability whose EPSS score is at least this (0..1).
    fail_on_epss: float | None = None


def parse_fail_on(values: Iterable[str]) -> frozenset[str]:
    """Accept repeated and comma-separated values; reject unknown ones with the valid list."""
    out: set[str] = set()
    for value in values:
        for item in value.split(","):
            item = item.strip()
            if not item:
                continue
            if item not in FAIL_ON_VALUES:
                raise UsageError(
                    f"--fail-on: unknown value {item!r} (expected one of {', '.join(FAIL_ON_VALUES)})"
                )
            out.add(item)
    out.discard("none")
    return frozenset(out)


def _at_least(enrichment: Enrichment, severity: str) -> int:
    floor = SEVERITY_RANK[severity]
    return sum(1 for f in enrichment.plugin_findings if SEVERITY_RANK[f.severity] >= floor)


def _data(f: Finding, key: str) -> Any:
    return f.data.get(key) if f.data is not None else None


def _vulns(enrichment: Enrichment) -> list[Finding]:
    return [f for f in enrichment.plugin_findings if f.kind == "vulnerability"]


def _epss_at_least(enrichment: Enrichment, threshold: float) -> int:
    scores = (_data(f, "epss_score") for f in _vulns(enrichment))
    return sum(
        1
        for s in scores
        if isinstance(s, int | float) and not isinstance(s, bool) and s >= threshold
    )


def evaluate(changes: ChangeSet, enrichment: Enrichment, opts: GateOptions) -> tuple[Gate, ...]:
    """Every gate that trips, in a fixed order, each with a reason a reviewer can act on."""
    downgrades = sum(1 for v in changes.version_changed if v.direction == "downgrade")
    counts: dict[str, int] = {
        "license-change": len(changes.license_changed),
        "hash-change": len(changes.hash_changed),
        "downgrade": downgrades,
        "plugin-finding": len(enrichment.plugin_findings),
        "warning": _at_least(enrichment, "warning"),
        "error": _at_least(enrichment, "error"),
        "plugin-error": len(enrichment.plugin_errors),
        "critical-cve": sum(1 for f in _vulns(enrichment) if _data(f, "severity") in _HIGH),
        "kev": sum(1 for f in _vulns(enrichment) if _data(f, "kev") is True),
    }
    for value, kind in KIND_BY_VALUE.items():
        counts[value] = sum(1 for f in enrichment.plugin_findings if f.kind == kind)
    nouns = {
        "license-change": "license change(s)",
        "hash-change": "same-version hash change(s)",
        "downgrade": "downgrade(s)",
        "plugin-finding": "plugin finding(s)",
        "warning": "plugin finding(s) of severity warning or higher",
        "error": "plugin finding(s) of severity error",
        "plugin-error": "failed plugin call(s)",
        "cve": "known vulnerability finding(s)",
        "critical-cve": "vulnerability finding(s) of severity HIGH or CRITICAL",
        "kev": "vulnerability finding(s) in the CISA KEV catalogue",
        "typosquat": "possible typosquat(s)",
        "license-violation": "licence policy violation(s)",
        "recently-published": "recently published component(s)",
        "deprecated": "deprecated component(s)",
    }
    gates: list[Gate] = []
    selected = set(opts.fail_on)
    if "any" in selected:
        selected |= {"license-change", "hash-change", "downgrade", "plugin-finding"}
    for name in FAIL_ON_VALUES:
        if name in selected and name in counts and counts[name]:
            gates.append(Gate(option=f"--fail-on {name}", reason=f"{counts[name]} {nouns[name]}"))
    if opts.fail_on_epss is not None:
        hits = _epss_at_least(enrichment, opts.fail_on_epss)
        if hits:
            gates.append(
                Gate(
                    option=f"--fail-on-epss {opts.fail_on_epss:g}",
                    reason=f"{hits} vulnerability finding(s) with an EPSS score of at least "
                    f"{opts.fail_on_epss:g}",
                )
            )
    limits = (
        ("--max-added", opts.max_added, len(changes.added), "added"),
        ("--max-removed", opts.max_removed, len(changes.removed), "removed"),
        (
            "--max-version-changed",
            opts.max_version_changed,
            len(changes.version_changed),
            "version changes",
        ),
    )
    for option, limit, count, noun in limits:
        if limit is not None and count > limit:
            gates.append(Gate(option=f"{option} {limit}", reason=f"{count} {noun} (limit {limit})"))
    return tuple(gates)
