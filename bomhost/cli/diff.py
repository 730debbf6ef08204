"""``bomhost diff OLD NEW``: bomdrift's options, plus bomhost's plugin, policy and job options."""

from __future__ import annotations

import os
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import click
from click.core import ParameterSource

from bomhost.cli.diff_ci import CiOptions, ci_options
from bomhost.gates import FAIL_ON_HELP, FAIL_ON_VALUES

# Input files are opened by the readers and loaders, which name the file and the reason in one
# line ("cannot read ...: Is a directory", "Permission denied"); click's own existence and
# readability checks would print a three-line usage error instead.
_INPUT = click.Path(readable=False)

OUTPUTS = ("terminal", "markdown", "json", "sarif", "cyclonedx")


def _unit_float(_ctx: click.Context, _param: click.Parameter, value: float | None) -> float | None:
    # bomdrift's parse_similarity_threshold: a finite float in 0.0..=1.0.
    if value is not None and not 0.0 <= value <= 1.0:
        raise click.BadParameter(f"expected a float in 0.0..=1.0, got {value}")
    return value


def _comma_list(
    _ctx: click.Context, _param: click.Parameter, value: tuple[str, ...]
) -> tuple[str, ...]:
    # bomdrift's value_delimiter = ',': repeatable and comma-separated, blanks dropped.
    return tuple(item.strip() for v in value for item in v.split(",") if item.strip())


def _signal_options(command: Callable[..., int]) -> Callable[..., int]:
    """bomdrift's signal flags: each configures (or turns off) a first-party signal plugin."""
    options = [
        click.option(
            "--offline",
            is_flag=True,
            envvar="BOMHOST_OFFLINE",
            help="Run no default signal that needs the network (osv unless --osv-db, registry, "
            "maintainer-age); --plugin builtin:NAME still runs. Env: BOMHOST_OFFLINE=1.",
        ),
        click.option(
            "--no-signals",
            "defaults",
            is_flag=True,
            flag_value=False,
            default=True,
            help="Run no first-party signal by default, only the --plugin plugins (bomhost's: "
            "the diff alone, as the benchmarks compare it with other diff tools).",
        ),
        click.option("--no-osv", is_flag=True, help="Skip the OSV vulnerability signal."),
        click.option(
            "--no-osv-cache", is_flag=True, help="OSV: neither read nor write its response cache."
        ),
        click.option("--no-epss", is_flag=True, help="OSV: do not add EPSS scores."),
        click.option("--no-kev", is_flag=True, help="OSV: do not flag CISA KEV entries."),
        click.option(
            "--osv-db",
            metavar="PATH",
            help="OSV offline: read this dump (an OSV all.zip, or a folder of <ID>.json records) "
            "instead of the API; the policy grants exactly this path.",
        ),
        click.option(
            "--no-registry",
            is_flag=True,
            help="Skip the registry signals (recently published, deprecated).",
        ),
        click.option(
            "--no-maintainer-age", is_flag=True, help="Skip the maintainer-age signal (GitHub)."
        ),
        click.option(
            "--typosquat-similarity-threshold",
            type=float,
            callback=_unit_float,
            metavar="0..1",
            help="Typosquat: flag names at least this similar to a popular one [default: 0.92].",
        ),
        click.option(
            "--multi-major-delta",
            type=click.IntRange(min=1),
            help="Version jump: flag upgrades crossing at least this many majors [default: 2].",
        ),
        click.option(
            "--recently-published-days",
            type=click.IntRange(min=0),
            help="Registry: flag versions published within this many days [default: 14; 0 off].",
        ),
        click.option(
            "--young-maintainer-days",
            type=click.IntRange(min=1),
            help="Maintainer age: flag a top contributor younger than this [default: 90].",
        ),
        click.option(
            "--cache-ttl-hours",
            type=click.IntRange(min=1),
            help="OSV/registry/maintainer caches: entries live this long [default: 24].",
        ),
        click.option(
            "--allow-licenses",
            multiple=True,
            callback=_comma_list,
            metavar="SPDX,...",
            help="Licence policy: allowed SPDX ids or `*` globs (repeatable, comma-separated).",
        ),
        click.option(
            "--deny-licenses",
            multiple=True,
            callback=_comma_list,
            metavar="SPDX,...",
            help="Licence policy: denied SPDX ids or `*` globs; deny wins over allow.",
        ),
        click.option(
            "--allow-ambiguous-licenses",
            is_flag=True,
            help="Licence policy: do not flag expressions that cannot be decided.",
        ),
        click.option(
            "--allow-exception",
            multiple=True,
            callback=_comma_list,
            metavar="EXC,...",
            help="Licence policy: SPDX exceptions allowed after WITH (others then violate).",
        ),
        click.option(
            "--deny-exception",
            multiple=True,
            callback=_comma_list,
            metavar="EXC,...",
            help="Licence policy: SPDX exceptions denied after WITH.",
        ),
        click.option(
            "--fail-on-epss",
            type=float,
            callback=_unit_float,
            metavar="0..1",
            help="Exit 2 when a vulnerability's EPSS score is at least this.",
        ),
    ]
    for option in reversed(options):
        command = option(command)
    return command


def _color_allowed() -> bool:
    # https://no-color.org: any non-empty NO_COLOR disables colour.
    return not os.environ.get("NO_COLOR")


def _write(text: str, output_file: str | None) -> None:
    """Write the report; if the file cannot be written, the report goes to stdout, not lost."""
    from bomhost.errors import ReportError

    if output_file is None:
        sys.stdout.write(text)
        sys.stdout.flush()
        return
    target = Path(output_file)
    tmp = target.with_name(f".{target.name}.tmp")
    try:
        tmp.write_text(text, encoding="utf-8")
        tmp.replace(target)
    except OSError as exc:
        tmp.unlink(missing_ok=True)
        sys.stdout.write(text)
        sys.stdout.flush()
        raise ReportError(
            f"cannot write {output_file}: {exc.strerror or exc}; the report was written to stdout instead"
        ) from exc


@click.command("diff")
@click.argument("old", type=_INPUT, required=False)
@click.argument("new", type=_INPUT, required=False)
@click.option(
    "--output",
    type=click.Choice(OUTPUTS),
    help="Report format [default: terminal]; terminal falls back to markdown when stdout is not a "
    "TTY; cyclonedx is a CycloneDX 1.6 BOM of the added and version-changed components.",
)
@click.option("--output-file", metavar="PATH", help="Write the report here (atomically).")
@click.option(
    "--format",
    "fmt",
    type=click.Choice(("auto", "cdx", "spdx", "syft")),
    default="auto",
    show_default=True,
    help="Input format (auto detects by content).",
)
@click.option(
    "--fail-on",
    multiple=True,
    metavar="|".join(FAIL_ON_VALUES),
    help="Exit 2 when this kind of finding is present (repeatable, or comma-separated): "
    + "; ".join(f"{k}: {v}" for k, v in FAIL_ON_HELP.items()),
)
@click.option("--max-added", type=click.IntRange(min=0), help="Exit 2 above this many added.")
@click.option("--max-removed", type=click.IntRange(min=0), help="Exit 2 above this many removed.")
@click.option(
    "--max-version-changed",
    type=click.IntRange(min=0),
    help="Exit 2 above this many version changes.",
)
@click.option(
    "--plugin",
    "plugins",
    multiple=True,
    type=_INPUT,
    metavar="FILE",
    help="Plugin manifest (TOML); repeatable, run in the order given.",
)
@click.option(
    "--policy",
    type=_INPUT,
    metavar="FILE",
    help="Sandbox policy for WASM plugins (default: .bomhost.toml's policy, else built-in strict).",
)
@click.option(
    "--jobs",
    "-j",
    type=click.IntRange(min=1),
    help="Concurrent plugin calls [default: CPU count; 1 when threads only slow the run down: "
    "every plugin is WASM without network access, but for at most one persistent plugin].",
)
@click.option(
    "--validate",
    is_flag=True,
    help="Also validate CycloneDX inputs against their JSON/XML schema (exit 1 if invalid).",
)
@click.option(
    "--no-cache",
    is_flag=True,
    help="Neither read nor write the HTTP response cache (rules with cache_ttl_s).",
)
@click.option(
    "--timings",
    is_flag=True,
    help="Keep wall-clock times in sandbox.stats (makes the JSON report differ run to run).",
)
@click.option(
    "--config",
    "config_path",
    metavar="PATH",
    help="bomdrift config to read [default: ./.bomdrift.toml if present]; CLI options win.",
)
@click.option(
    "--baseline",
    metavar="PATH",
    help="Drop findings already accepted in this baseline (a JSON report and/or "
    "suppressed_advisories list; see `bomhost baseline add`).",
)
@click.option(
    "--summary-only",
    is_flag=True,
    help="Markdown: only the gates and the counts table (for a short PR comment).",
)
@click.option(
    "--findings-only",
    is_flag=True,
    help="Markdown: leave out the added/removed/version-changed lists; keep the findings.",
)
@ci_options
@click.option(
    "--markdown-style",
    type=click.Choice(("bomhost", "bomdrift")),
    default="bomhost",
    show_default=True,
    help="Markdown: bomhost's layout, or bomdrift's exactly (its sections only, no bomhost extras).",
)
@_signal_options
@click.pass_context
def diff_command(ctx: click.Context, /, **params: Any) -> int:
    """Compare OLD and NEW SBOMs (CycloneDX JSON/XML, SPDX 2.3 JSON, Syft JSON).

    Options not given on the command line are taken from .bomdrift.toml (bomdrift's rules:
    the command line wins, switches are OR-ed); plugins and policy from .bomhost.toml.
    """
    from bomhost.bomdrift_config import find_bomdrift_config, load_bomdrift_config, merge_into

    config_path = params.pop("config_path")
    bomdrift = load_bomdrift_config(find_bomdrift_config(config_path))
    merge_into(ctx, params, bomdrift)
    ci = CiOptions.pop(params)
    notes: list[str] = []
    baseline_path = params.pop("baseline")
    if (
        baseline_path is not None
        and ctx.get_parameter_source("baseline") is not ParameterSource.COMMANDLINE
        and not Path(baseline_path).exists()
    ):
        # As bomdrift: `init` writes a config naming a baseline that the first suppression
        # creates, so a missing file from the config is dropped; on the command line it is strict.
        notes.append(f"{bomdrift.source}: baseline {baseline_path} does not exist yet; ignored")
        baseline_path = None
    return _diff(baseline_path=baseline_path, notes=notes, ci=ci, **params)


def _diff(
    *,
    baseline_path: str | None,
    notes: list[str],
    ci: CiOptions,
    old: str | None,
    new: str | None,
    output: str | None,
    output_file: str | None,
    fmt: str,
    fail_on: tuple[str, ...],
    max_added: int | None,
    max_removed: int | None,
    max_version_changed: int | None,
    plugins: tuple[str, ...],
    policy: str | None,
    jobs: int | None,
    validate: bool,
    no_cache: bool,
    timings: bool,
    summary_only: bool,
    findings_only: bool,
    markdown_style: str,
    fail_on_epss: float | None,
    **signal_flags: Any,
) -> int:
    """Run one diff with the merged options; returns the exit code."""
    from bomhost.baseline import load_baseline
    from bomhost.cli.diff_ci import emit_vex, environment, fetch_attestations
    from bomhost.config import find_config, load_config
    from bomhost.engine import DiffOptions, run_diff, run_now_ms
    from bomhost.errors import ExitCode
    from bomhost.gates import GateOptions, parse_fail_on
    from bomhost.plugins.outcome import summarize_errors
    from bomhost.report.forge import resolve
    from bomhost.vex import load_vex

    old, new = ci.sides(old, new)
    vex = load_vex(ci.vex) if ci.vex else None  # read before any work that an error would lose
    baseline = load_baseline(baseline_path) if baseline_path is not None else None
    from bomhost.report.interface import View, render
    from bomhost.signals import SignalOptions

    config = load_config(find_config())
    policy = config.policy_path(policy)
    # Command-line options win: --plugin replaces the config's list rather than adding to it.
    all_plugins = plugins or tuple(config.resolve(p) for p in config.plugins)
    gates = GateOptions(
        fail_on=parse_fail_on(fail_on),
        max_added=max_added,
        max_removed=max_removed,
        max_version_changed=max_version_changed,
        fail_on_epss=fail_on_epss,
    )
    progress = None
    if sys.stderr.isatty():
        from bomhost.cli.progress import TerminalProgress

        progress = TerminalProgress()
    old, new, attested = fetch_attestations(ci, old, new)
    report = run_diff(
        DiffOptions(
            old=old,
            new=new,
            fmt=fmt,  # type: ignore[arg-type]  # click.Choice guarantees the literal
            plugins=all_plugins,
            policy=policy,
            jobs=jobs,
            gates=gates,
            timings=timings,
            validate=validate,
            baseline=baseline,
            http_cache=not no_cache,
            include_file_components=ci.include_file_components,
            vex=vex,
            attested=attested,
            signals=SignalOptions(**signal_flags),
        ),
        progress,
    )
    forge = resolve(ci.repo_url, ci.platform, environment())
    report = report.model_copy(update={"forge": forge})

    color = screen = False
    if output in (None, "terminal"):
        if sys.stdout.isatty():
            if output_file is None:
                color, screen = _color_allowed(), True
        elif output is None:
            # Not a TTY and no format asked for: Markdown, as bomdrift (also into --output-file,
            # which is how its CI jobs write the PR comment). An explicit --output terminal
            # (or the config's output = "terminal") is honoured: plain, uncoloured text.
            output = "markdown"
    view: View = "summary" if summary_only else "findings" if findings_only else "full"
    text = render(
        report, output or "terminal", color=color, screen=screen, view=view, style=markdown_style
    )
    _write(text, output_file)
    emit_vex(ci, report, baseline, forge.repo_url, run_now_ms())
    if ci.debug_calibration:
        from bomhost.report.calibration import calibration_lines

        findings = report.enrichment.plugin_findings
        for line in calibration_lines(findings, ci.debug_calibration_format, ci.thresholds):
            click.echo(line, err=True)

    for note in notes:
        click.echo(f"bomhost: warning: {note}", err=True)
    for warning in report.warnings:
        click.echo(f"bomhost: warning: {warning}", err=True)
    calls = {name: stats.count for name, stats in report.sandbox.stats.items()}
    for line in summarize_errors(report.enrichment.plugin_errors, calls):
        click.echo(f"bomhost: {line}", err=True)
    for gate in report.gates:
        click.echo(f"bomhost: gate tripped: {gate.option}: {gate.reason}", err=True)
    return int(ExitCode.GATE if report.gates else ExitCode.OK)
