"""docs/plugins.md's tutorial shows real output: every command of it is replayed and compared.

The tutorial's console blocks are run in order, in one shell, in an empty folder, with the
file edits its prose asks for made at the points it asks for them; the output must be the
blocks' text. Only what varies by machine is normalised: the folder the tutorial ran in, the
checkout's path and JUnit's measured times.
"""

from __future__ import annotations

import os
import re
import shlex
import subprocess
import sys
from pathlib import Path

from tests.authoring.toolchains import require
from tests.test_cli import ROOT

DOC = ROOT / "docs" / "plugins.md"
DOC_FOLDER = "/tmp/tut/work"  # where the tutorial in the docs was run
DOC_ROOT = "/work/main"  # the checkout it was run from

# The edits the prose asks for, before the command they precede (a Python one-liner each).
ADD_COLORAMA = (
    "p = 'plugin.toml'; s = open(p).read(); open(p, 'w').write(s.replace("
    '\'"pkg:npm/event-stream@3.3.6"]\', \'"pkg:npm/event-stream@3.3.6", "pkg:pypi/colorama"]\', 1))'
)
ADD_REQUESTS = (
    "p = 'my-c-check/plugin.toml'; s = open(p).read(); open(p, 'w').write(s.replace("
    '\'"pkg:npm/event-stream@3.3.6"]\', \'"pkg:npm/event-stream@3.3.6", "pkg:pypi/requests@2.32"]\', 1))'
)


def tutorial() -> str:
    text = DOC.read_text(encoding="utf-8")
    return text[text.index("## Tutorial: from nothing") : text.index("### 6. In CI")]


def test_the_tutorial_prints_what_the_docs_show(tmp_path: Path) -> None:
    require("rust")
    require("c")
    section = tutorial()
    shown = "".join(re.findall(r"```console\n(.*?)```", section, re.S))
    case = re.findall(r"```toml\n(.*?)```", section, re.S)[0]
    commands = [line[2:] for line in shown.splitlines() if line.startswith("$ ")]
    assert len(commands) > 30, "the tutorial's commands were not found"

    work = tmp_path / "work"
    work.mkdir()
    (tmp_path / "colorama.toml").write_text(case, encoding="utf-8")
    lines = [
        'run() { echo "$ $1"; if [ "$1" = "echo \\$?" ]; then echo "$last";'
        ' else eval "$1" 2>&1; last=$?; fi; }'
    ]
    for command in commands:
        if command.startswith("bomhost plugin test plugin.toml cases/colorama.toml --junit"):
            lines.append(f"python3 -c {shlex.quote(ADD_COLORAMA)}")
            lines.append(f"cp {tmp_path / 'colorama.toml'} cases/colorama.toml")
        if command.startswith("bomhost diff") and "my-c-check" in command:
            lines.append(f"python3 -c {shlex.quote(ADD_REQUESTS)}")
        lines.append(f"run {shlex.quote(command)}")
    env = {
        **os.environ,
        "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ.get('PATH', '')}",
        "NO_COLOR": "1",
    }
    # A user's shell: no CI variables, and no make of ours around the tutorial's own `make`
    # (under `make test`, MAKELEVEL makes it print "Entering directory").
    for name in ("CI", "MAKELEVEL", "MAKEFLAGS", "MFLAGS"):
        env.pop(name, None)
    proc = subprocess.run(
        ["bash", "-c", "\n".join(lines)],
        cwd=work,
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    got = proc.stdout.replace(str(work), DOC_FOLDER).replace(str(ROOT), DOC_ROOT)

    def timeless(text: str) -> str:
        return re.sub(r'time="[0-9.]+"', 'time="T"', text)

    assert timeless(got) == timeless(shown), proc.stderr
