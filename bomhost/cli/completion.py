"""``bomhost completion bash|zsh|fish``: print the shell's completion script (click's own machinery).

The script calls ``bomhost`` back with ``_BOMHOST_COMPLETE`` set; click then answers with the
subcommands, options and choices of the command line typed so far (the lazy subcommands load
for that, as for a run). Install: ``eval "$(bomhost completion bash)"`` in ``~/.bashrc``, the
same in ``~/.zshrc`` for zsh, ``bomhost completion fish > ~/.config/fish/completions/bomhost.fish``.
"""

from __future__ import annotations

import click

SHELLS = ("bash", "zsh", "fish")
COMPLETE_VAR = "_BOMHOST_COMPLETE"


@click.command("completion")
@click.argument("shell", type=click.Choice(SHELLS))
def completion_command(shell: str) -> int:
    """Print the completion script for SHELL (bash, zsh or fish)."""
    from click.shell_completion import get_completion_class

    from bomhost.cli import cli

    cls = get_completion_class(shell)
    assert cls is not None  # click ships all three
    click.echo(cls(cli, {}, "bomhost", COMPLETE_VAR).source(), nl=False)
    return 0
