"""``bomhost baseline add ID``: accept a finding, as bomdrift's ``baseline add`` does."""

from __future__ import annotations

import sys

import click


@click.group("baseline")
def baseline_group() -> None:
    """Manage the baseline file of accepted findings (bomdrift's format)."""


@baseline_group.command("add")
@click.argument("ident", metavar="ID", required=False)
@click.option(
    "--path",
    "--baseline",
    "path",
    default=".bomdrift/baseline.json",
    show_default=True,
    metavar="PATH",
    help="Baseline file to update (created if missing).",
)
@click.option("--expires", metavar="YYYY-MM-DD", help="Stop suppressing after this date.")
@click.option("--reason", help="Why the finding is accepted (kept in the file).")
@click.option(
    "--from-comment",
    "comment",
    metavar="BODY",
    help="Take the id (and reason) from this PR/MR comment body's "
    "`/bomdrift suppress <ID> [reason: ...]` line, as bomdrift; `-` reads the body from stdin.",
)
def add_command(
    ident: str | None,
    path: str,
    expires: str | None,
    reason: str | None,
    comment: str | None,
) -> int:
    """Add ID (an advisory id or a plugin rule id) to the baseline's suppressed list."""
    from bomhost.baseline import add_suppression, parse_directive
    from bomhost.errors import UsageError

    if comment is not None:
        if ident is not None:
            raise UsageError("baseline add: give ID or --from-comment, not both")
        body = sys.stdin.read() if comment == "-" else comment
        found = parse_directive(body)
        if found is None:
            raise UsageError(
                "--from-comment: no `/bomdrift suppress <ID>` directive in the comment"
            )
        ident, said = found
        reason = reason if reason is not None else said
    if ident is None:
        raise UsageError("baseline add: missing ID (or --from-comment)")
    if add_suppression(path, ident, expires=expires, reason=reason):
        click.echo(f"added {ident.strip()} to {path}")
    else:
        click.echo(f"{ident.strip()} is already in {path}")
    return 0
