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
from dataclasses import dataclass

from bomhost.model import (
    ChangeSet,
    Component,
    ErrorKind,
    Event,
    Finding,
    PluginError,
    SandboxEvent,
)
from bomhost.plugins.interface import CallResult, PluginInstance, RunContext, Runtime
from bomhost.plugins.manifest import LoadedManifest
from bomhost.plugins.outcome import NoProgress, PluginOutcome, Progress
from bomhost.plugins.protocol import (
    BadResponse,
    RequestEncoder,
    ResponseFinding,
    RunInfo,
    TooManyFindings,
    decode_batch_response_error,
    decode_response_error,
)
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


# One call: a single invocation (per-component) or a chunk of them (``invoke = "batch"``).
Unit = tuple[Invocation, ...]


def units(plugin: LoadedManifest, calls: list[Invocation]) -> list[Unit]:
    """Cut one plugin's planned calls into the calls actually made, in order."""
    m = plugin.manifest
    if m.invoke != "batch":
        return [(inv,) for inv in calls]
    return [tuple(calls[i : i + m.batch_size]) for i in range(0, len(calls), m.batch_size)]


def batch_subject(unit: Unit) -> str:
    """How events and logs of a batch call name it: ``batch:<first id>+<n-1>``."""
    return f"batch:{unit[0].subject}+{len(unit) - 1}"


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
    errors: tuple[PluginError, ...]
    logs: tuple[PluginLog, ...]
    events: tuple[SandboxEvent, ...]
    result: CallResult
    elapsed_ms: float
    components: int = 1  # how many components the call carried (batch: the chunk size)


def _call(
    plugin: LoadedManifest, inst: PluginInstance, encoder: RequestEncoder, unit: Unit
) -> _Done:
    m = plugin.manifest
    batch = m.invoke == "batch"
    if batch:
        request = encoder.encode_batch([(i.subject, i.component, i.event, i.before) for i in unit])
        subject = batch_subject(unit)
    else:
        inv = unit[0]
        request = encoder.encode(inv.component, inv.event, inv.before)
        subject = inv.subject
    start = time.monotonic()
    # Budgets are per call and scale with the components in it (protocol/README.md, section 8).
    result = inst.call(request, subject, scale=len(unit)) if batch else inst.call(request, subject)
    elapsed = (time.monotonic() - start) * 1000
    findings: tuple[Finding, ...] = ()
    errors: tuple[PluginError, ...] = ()
    events = result.events

    def fail(kind: ErrorKind, message: str) -> tuple[PluginError, ...]:
        # A failed batch call fails every component in it, so counts mean the same in both modes.
        return tuple(
            PluginError(
                plugin_name=m.name,
                component_purl=i.subject,
                error_kind=kind,
                message=message,
            )
            for i in unit
        )

    if result.failure is not None:
        errors = fail(result.failure.kind, result.failure.message)
    else:
        try:
            raw: Sequence[tuple[str, ResponseFinding]]
            if batch:
                order: dict[str, int] = {}
                for n, i in enumerate(unit):
                    order.setdefault(i.subject, n)
                got, reported = decode_batch_response_error(result.output, frozenset(order))
                # Item order, stable within an item: the same bytes as per-component mode.
                raw = sorted(((f.component_purl, f) for f in got), key=lambda p: order[p[0]])
            else:
                single, reported = decode_response_error(result.output)
                raw = [(subject, f) for f in single]
        except TooManyFindings as exc:
            # One error per component and one event for the call, never one per finding.
            errors = fail("output_too_large", f"response has {exc}")
            if m.runtime == "wasm":
                events += (
                    SandboxEvent(
                        plugin_name=m.name,
                        component_purl=subject,
                        decision="deny",
                        rule_id="protocol.max_findings",
                        reason_code="output_too_large",
                        context={"limit": exc.limit, "used": exc.count},
                    ),
                )
        except BadResponse as exc:
            errors = fail("bad_output", str(exc))
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
            if reported is not None and m.protocol == 2:
                # The plugin ran but could not do all of it (a source offline): a plugin error,
                # with the findings it did send kept (protocol/README.md, section 5).
                errors = fail("plugin_reported", " ".join(reported.split()))
            findings = tuple(
                Finding(
                    plugin_name=m.name,
                    component_purl=purl,
                    kind=f.kind,
                    message=f.message,
                    severity=f.severity,
                    rule_id=f.rule_id,
                    data=f.data,
                )
                for purl, f in raw
            )
    logs = tuple(
        PluginLog(
            plugin_name=m.name, component_purl=subject, level=line.level, message=line.message
        )
        for line in result.logs
        if errors or line.level != STDERR_LEVEL
    )
    return _Done(findings, errors, logs, events, result, elapsed, len(unit))


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
        calls = [u for i, p in enumerate(plugins) for u in units(p, plan(p, i, changes))]
        run = RunInfo(bomhost_version=ctx.bomhost_version, now_ms=ctx.now_ms)
        encoders = [RequestEncoder(p.manifest.protocol, p.manifest.config, run) for p in plugins]
        progress.start(sum(len(u) for u in calls))
        done: list[_Done | None] = [None] * len(calls)
        if jobs <= 1 or len(calls) <= 1:
            for n, unit in enumerate(calls):
                i = unit[0].plugin
                done[n] = _call(plugins[i], instances[i], encoders[i], unit)
                _advance(progress, len(unit))
        else:
            # Imported here: with one thread (the default for WASM plugins) the pool, and the
            # logging module it pulls in, are ~4 ms of start-up for nothing.
            from concurrent.futures import ThreadPoolExecutor, as_completed

            with ThreadPoolExecutor(max_workers=jobs, thread_name_prefix="bomhost-plugin") as pool:
                futures = {
                    pool.submit(
                        _call,
                        plugins[u[0].plugin],
                        instances[u[0].plugin],
                        encoders[u[0].plugin],
                        u,
                    ): n
                    for n, u in enumerate(calls)
                }
                try:
                    for fut in as_completed(futures):
                        d = fut.result()
                        done[futures[fut]] = d
                        _advance(progress, d.components)
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


def _advance(progress: Progress, n: int) -> None:
    for _ in range(n):
        progress.advance()


def _merge(
    plugins: Sequence[LoadedManifest], calls: Sequence[Unit], done: Sequence[_Done]
) -> PluginOutcome:
    usage: dict[str, list[_Done]] = {}
    for unit, d in zip(calls, done, strict=True):
        usage.setdefault(plugins[unit[0].plugin].name, []).append(d)
    return PluginOutcome(
        findings=tuple(f for d in done for f in d.findings),
        errors=tuple(e for d in done for e in d.errors),
        events=tuple(e for d in done for e in d.events),
        logs=tuple(line for d in done for line in d.logs),
        stats={name: _stats(ds) for name, ds in usage.items()},
        components={
            name: n for name, ds in usage.items() if (n := sum(d.components for d in ds)) != len(ds)
        },
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
