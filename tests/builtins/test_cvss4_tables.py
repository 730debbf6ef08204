"""plugins/osv/src/cvss4_tables.rs is what plugins/osv/cvss4/generate.py writes from `cvss`."""

from __future__ import annotations

from tests.scripts import load_script
from tests.test_cli import ROOT

GEN = ROOT / "plugins" / "osv" / "cvss4" / "generate.py"


def test_the_cvss4_tables_are_current() -> None:
    text = load_script(GEN, "generate_cvss4").render()
    assert (ROOT / "plugins" / "osv" / "src" / "cvss4_tables.rs").read_text(
        encoding="utf-8"
    ) == text
    assert text.count('("') >= 270  # every macrovector of the specification has a score
