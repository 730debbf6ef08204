"""``bomhost ci comment``: post or update the PR comment from a CI job (the Action calls it)."""

from __future__ import annotations

import os
from pathlib import Path

import click


@click.group("ci")
def ci_group() -> None:
    """CI helpers: the pull-request comment."""


@ci_group.command("comment")
@click.option("--body-file", required=True, metavar="FILE", help="Markdown report to post.")
@click.option(
    "--repo",
    envvar="GITHUB_REPOSITORY",
    required=True,
    help="owner/name [env: GITHUB_REPOSITORY].",
)
@click.option("--pr", "number", type=click.IntRange(min=1), required=True, help="PR number.")
@click.option(
    "--api-url",
    envvar="GITHUB_API_URL",
    default="https://api.github.com",
    show_default=True,
    help="GitHub REST API root [env: GITHUB_API_URL].",
)
def comment_command(body_file: str, repo: str, number: int, api_url: str) -> int:
    """Post the report as one PR comment, or update that comment in place (token: GITHUB_TOKEN)."""
    from bomhost.ci.github import Target, upsert
    from bomhost.errors import UsageError

    token = os.environ.get("GITHUB_TOKEN", "")
    if not token:
        raise UsageError("ci comment: GITHUB_TOKEN is not set")
    try:
        body = Path(body_file).read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise UsageError(f"--body-file {body_file}: cannot read: {exc}") from exc
    action, ident = upsert(Target(api_url=api_url, repo=repo, number=number, token=token), body)
    click.echo(f"{action} comment {ident} on {repo}#{number}")
    return 0
