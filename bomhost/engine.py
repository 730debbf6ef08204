"""One run of ``bomhost diff``: load plugins, read both SBOMs, diff, run plugins, gate.

No UI here: progress goes through an injected object whose default does nothing, and the result
is a ``Report`` value that the CLI hands to a renderer. Plugins are loaded (manifests validated,
pins checked, WASM modules compiled and their imports checked) before any SBOM is read, so a
configuration error stops the run before anything is computed that would be lost.
"""

from __future__ import annotations

import gc
import os
import tempfile
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from bomhost import __version__
from bomhost.baseline import Baseline
from bomhost.diff import diff
from bomhost.errors import UsageError
from bomhost.gates import GateOptions, evaluate
from bomhost.model import ChangeSet
from bomhost.plugins.outcome import PluginOutcome, Progress
from bomhost.report.model import Enrichment, Report, Sandbox, SbomInfo
from bomhost.sbom import SbomDocument, SbomFormat, load
from bomhost.sbom.common import Interner, gc_paused
from bomhost.signals import SignalOptions
from bomhost.vex import VexIndex

if TYPE_CHECKING:
    from bomhost.plugins.manifest import LoadedManifest
    from bomhost.policy.model import Policy


@dataclass(frozen=True)
class DiffOptions:
    """Everything ``bomhost diff`` was asked to do."""

    old: str
    new: str
    fmt: SbomFormat = "auto"
    plugins: Sequence[str] = ()
    policy: str | None = None
    jobs: int | None = None
    gates: GateOptions = field(default_factory=GateOptions)
    timings: bool = False
    validate: bool = False
    cache_dir: str | None = None
    # Accepted findings, dropped before the report and the gates (--baseline).
    baseline: Baseline | None = None
    http_cache: bool = True
    # Keep Syft's "file" pseudo-components (bomdrift drops them by default).
    include_file_components: bool = False
    # --vex statements, applied after the baseline (as bomdrift).
    vex: VexIndex | None = None
    # SBOM bytes fetched from a verified attestation, by the name used as old/new.
    attested: Mapping[str, bytes] = field(default_factory=dict)
    # bomdrift's risk signals (first-party plugins appended after ``plugins``) and their flags.
    signals: SignalOptions = field(default_factory=SignalOptions)


def _source_date_epoch() -> str | None:
    # Empty means unset (a CI step clears a variable with `SOURCE_DATE_EPOCH=`), and surrounding
    # blanks are ignored: bomdrift reads it the same way, so such a job keeps running.
    epoch = os.environ.get("SOURCE_DATE_EPOCH", "").strip()
    return epoch or None


def run_now_ms() -> int:
    """The run's fixed "now": SOURCE_DATE_EPOCH when set (reproducible builds), else the clock."""
    epoch = _source_date_epoch()
    if epoch is None:
        return int(time.time() * 1000)
    try:
        seconds = int(epoch)
    except ValueError as exc:
        raise UsageError(f"SOURCE_DATE_EPOCH must be an integer, got {epoch!r}") from exc
    # Years 1..9999: what a report timestamp can show (and bomdrift's time crate accepts).
    if not -62_135_596_800 <= seconds <= 253_402_300_799:
        raise UsageError(f"SOURCE_DATE_EPOCH is out of range (years 1 to 9999): {epoch}")
    return seconds * 1000


def generated_at() -> str | None:
    """The report's timestamp: only from SOURCE_DATE_EPOCH, so default output is byte-stable."""
    if _source_date_epoch() is None:
        return None
    stamp = datetime.fromtimestamp(run_now_ms() / 1000, tz=UTC)
    return stamp.isoformat().replace("+00:00", "Z")  # zero-padded year, unlike strftime


def _info(doc: SbomDocument) -> SbomInfo:
    return SbomInfo(
        path=doc.path,
        format=doc.format,
        spec_version=doc.spec_version,
        components=len(doc.components),
        skipped=doc.skipped,
    )


def _sbom_warnings(doc: SbomDocument) -> list[str]:
    if not doc.skipped:
        return []
    return [f"{doc.path}: skipped {doc.skipped} component(s) with neither purl nor name"]


def default_jobs(manifests: Sequence[LoadedManifest], policy: Policy) -> int:
    """``--jobs`` when not given: the CPU count where threads help, else 1 (measured rule).

    Threads overlap waiting: a per-call external plugin is a process, and a WASM plugin whose
    policy lets it reach the network waits in host calls. Everything else gains nothing from a
    second thread and pays for the contention (docs/benchmarks.md):
    - a WASM plugin without network access is CPU-bound Python and wasmtime under the GIL:
      2,000 calls of a two-host-call module took 1.2x longer with 2 threads than with 1;
    - a persistent external plugin answers one call at a time (one process, one pipe): 2,000
      calls cost 95 us each with 1 thread and 172 us with 2. Two or more of them can overlap
      each other, so then threads help again.
    """
    cpus = os.cpu_count() or 1
    persistent = 0
    for m in manifests:
        if m.manifest.runtime == "wasm":
            if policy.for_plugin(m.name).net.allow:
                return cpus
        elif m.manifest.mode == "persistent":
            persistent += 1
        else:
            return cpus
    return cpus if persistent > 1 else 1


def run_diff(opts: DiffOptions, progress: Progress | None = None) -> Report:
    """Read, diff, enrich and gate; raise ``BomhostError`` for anything the user must fix."""
    if opts.jobs is not None and opts.jobs < 1:
        raise UsageError(f"--jobs must be at least 1, got {opts.jobs}")
    if not (opts.plugins or opts.policy or opts.signals.defaults):
        return _report(opts, [], lambda _changes: PluginOutcome())

    # Imported only when plugins run: a plain diff stays free of the plugin machinery (its
    # pydantic models and wasmtime cost more start-up than the whole diff of a small pair).
    from bomhost import builtins
    from bomhost.plugins.manifest import load_manifest
    from bomhost.policy.load import load_policy
    from bomhost.signals import read_grants, with_signals

    # builtin:NAME names a first-party plugin shipped in the package (bomhost/builtins/).
    user: list[LoadedManifest] = [load_manifest(builtins.resolve(p)) for p in opts.plugins]
    # bomdrift's signals run as first-party plugins after the user's, each replaceable by a
    # user plugin of the same name (bomhost/signals.py).
    manifests = with_signals(user, opts.signals)
    warnings: list[str] = [w for m in manifests for w in m.warnings]
    if not (manifests or opts.policy):
        return _report(opts, warnings, lambda _changes: PluginOutcome())

    policy = builtins.with_fragments(load_policy(opts.policy), manifests, read_grants)
    jobs = opts.jobs if opts.jobs is not None else default_jobs(manifests, policy)
    with tempfile.TemporaryDirectory(prefix="bomhost-") as scratch:
        if opts.signals.osv_db is not None:
            from bomhost.builtins import osv_db

            dump = osv_db.dump_path(opts.signals.osv_db, Path(scratch))
            manifests, policy, notes = osv_db.apply(dump, manifests, policy)
            warnings += notes
        return _run_plugins(opts, manifests, policy, warnings, jobs, progress)


def _run_plugins(
    opts: DiffOptions,
    manifests: list[LoadedManifest],
    policy: Policy,
    warnings: list[str],
    jobs: int,
    progress: Progress | None,
) -> Report:
    from bomhost.plugins.interface import RunContext
    from bomhost.plugins.runner import close_all, load_plugins, run_plugins

    rules = list(policy.net.allow) + [r for t in policy.plugins.values() for r in t.net.allow]
    warnings += [
        f"policy: rule {r.id}: header {h} dropped (an environment variable it names is not set)"
        for r in rules
        for h in r.dropped_headers
    ]
    ctx = RunContext(
        bomhost_version=__version__,
        now_ms=run_now_ms(),
        policy=policy,
        jobs=jobs,
        cache_dir=opts.cache_dir,
        http_cache=opts.http_cache,
    )
    instances = load_plugins(manifests, ctx)  # refusals stop the run before any SBOM is read
    try:
        return _report(
            opts,
            warnings,
            lambda changes: run_plugins(
                manifests, changes, ctx, jobs=jobs, progress=progress, instances=instances
            ),
        )
    finally:
        close_all(instances)


def _load(path: str, opts: DiffOptions, interner: Interner) -> SbomDocument:
    """One side: from its file, or from attested bytes; Syft's file entries dropped as bomdrift."""
    if path in opts.attested:
        from bomhost.sbom.detect import parse_bytes

        doc = parse_bytes(opts.attested[path], path, opts.fmt, interner)
    else:
        doc = load(path, opts.fmt, interner)
    if opts.include_file_components:
        return doc
    # bomdrift's filter_file_components: Syft's directory cataloger lists every scanned file as
    # a component of ecosystem "file" whose path differs between two checkouts, so each would
    # show as both added and removed. Only that exact ecosystem is dropped.
    kept = tuple(c for c in doc.components if c.ecosystem != "file")
    if len(kept) == len(doc.components):
        return doc
    return doc.model_copy(update={"components": kept})


def _report(
    opts: DiffOptions,
    warnings: list[str],
    enrich: Callable[[ChangeSet], PluginOutcome],
) -> Report:
    """Read both SBOMs, diff them, let ``enrich`` run the plugins, and gate the result.

    Both SBOMs live to the end of the run: they are built with the cyclic garbage collector
    paused, then frozen (``gc.freeze``) so that no later collection re-scans them. A 50k pair
    is millions of objects; each full collection over them cost tens of milliseconds, and the
    short-lived objects of 2,000 WASM calls triggered enough of them to add 15 us to each
    call. Unfrozen on the way out, so a caller that runs many diffs in one process (the tests)
    keeps nothing for good.
    """
    # One interner for both sides: the new side reuses the old side's equal components.
    interner = Interner()
    with gc_paused():
        old = _load(opts.old, opts, interner)
        new = _load(opts.new, opts, interner)
        gc.freeze()
    del interner
    try:
        return _gated(opts, warnings, enrich, old, new)
    finally:
        gc.unfreeze()


def _gated(
    opts: DiffOptions,
    warnings: list[str],
    enrich: Callable[[ChangeSet], PluginOutcome],
    old: SbomDocument,
    new: SbomDocument,
) -> Report:
    """Diff the two read SBOMs, let ``enrich`` run the plugins, and gate the result."""
    warnings = warnings + _sbom_warnings(old) + _sbom_warnings(new)
    if opts.validate:
        from bomhost.sbom.validate import validate_schema

        warnings += [w for w in (validate_schema(old), validate_schema(new)) if w]
    changes = diff(old.components, new.components)

    outcome = enrich(changes)
    stats = outcome.stats
    if not opts.timings:
        stats = {k: v.model_copy(update={"elapsed_ms": None}) for k, v in stats.items()}
    findings = outcome.findings
    if opts.baseline is not None:
        base = opts.baseline
        findings = tuple(f for f in findings if not base.suppresses(f))
        warnings += base.warnings()
    vex_extra: dict[str, Any] = {}
    if opts.vex is not None:
        from bomhost.vex.apply import apply_vex

        applied = apply_vex(findings, opts.vex)
        findings = applied.findings
        vex_extra = {
            "vex_annotations": applied.annotations,
            "vex_suppressed_count": applied.suppressed,
        }
    enrichment = Enrichment(plugin_findings=findings, plugin_errors=outcome.errors, **vex_extra)
    return Report(
        bomhost_version=__version__,
        generated_at=generated_at(),
        old=_info(old),
        new=_info(new),
        changes=changes,
        enrichment=enrichment,
        sandbox=Sandbox(events=outcome.events, stats=stats, logs=outcome.logs),
        warnings=tuple(warnings),
        gates=evaluate(changes, enrichment, opts.gates),
    )
