"""Facts every renderer states about a Report, computed once so the formats never disagree.

The counts in the JSON ``summary``, the Markdown table, the terminal headings and the SARIF run
properties all come from ``summarize``; the little text helpers below are shared for the same
reason (a licence list reads the same in every human-facing format).
"""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict

from bomhost.model import Component
from bomhost.report.model import Report


class Summary(BaseModel):
    """How many entries each bucket holds; ``downgrades`` is a subset of ``version_changed``."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    added: int
    removed: int
    version_changed: int
    downgrades: int
    license_changed: int
    hash_changed: int
    plugin_findings: int
    plugin_errors: int
    sandbox_denials: int
    gates_tripped: int


def summarize(report: Report) -> Summary:
    """Count every bucket of ``report``."""
    changes = report.changes
    return Summary(
        added=len(changes.added),
        removed=len(changes.removed),
        version_changed=len(changes.version_changed),
        downgrades=sum(1 for vc in changes.version_changed if vc.direction == "downgrade"),
        license_changed=len(changes.license_changed),
        hash_changed=len(changes.hash_changed),
        plugin_findings=len(report.enrichment.plugin_findings),
        plugin_errors=len(report.enrichment.plugin_errors),
        sandbox_denials=sum(1 for e in report.sandbox.events if e.decision == "deny"),
        gates_tripped=len(report.gates),
    )


def license_text(licenses: tuple[str, ...]) -> str:
    """A licence set as people read it; bomdrift writes ``(none)`` for an empty set."""
    return ", ".join(licenses) if licenses else "(none)"


def changed_digests(before: Component, after: Component, algorithms: tuple[str, ...]) -> str:
    """``alg old -> new`` for each changed algorithm (values shortened: they are 64+ hex chars)."""
    parts = []
    for alg in algorithms:
        old = ",".join(sorted(h.value for h in before.hashes if h.alg == alg)) or "(none)"
        new = ",".join(sorted(h.value for h in after.hashes if h.alg == alg)) or "(none)"
        parts.append(f"{alg} {_short(old)} -> {_short(new)}")
    return "; ".join(parts)


def _short(digest: str) -> str:
    # 12 hex chars is enough for a human to tell two digests apart; JSON keeps the full value.
    return digest if len(digest) <= 15 else f"{digest[:12]}..."
