"""docs/plugins.md's tutorial shows real output: its C part is replayed here and compared."""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

from tests.authoring.toolchains import require
from tests.test_cli import ROOT, bomhost

DOC = ROOT / "docs" / "plugins.md"


def shown(command: str, first_line: str) -> str:
    """The output the tutorial prints for ``command``, the block whose output starts so."""
    text = DOC.read_text(encoding="utf-8")
    pattern = re.escape(f"$ {command}\n{first_line}") + r".*?(?=\n\$ |\n```)"
    match = re.search(pattern, text, re.S)
    assert match, f"the tutorial does not show {command!r}"
    return match.group(0).split("\n", 1)[1] + "\n"


def test_the_c_tutorial_prints_what_the_docs_show(tmp_path: Path) -> None:
    require("c")
    made = bomhost("plugin", "new", "my-c-check", "--lang", "c", cwd=tmp_path)
    assert made.stdout == shown("bomhost plugin new my-c-check --lang c", "created c plugin")
    plugin = tmp_path / "my-c-check"
    subprocess.run(["make", "-s"], cwd=plugin, check=True, capture_output=True, timeout=120)
    tested = bomhost("plugin", "test", "plugin.toml", cwd=plugin)
    assert tested.stdout == shown("bomhost plugin test plugin.toml", "plugin my-c-check")
    pinned = bomhost("plugin", "pin", "plugin.toml", cwd=plugin)
    assert pinned.stdout == shown("bomhost plugin pin plugin.toml", "plugin.toml: sha256 = 27f9")
