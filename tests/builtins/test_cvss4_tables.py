"""plugins/osv/src/cvss4_tables.rs is what plugins/osv/cvss4/generate.py writes from `cvss`."""

from __future__ import annotations

import importlib.util

from tests.test_cli import ROOT

GEN = ROOT / "plugins" / "osv" / "cvss4" / "generate.py"


def test_the_cvss4_tables_are_current() -> None:
    spec = importlib.util.spec_from_file_location("generate_cvss4", GEN)
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    text = module.render()
    assert (ROOT / "plugins" / "osv" / "src" / "cvss4_tables.rs").read_text(
        encoding="utf-8"
    ) == text
    assert text.count('("') >= 270  # every macrovector of the specification has a score
