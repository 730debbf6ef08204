"""The report: everything one run found, the single input of every renderer.

Renderers are pure functions ``Report -> str``; the CLI decides where the text goes.
"""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field

from bomhost.model import ChangeSet, Finding, PluginError, SandboxEvent
from bomhost.report.forge import Forge


class _Model(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class SbomInfo(_Model):
    """Where one side of the diff came from."""

    path: str
    format: str
    spec_version: str
    components: int
    skipped: int = 0


class PluginLog(_Model):
    """Lines a plugin logged on one invocation (bounded by the policy's max_log_bytes)."""

    plugin_name: str
    component_purl: str
    level: str
    message: str


class VexAnnotation(_Model):
    """A VEX statement kept on a finding (``affected`` / ``under_investigation``), as bomdrift."""

    status: str
    justification: str | None = None


class Enrichment(_Model):
    """What plugins added; bomdrift's ``plugin_findings`` plus bomhost's ``plugin_errors``."""

    plugin_findings: tuple[Finding, ...] = ()
    plugin_errors: tuple[PluginError, ...] = ()
    # --vex: bomdrift's keys (finding identity -> annotation; how many findings were dropped).
    vex_annotations: dict[str, VexAnnotation] = Field(default_factory=dict)
    vex_suppressed_count: int = 0


class Distribution(_Model):
    """p50/p95/max of one per-invocation measure (observed values: counts stay integers)."""

    p50: int | float
    p95: int | float
    max: int | float


class PluginStats(_Model):
    """Per-plugin usage over the run, to size budgets from real runs."""

    count: int
    # Wall-clock time is the one non-deterministic measure: the engine keeps it only when the
    # user asks for timings (--timings), so that by default a report is the same bytes every run.
    elapsed_ms: Distribution | None = None
    fuel: Distribution | None = None
    memory_bytes: Distribution | None = None


class Sandbox(_Model):
    """The sandbox's explainable log: every allow/deny decision, usage, and plugin logs."""

    events: tuple[SandboxEvent, ...] = ()
    stats: dict[str, PluginStats] = Field(default_factory=dict)
    logs: tuple[PluginLog, ...] = ()


class Gate(_Model):
    """One tripped gate: which option, and why."""

    option: str
    reason: str


class Report(_Model):
    """One run of ``bomhost diff``."""

    bomhost_version: str
    # Set only from SOURCE_DATE_EPOCH: a wall-clock stamp would break "same inputs, same bytes".
    generated_at: str | None = None
    old: SbomInfo
    new: SbomInfo
    changes: ChangeSet
    enrichment: Enrichment = Enrichment()
    sandbox: Sandbox = Sandbox()
    warnings: tuple[str, ...] = ()
    gates: tuple[Gate, ...] = ()
    # Where the Markdown is shown (--repo-url, --platform): its footer only, never in the JSON.
    forge: Forge | None = None
