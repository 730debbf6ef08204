"""bomdrift's own examples (tests/assets/compat/bomdrift-examples): bomhost prints bomdrift's bytes.

Each example is bomdrift v0.9.7's `before.json`, `after.json` and the `expected-output.md` that
bomdrift renders with `--no-osv --no-maintainer-age --output markdown`. bomhost runs the same
diff with `--markdown-style bomdrift`: the default first-party signals (version-jump,
typosquat, ...) run in the sandbox, and the comment must be bomdrift's, byte for byte.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.compat.helpers import ASSETS, bomhost

EXAMPLES = sorted(p for p in (ASSETS / "bomdrift-examples").iterdir() if p.is_dir())


@pytest.mark.parametrize("example", EXAMPLES, ids=[p.name for p in EXAMPLES])
def test_bomdrift_example_renders_bomdrifts_comment(example: Path) -> None:
    proc = bomhost(
        "diff",
        str(example / "before.json"),
        str(example / "after.json"),
        "--no-osv",
        "--no-maintainer-age",
        "--no-registry",  # bomdrift's examples ran before its registry signal existed
        "--output",
        "markdown",
        "--markdown-style",
        "bomdrift",
    )
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout == (example / "expected-output.md").read_text(encoding="utf-8")


def test_there_are_examples_with_signals() -> None:
    names = {p.name for p in EXAMPLES}
    assert {"version-jumps", "multi-ecosystem"} <= names
