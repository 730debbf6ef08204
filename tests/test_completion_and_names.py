"""Shell completion through click's machinery, and one meaning per option name in every subcommand."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import click
import pytest

from bomhost.cli import COMMANDS, cli
from tests.test_cli import bomhost, one_error_line

BIN = Path(sys.executable).parent


def test_bash_completes_subcommands_options_and_choices() -> None:
    script = bomhost("completion", "bash").stdout
    assert "_BOMHOST_COMPLETE=bash_complete" in script
    bash = shutil.which("bash")
    assert bash is not None
    # A real bash sources the script and runs its completion function, which calls bomhost back.
    probe = (
        script
        + '\ncomplete_words() { COMPREPLY=(); COMP_WORDS=("$@"); COMP_CWORD=$(($# - 1));'
        + " _bomhost_completion bomhost; printf '%s\\n' \"${COMPREPLY[@]}\"; }\n"
        + "complete_words bomhost di\necho ---\ncomplete_words bomhost diff --platform ''\n"
    )
    env = {**os.environ, "PATH": f"{BIN}{os.pathsep}{os.environ.get('PATH', '')}"}
    out = subprocess.run(
        [bash, "-c", probe], capture_output=True, text=True, env=env, timeout=60, check=False
    )
    assert out.returncode == 0, out.stderr
    first, second = out.stdout.split("---\n")
    assert first.split() == ["diff"]
    assert second.split() == ["github", "gitlab", "bitbucket", "azure-devops"]


@pytest.mark.parametrize("shell", ["zsh", "fish"])
def test_zsh_and_fish_scripts(shell: str) -> None:
    proc = bomhost("completion", shell)
    assert proc.returncode == 0
    assert f"_BOMHOST_COMPLETE={shell}_complete" in proc.stdout.replace('"', "")


def test_unknown_shell_is_a_usage_error() -> None:
    proc = bomhost("completion", "tcsh")
    assert proc.returncode == 1
    assert "'tcsh' is not one of 'bash', 'zsh', 'fish'" in proc.stderr


def _options(command: click.Command, path: str) -> list[tuple[str, str, click.Option]]:
    out = []
    if isinstance(command, click.Group):
        ctx = click.Context(command)
        for name in command.list_commands(ctx):
            sub = command.get_command(ctx, name)
            assert sub is not None
            out += _options(sub, f"{path} {name}")
        return out
    for p in command.params:
        if isinstance(p, click.Option) and not p.hidden:
            out += [(path, o, p) for o in p.opts if o.startswith("--")]
    return out


def test_output_and_format_mean_one_thing_everywhere() -> None:
    assert set(COMMANDS) <= set(cli.list_commands(click.Context(cli)))
    for path, name, opt in _options(cli, "bomhost"):
        if name == "--output":
            # A report format: a choice of formats, never a path.
            assert isinstance(opt.type, click.Choice), path
            assert not {"terminal", "text"}.isdisjoint(opt.type.choices), path
        if name == "--output-file":
            assert not isinstance(opt.type, click.Choice), path
        if name == "--format":
            # The input SBOM's format, as bomdrift's diff --format.
            assert path == "bomhost diff", path
            assert isinstance(opt.type, click.Choice)
            assert "cdx" in opt.type.choices


def test_old_names_say_what_they_are_called_now(tmp_path: Path) -> None:
    line = one_error_line(bomhost("policy", "lint", "x.toml", "--format", "json"))
    assert "--format is now --output text|json" in line
    line = one_error_line(bomhost("policy", "template", "--output", tmp_path / "p.toml"))
    assert "--output is now --output-file PATH" in line
    assert not (tmp_path / "p.toml").exists()
