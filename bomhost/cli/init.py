"""``bomhost init``: bomdrift's scaffold (src/run/init.rs) for a repository adopting bomhost.

Writes ``.bomdrift.toml`` (readable by bomdrift too, so the file is shared during a switch-over)
and, unless ``--config-only``, two GitHub workflows: the PR diff with its self-updating comment,
and the ``/bomdrift suppress <ID>`` comment handler. An existing file is never overwritten
without ``--force``; every file is checked before any is written, so a refusal leaves the
repository as it was.
"""

from __future__ import annotations

from importlib import resources
from pathlib import Path

import click

CONFIG = Path(".bomdrift.toml")
WORKFLOWS = {
    Path(".github/workflows/sbom-diff.yml"): "sbom-diff.yml",
    Path(".github/workflows/bomhost-suppress.yml"): "bomhost-suppress.yml",
}


def init_fail_on() -> str:
    """bomdrift's scaffold gates on high/critical advisories; until this bomhost has that
    gate (issue 12's vulnerability signal), the scaffold stays informational."""
    from bomhost.gates import FAIL_ON_VALUES

    return "critical-cve" if "critical-cve" in FAIL_ON_VALUES else "none"


def _template(name: str) -> str:
    return resources.files("bomhost.ci").joinpath("templates", name).read_text(encoding="utf-8")


def scaffold(config_only: bool) -> dict[Path, str]:
    """Every file ``init`` writes, by path relative to the repository root."""
    files = {CONFIG: _template("bomdrift.toml").replace("@FAIL_ON@", init_fail_on())}
    if not config_only:
        files.update({path: _template(name) for path, name in WORKFLOWS.items()})
    return files


@click.command("init")
@click.option("--force", is_flag=True, help="Overwrite files that already exist.")
@click.option(
    "--config-only", is_flag=True, help="Only write .bomdrift.toml; skip the GitHub workflows."
)
def init_command(force: bool, config_only: bool) -> int:
    """Write .bomdrift.toml and the GitHub workflows (PR diff and comment suppression) here."""
    from bomhost.errors import UsageError

    files = scaffold(config_only)
    if not force:
        for path in files:
            if path.exists():
                raise UsageError(f"{path} already exists; re-run with --force to overwrite")
    for path, text in files.items():
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(text, encoding="utf-8")
        except OSError as exc:
            raise UsageError(f"cannot write {path}: {exc.strerror or exc}") from exc
        click.echo(f"wrote {path}")
    return 0
