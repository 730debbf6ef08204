"""``bomhost demo``: the diff ``make demo`` runs, from the example files bomhost ships with."""

from __future__ import annotations

import click

from bomhost.cli.diff import OUTPUTS


@click.command("demo")
@click.option(
    "--output",
    type=click.Choice(OUTPUTS),
    help="Report format [default: terminal], as for diff.",
)
@click.option(
    "--list",
    "list_only",
    is_flag=True,
    help="Print the example plugins' manifests and policies (for --plugin/--policy) and the"
    " example SBOMs, and stop.",
)
def demo_command(output: str | None, list_only: bool) -> int:
    """Diff the example SBOMs with one external and one WASM example plugin.

    Needs nothing but the installed package: the wheel carries the example plugins (manifest,
    module, policy) and SBOMs. Exit codes are diff's.
    """
    from bomhost import demo

    if list_only:
        for name, manifest in demo.plugins().items():
            policy = manifest.parent / "policy.toml"
            extra = f"  --policy {policy}" if policy.is_file() else ""
            click.echo(f"{name}: --plugin {manifest}{extra}")
        sboms = demo.root() / "sboms"
        click.echo(f"sboms: {sboms / 'old.cdx.json'} {sboms / 'new.cdx.json'}")
        return 0
    from bomhost.cli import cli

    args = demo.diff_args(output)
    click.echo(f"bomhost {' '.join(args)}", err=True)
    result = cli.main(args=args, prog_name="bomhost", standalone_mode=False)
    return int(result) if isinstance(result, int) else 0
