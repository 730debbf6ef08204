"""What a plugin run produces, and the progress seam: the light half of the runner.

Kept apart from ``runner`` so that the engine, the CLI and the reports can name these types
without importing the plugin machinery (thread pool, runtimes) on a plain diff.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Protocol

from bomhost.model import Finding, PluginError, SandboxEvent
from bomhost.report.model import PluginLog, PluginStats


class Progress(Protocol):
    """Injected progress display; called from the calling thread only."""

    def start(self, total: int) -> None: ...

    def advance(self) -> None: ...


class NoProgress:
    """The default: no UI in the core."""

    def start(self, total: int) -> None:
        pass

    def advance(self) -> None:
        pass


@dataclass(frozen=True)
class PluginOutcome:
    """Everything the plugins produced, in deterministic order."""

    findings: tuple[Finding, ...] = ()
    errors: tuple[PluginError, ...] = ()
    events: tuple[SandboxEvent, ...] = ()
    logs: tuple[PluginLog, ...] = ()
    stats: dict[str, PluginStats] = field(default_factory=dict)
    # Components sent per plugin, where it differs from ``stats[...].count`` (batch plugins:
    # one call carries many components, and a failed call fails each of them).
    components: dict[str, int] = field(default_factory=dict)

    def summary_lines(self) -> list[str]:
        """One stderr line per plugin that had failures."""
        totals = {k: self.components.get(k, v.count) for k, v in self.stats.items()}
        return summarize_errors(self.errors, totals)


def summarize_errors(
    errors: Iterable[PluginError], calls: Mapping[str, int] | None = None
) -> list[str]:
    """``plugin X: 3 of 120 calls failed (2 timeout, 1 bad_output); see ...``, per plugin."""
    by_plugin: dict[str, Counter[str]] = {}
    for err in errors:
        by_plugin.setdefault(err.plugin_name, Counter())[err.error_kind] += 1
    lines = []
    for name, kinds in by_plugin.items():
        failed = sum(kinds.values())
        total = (calls or {}).get(name)
        of = f" of {total}" if total is not None else ""
        detail = ", ".join(
            f"{n} {k}" for k, n in sorted(kinds.items(), key=lambda kv: (-kv[1], kv[0]))
        )
        noun = "call" if failed == 1 and total is None else "calls"
        if total is not None and failed > total:
            # Batch calls: one error per component, so say components and how many calls.
            calls_noun = "call" if total == 1 else "calls"
            head = f"{failed} components in {total} {calls_noun} failed"
        else:
            head = f"{failed}{of} {noun} failed"
        lines.append(f"plugin {name}: {head} ({detail}); see enrichment.plugin_errors")
    return lines
