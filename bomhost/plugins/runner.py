"""The plugin runner: everything the external and WASM runtimes share, written once.

Which calls exist (per plugin, in CLI order: every added component, then every version-changed
pair; protocol 2 also removed and license-changed when ``invoke_on`` names them; the
``ecosystems`` filter), encoding the request, the thread pool, decoding the response, turning
failures into ``PluginError`` records, and the merge. Results are stored by call index and
merged in that order, so the report is the same bytes whatever order the calls complete in.
Runtimes only move bytes (``PluginInstance.call``).
"""

from __future__ import annotations

import math
import time
from collections.abc import Iterable, Sequence
from concurrent.futures import ThreadPoolExecutor, as_completed
from dataclasses import dataclass

from bomhost.model import ChangeSet, Component, Event, Finding, PluginError, SandboxEvent
from bomhost.plugins.interface import CallResult, PluginInstance, RunContext, Runtime
from bomhost.plugins.manifest import LoadedManifest
from bomhost.plugins.outcome import NoProgress, PluginOutcome, Progress
from bomhost.plugins.protocol import BadResponse, RequestEncoder, RunInfo, decode_response
from bomhost.plugins.registry import runtime_for
from bomhost.report.model import Distribution, PluginLog, PluginStats

# External plugins' stderr arrives as logs of this level; kept only for failed calls, so a
# chatty plugin does not bloat every report while a failing one still says why.
STDERR_LEVEL = "stderr"

# bomdrift's order of events; protocol 2's extra events follow.
EVENT_ORDER: tuple[Event, ...] = ("added", "version-changed", "removed", "license-changed")


@dataclass(frozen=True)
class Invocation:
    """One call to make: which plugin, on which component, for which event."""

    plugin: int  # index into the plugin list (CLI order)
    component: Component  # for version- and license-changed: the AFTER component
    event: Event
    before: Component | None = None

    @property
    def subject(self) -> str:
        return self.component.display_id


def plan(plugin: LoadedManifest, index: int, changes: ChangeSet) -> list[Invocation]:
    """The calls one plugin gets, in bomdrift's order, after the ``ecosystems`` filter."""
    m = plugin.manifest
    wanted = None if m.ecosystems is None else {e.casefold() for e in m.ecosystems}
    calls: list[Invocation] = []
    for event in EVENT_ORDER:
        if event not in m.invoke_on:
            continue
        pairs: Iterable[tuple[Component, Component | None]]
        if event == "added":
            pairs = ((c, None) for c in changes.added)
        elif event == "removed":
            pairs = ((c, None) for c in changes.removed)
        elif event == "version-changed":
            pairs = ((vc.after, vc.before) for vc in changes.version_changed)
        else:
            pairs = ((lc.after, lc.before) for lc in changes.license_changed)
        calls.extend(
            Invocation(index, comp, event, before)
            for comp, before in pairs
            if wanted is None or comp.ecosystem.casefold() in wanted
        )
    return calls


def load_plugins(plugins: Sequence[LoadedManifest], ctx: RunContext) -> list[PluginInstance]:
    """Prepare every plugin before any component is sent; ``PluginLoadError`` propagates."""
    runtimes: dict[str, Runtime] = {}
    loaded: list[PluginInstance] = []
    try:
        for plugin in plugins:
            kind = plugin.manifest.runtime
            if kind not in runtimes:
                runtimes[kind] = runtime_for(kind)
            loaded.append(runtimes[kind].load(plugin, ctx))
    except BaseException:
        close_all(loaded)
        raise
    return loaded


def close_all(instances: Iterable[PluginInstance]) -> None:
    for inst in instances:
        inst.close()


@dataclass(frozen=True)
class _Done:
    """What one call contributed, before the merge."""

    findings: tuple[Finding, ...]
    error: PluginError | None
    logs: tuple[PluginLog, ...]
    events: tuple[SandboxEvent, ...]
    result: CallResult
    elapsed_ms: float


def _call(
    plugin: LoadedManifest, inst: PluginInstance, encoder: RequestEncoder, inv: Invocation
) -> _Done:
    m = plugin.manifest
    request = encoder.encode(inv.component, inv.event, inv.before)
    subject = inv.subject
    start = time.monotonic()
    result = inst.call(request, subject)
    elapsed = (time.monotonic() - start) * 1000
    findings: tuple[Finding, ...] = ()
    error: PluginError | None = None
    events = result.events
    if result.failure is not None:
        error = PluginError(
            plugin_name=m.name,
            component_purl=subject,
            error_kind=result.failure.kind,
            message=result.failure.message,
        )
    else:
        try:
            raw = decode_response(result.output)
        except BadResponse as exc:
            error = PluginError(
                plugin_name=m.name,
                component_purl=subject,
                error_kind="bad_output",
                message=str(exc),
            )
            if m.runtime == "wasm":
                # Only the sandbox keeps an allow/deny log; its refusal of the output is one.
                events += (
                    SandboxEvent(
                        plugin_name=m.name,
                        component_purl=subject,
                        decision="deny",
                        rule_id="protocol.response",
                        reason_code="bad_output",
                        context={"bytes": len(result.output), "reason": str(exc)},
                    ),
                )
        else:
            findings = tuple(
                Finding(
                    plugin_name=m.name,
                    component_purl=subject,
                    kind=f.kind,
                    message=f.message,
                    severity=f.severity,
                    rule_id=f.rule_id,
                )
                for f in raw
            )
    logs = tuple(
        PluginLog(
            plugin_name=m.name, component_purl=subject, level=line.level, message=line.message
        )
        for line in result.logs
        if error is not None or line.level != STDERR_LEVEL
    )
    return _Done(findings, error, logs, events, result, elapsed)


def run_plugins(
    plugins: Sequence[LoadedManifest],
    changes: ChangeSet,
    ctx: RunContext,
    *,
    jobs: int,
    progress: Progress | None = None,
    instances: Sequence[PluginInstance] | None = None,
) -> PluginOutcome:
    """Call every plugin concurrently (``jobs`` at a time) and merge in call order.

    ``instances`` are plugins the caller already loaded (and will close); without them, all
    plugins are loaded here first, before any component is sent, and closed at the end.
    """
    if not plugins:
        return PluginOutcome()
    progress = progress or NoProgress()
    owned = instances is None
    if instances is None:
        instances = load_plugins(plugins, ctx)
    try:
        calls = [inv for i, p in enumerate(plugins) for inv in plan(p, i, changes)]
        run = RunInfo(bomhost_version=ctx.bomhost_version, now_ms=ctx.now_ms)
        encoders = [RequestEncoder(p.manifest.protocol, p.manifest.config, run) for p in plugins]
        progress.start(len(calls))
        done: list[_Done | None] = [None] * len(calls)
        if jobs <= 1 or len(calls) <= 1:
            for n, inv in enumerate(calls):
                i = inv.plugin
                done[n] = _call(plugins[i], instances[i], encoders[i], inv)
                progress.advance()
        else:
            with ThreadPoolExecutor(max_workers=jobs, thread_name_prefix="bomhost-plugin") as pool:
                futures = {
                    pool.submit(
                        _call, plugins[inv.plugin], instances[inv.plugin], encoders[inv.plugin], inv
                    ): n
                    for n, inv in enumerate(calls)
                }
                try:
                    for fut in as_completed(futures):
                        done[futures[fut]] = fut.result()
                        progress.advance()
                except BaseException:
                    # A runtime bug or Ctrl-C: do not start the calls still queued.
                    pool.shutdown(wait=False, cancel_futures=True)
                    raise
    finally:
        if owned:
            close_all(instances)
    results = [d for d in done if d is not None]
    assert len(results) == len(calls)
    return _merge(plugins, calls, results)


def _merge(
    plugins: Sequence[LoadedManifest], calls: Sequence[Invocation], done: Sequence[_Done]
) -> PluginOutcome:
    usage: dict[str, list[_Done]] = {}
    for inv, d in zip(calls, done, strict=True):
        usage.setdefault(plugins[inv.plugin].name, []).append(d)
    return PluginOutcome(
        findings=tuple(f for d in done for f in d.findings),
        errors=tuple(d.error for d in done if d.error is not None),
        events=tuple(e for d in done for e in d.events),
        logs=tuple(line for d in done for line in d.logs),
        stats={name: _stats(ds) for name, ds in usage.items()},
    )


def _stats(done: Sequence[_Done]) -> PluginStats:
    elapsed = [d.result.usage.elapsed_ms if d.result.usage else d.elapsed_ms for d in done]
    fuel = [d.result.usage.fuel for d in done if d.result.usage and d.result.usage.fuel is not None]
    mem = [
        d.result.usage.memory_bytes
        for d in done
        if d.result.usage and d.result.usage.memory_bytes is not None
    ]
    return PluginStats(
        count=len(done),
        elapsed_ms=distribution(elapsed),
        fuel=distribution(fuel) if fuel else None,
        memory_bytes=distribution(mem) if mem else None,
    )


def distribution(values: Sequence[int] | Sequence[float]) -> Distribution:
    """p50/p95/max by the nearest-rank method (an observed value, never interpolated)."""
    ordered = sorted(values)

    def rank(q: float) -> int | float:
        return round(ordered[max(0, math.ceil(q * len(ordered)) - 1)], 3)

    return Distribution(p50=rank(0.50), p95=rank(0.95), max=round(ordered[-1], 3))
