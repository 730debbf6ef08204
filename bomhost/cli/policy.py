"""``bomhost policy template|lint`` and ``bomhost explain``: writing, checking, reading policies."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import click

from bomhost.errors import UsageError
from bomhost.policy import explain as explain_mod
from bomhost.policy import lint as lint_mod
from bomhost.policy.load import load_policy
from bomhost.policy.presets import PRESETS, preset_text


def _renamed(old: str, new: str, why: str) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """A hidden option under an old name that says what it is called now, and why.

    Option names mean one thing in every bomhost subcommand (bomdrift's meanings, as ``diff``
    has them): ``--output`` a report format, ``--output-file`` a path, ``--format`` the input
    SBOM format. These commands once used ``--format`` / ``--output`` otherwise.
    """

    def fail(ctx: click.Context, param: click.Parameter, value: Any) -> None:
        if value is not None:
            raise UsageError(f"{ctx.command_path}: {old} is now {new} ({why} in bomhost)")

    name = "renamed_" + old.lstrip("-").replace("-", "_")  # its own name: never a real option's
    return click.option(old, name, hidden=True, expose_value=False, callback=fail, default=None)


@click.group("policy")
def policy_group() -> None:
    """Sandbox policies: start from a preset, check one before CI uses it."""


@policy_group.command("template")
@click.option("--preset", type=click.Choice(PRESETS), default="strict", show_default=True)
@click.option(
    "--output-file",
    "-o",
    "output",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Write here instead of stdout (an existing file is kept unless --force).",
)
@click.option("--force", is_flag=True, help="Overwrite --output-file if it exists.")
@_renamed("--output", "--output-file PATH", "--output names a report format")
def template_command(preset: str, output: Path | None, force: bool) -> int:
    """Print a commented policy to start from (relative paths start at the file's folder)."""
    text = preset_text(preset)
    if output is None:
        click.echo(text, nl=False)
        return 0
    if output.exists() and not force:
        raise UsageError(f"{output} exists; pass --force to overwrite it")
    try:
        output.write_text(text, encoding="utf-8")
    except OSError as exc:
        raise UsageError(f"{output}: cannot write: {exc.strerror or exc}") from exc
    return 0


@policy_group.command("lint")
@click.argument("file", type=click.Path(path_type=Path))
@click.option(
    "--output", "fmt", type=click.Choice(["text", "json"]), default="text", show_default=True
)
@_renamed("--format", "--output text|json", "--format names an input format")
@click.option("--strict", is_flag=True, help="Warnings fail too (exit 1).")
def lint_command(file: Path, fmt: str, strict: bool) -> int:
    """Check a policy: errors exit 1; warnings exit 0 unless --strict."""
    result = lint_mod.lint_policy(file)
    render = lint_mod.render_json if fmt == "json" else lint_mod.render_text
    click.echo(render(result), nl=False)
    return result.exit_code(strict)


@click.command("explain")
@click.argument("report", required=False, type=click.Path(path_type=Path))
@click.option("--event-index", type=click.IntRange(min=0), help="Index into sandbox.events.")
@click.option("--event-json", help="One event as JSON, instead of a report and an index.")
@click.option(
    "--policy",
    "policy_path",
    type=click.Path(path_type=Path),
    help="The policy the run used: the answer then quotes the rule as written.",
)
@click.option(
    "--output", "fmt", type=click.Choice(["text", "json"]), default="text", show_default=True
)
@_renamed("--format", "--output text|json", "--format names an input format")
def explain_command(
    report: Path | None,
    event_index: int | None,
    event_json: str | None,
    policy_path: Path | None,
    fmt: str,
) -> int:
    """Say what a sandbox event means, what decided it, and what policy change would allow it."""
    event = explain_mod.load_event(report, event_index, event_json)
    policy = load_policy(policy_path) if policy_path is not None else None
    answer = explain_mod.explain(event, policy)
    render = explain_mod.render_json if fmt == "json" else explain_mod.render_text
    click.echo(render(answer), nl=False)
    return 0
