"""builtin:license's compiled-in SPDX ids are what plugins/license/spdx/generate.py writes."""

from __future__ import annotations

from tests.scripts import load_script
from tests.test_cli import ROOT

SPDX = ROOT / "plugins" / "license" / "spdx"


def test_the_spdx_lists_are_current() -> None:
    rendered = load_script(SPDX / "generate.py", "generate").render()
    for name, text in rendered.items():
        assert (SPDX / name).read_text(encoding="utf-8") == text, f"run {SPDX / 'generate.py'}"
    # The ids the licence rules lean on are there.
    licenses = set(rendered["licenses.txt"].splitlines())
    assert {"MIT", "Apache-2.0", "GPL-2.0", "GPL-2.0-only", "GPL-3.0-or-later"} <= licenses
    assert "LLVM-exception" in rendered["exceptions.txt"].splitlines()
