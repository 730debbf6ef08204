"""The ``bomhost`` command: a dispatcher that maps expected errors to exit codes.

Subcommands live in sibling modules and are imported only when invoked, so ``bomhost --version``
never pays for pydantic models, SBOM readers or wasmtime. Each subcommand parses options, calls
one core function, renders, writes, and returns an exit code.
"""

from __future__ import annotations

import contextlib
import importlib
import os
import sys
from typing import Any

import click

from bomhost import __version__

# name -> "module:attribute"; one line per subcommand.
COMMANDS: dict[str, str] = {
    "baseline": "bomhost.cli.baseline:baseline_group",
    "ci": "bomhost.cli.ci:ci_group",
    "completion": "bomhost.cli.completion:completion_command",
    "demo": "bomhost.cli.demo:demo_command",
    "diff": "bomhost.cli.diff:diff_command",
    "plugin": "bomhost.cli.plugin:plugin_group",
    "policy": "bomhost.cli.policy:policy_group",
    "explain": "bomhost.cli.policy:explain_command",
    "init": "bomhost.cli.init:init_command",
    "refresh-typosquat": "bomhost.cli.refresh:refresh_command",
}


class LazyGroup(click.Group):
    """A click group whose subcommands are imported on first use."""

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted(COMMANDS)

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        target = COMMANDS.get(cmd_name)
        if target is None:
            return None
        module_name, attr = target.split(":")
        command: click.Command = getattr(importlib.import_module(module_name), attr)
        return command


@click.group(cls=LazyGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, "-V", "--version", prog_name="bomhost")
def cli() -> None:
    """Compare two SBOMs, run plugins on what changed, and gate the build.

    Exit codes: 0 ok, 1 error (bad input, bad manifest or policy), 2 a gate tripped.
    """


def _fail(message: str, code: int = 1) -> int:
    click.echo(f"bomhost: error: {message}", err=True)
    return code


def run(argv: list[str] | None = None) -> int:
    """Run the CLI and return the exit code; never lets a traceback reach the user."""
    from bomhost.errors import BomhostError

    try:
        result: Any = cli.main(args=argv, prog_name="bomhost", standalone_mode=False)
    except BomhostError as exc:
        return _fail(str(exc), int(exc.exit_code))
    except click.exceptions.Abort:
        return _fail("aborted", 130)
    except click.ClickException as exc:
        # Usage errors exit 1, not click's 2: exit 2 means "a gate tripped" to CI.
        exc.show()
        return 1
    except KeyboardInterrupt:
        return _fail("interrupted", 130)
    except BrokenPipeError:
        return 1
    except Exception as exc:  # a bug: one line, not a traceback; BOMHOST_DEBUG shows it
        import os
        import traceback

        if os.environ.get("BOMHOST_DEBUG"):
            traceback.print_exc()
        return _fail(
            f"internal error: {type(exc).__name__}: {exc} (please report; BOMHOST_DEBUG=1 shows the traceback)"
        )
    return int(result) if isinstance(result, int) else 0


def main() -> None:
    """Console-script entry point."""
    code = run()
    # A bomhost process starts no child of its own that outlives its run: whatever is still a
    # child now was re-parented here by an external plugin that escaped its call's tracking.
    from bomhost.plugins import reaper

    killed = reaper.sweep_orphans() if reaper.subreaper_enabled() else []
    if killed:
        click.echo(
            f"bomhost: warning: killed processes left by plugins: {reaper.describe(killed)}",
            err=True,
        )
    _exit(code)


def _exit(code: int) -> None:
    """End the process once its output is flushed, without tearing the interpreter down.

    Why: Python's shutdown frees every module and object one by one, and for a CLI process that
    is pure waste. Measured on the benchmark machine (docs/benchmarks.md): about 25 ms after a
    small plain diff, 50 ms after one with a WASM plugin (wasmtime's engine, stores and code
    memory), and 110-140 ms after a 50k-component diff. Nothing is left to do by then: every
    file is written and closed by ``with`` blocks or ``write_text``, temporary folders are
    removed, plugin processes are closed and orphans reaped (above), the thread pool is joined,
    and bomhost registers no ``atexit`` handler. Only the buffered standard streams remain,
    flushed here; a reader that closed the pipe early gets exit 1, as ``run`` gives it.
    """
    try:
        if sys.stdout is not None:  # None: the process was started with stdout closed
            sys.stdout.flush()
    except (BrokenPipeError, ValueError):  # ValueError: stdout was closed
        code = code or 1
    with contextlib.suppress(BrokenPipeError, ValueError):
        if sys.stderr is not None:
            sys.stderr.flush()
    if _observed():
        sys.exit(code)  # a profiler or coverage writes its data at shutdown: let it
    os._exit(code)


def _observed() -> bool:
    """A tracer, profiler or ``sys.monitoring`` tool (coverage on 3.12+) is watching."""
    if sys.gettrace() is not None or sys.getprofile() is not None:
        return True
    monitoring = getattr(sys, "monitoring", None)
    return monitoring is not None and any(monitoring.get_tool(i) for i in range(6))
