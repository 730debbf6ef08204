"""CI gates: which conditions turn a finished report into exit code 2.

Gates are evaluated after everything else, on the finished report, so a tripped gate never
prevents the report from being written in full.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Literal, get_args

from bomhost.errors import UsageError
from bomhost.model import SEVERITY_RANK, ChangeSet
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
]
FAIL_ON_VALUES: tuple[str, ...] = get_args(FailOn)

# What each --fail-on value means, for --help and docs.
FAIL_ON_HELP: dict[str, str] = {
    "none": "never fail on findings (the default)",
    "any": "any risk signal: license-change, hash-change, downgrade or any plugin finding",
    "license-change": "a component kept its version but changed its licences",
    "hash-change": "a component kept its version but a digest of the same algorithm changed",
    "downgrade": "a component moved to a lower version",
    "plugin-finding": "any plugin finding, whatever its severity",
    "warning": "a plugin finding of severity warning or error",
    "error": "a plugin finding of severity error",
    "plugin-error": "a plugin call failed (crash, timeout, budget, bad output)",
}


# bomdrift's --fail-on values that gate on its built-in network enrichers (OSV, KEV, registry
# metadata, typosquat lists, licence policy), which bomhost does not have. Accepting them would
# make a gate that can never trip, so each is refused with what to use instead.
BOMDRIFT_ONLY_FAIL_ON: dict[str, str] = {
    "cve": "bomhost has no built-in OSV lookup; run a vulnerability plugin and gate with "
    "--fail-on plugin-finding (or warning/error)",
    "critical-cve": "bomhost has no built-in OSV lookup; run a vulnerability plugin that reports "
    "high/critical advisories as severity error and gate with --fail-on error",
    "kev": "bomhost has no built-in CISA KEV lookup; report KEV entries from a plugin and gate "
    "with --fail-on error",
    "typosquat": "bomhost has no built-in typosquat list; run a typosquat plugin and gate with "
    "--fail-on plugin-finding",
    "license-violation": "bomhost has no built-in licence policy; run a licence plugin and gate "
    "with --fail-on plugin-finding",
    "recently-published": "bomhost has no built-in registry lookup; run a registry plugin and "
    "gate with --fail-on plugin-finding",
    "deprecated": "bomhost has no built-in registry lookup; run a registry plugin and gate with "
    "--fail-on plugin-finding",
}


@dataclass(frozen=True)
class GateOptions:
    """The gates a run was asked to enforce."""

    fail_on: frozenset[str] = frozenset()
    max_added: int | None = None
    max_removed: int | None = None
    max_version_changed: int | None = None


def parse_fail_on(values: Iterable[str]) -> frozenset[str]:
    """Accept repeated and comma-separated values; reject unknown ones with the valid list."""
    out: set[str] = set()
    for value in values:
        for item in value.split(","):
            item = item.strip()
            if not item:
                continue
            if item in BOMDRIFT_ONLY_FAIL_ON:
                raise UsageError(
                    f"--fail-on {item}: bomdrift-only value; {BOMDRIFT_ONLY_FAIL_ON[item]}"
                )
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
    }
    nouns = {
        "license-change": "license change(s)",
        "hash-change": "same-version hash change(s)",
        "downgrade": "downgrade(s)",
        "plugin-finding": "plugin finding(s)",
        "warning": "plugin finding(s) of severity warning or higher",
        "error": "plugin finding(s) of severity error",
        "plugin-error": "failed plugin call(s)",
    }
    gates: list[Gate] = []
    selected = set(opts.fail_on)
    if "any" in selected:
        selected |= {"license-change", "hash-change", "downgrade", "plugin-finding"}
    for name in FAIL_ON_VALUES:
        if name in selected and name in counts and counts[name]:
            gates.append(Gate(option=f"--fail-on {name}", reason=f"{counts[name]} {nouns[name]}"))
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
