"""The terminal report: bomdrift's tag lines, colour only on request, and no escape injection."""

from __future__ import annotations

import re

from bomhost.model import ChangeSet, Component
from bomhost.report.terminal import render_terminal
from tests.report.factories import empty_report, rich_report


def test_lines_a_user_reads() -> None:
    out = render_terminal(rich_report(), color=False)

    assert out.startswith("bomhost v0.1.0\n")
    assert "Changes (7):" in out
    assert "  [ADD] npm:left-pad@1.3.0\n" in out
    assert "  [ADD] go:github.com/miekg/dns@v1.1.41\n" in out
    assert "  [REM] pypi:six@1.16.0\n" in out
    assert "  [VER] go:github.com/go-resty/resty/v2 v2.3.0 -> v2.6.0\n" in out
    assert "  [DWN] npm:lodash 4.17.21 -> 4.17.20 (downgrade)\n" in out
    assert "  [LIC] npm:axios@1.14.0 MIT -> GPL-3.0-only\n" in out
    assert "  [HSH] pypi:requests@2.32.3 sha256 9f86d081884c... -> 60303ae22b99...\n" in out
    assert (
        "  [ERR] banned-packages pkg:npm/left-pad@1.3.0 banned: left-pad is banned"
        " (banned/left-pad)\n"
    ) in out
    assert "Plugin errors (1):\n  [FAIL] slow-scanner pkg:npm/left-pad@1.3.0 timeout:" in out
    assert "Sandbox denials (1):" in out
    assert "  [GATE] --fail-on any: 3 plugin findings\n" in out
    assert out.endswith("\n")


def test_no_escape_codes_without_color() -> None:
    assert "\x1b" not in render_terminal(rich_report(), color=False)


def test_color_when_asked() -> None:
    out = render_terminal(rich_report(), color=True)

    assert "\x1b[32m[ADD]\x1b[0m npm:left-pad@1.3.0" in out
    assert "\x1b[1;31m[DWN]\x1b[0m" in out
    # Same words as the plain output once the escapes are removed.
    assert re.sub(r"\x1b\[[0-9;]*m", "", out) == render_terminal(rich_report(), color=False)


def test_control_characters_in_names_are_shown_not_obeyed() -> None:
    sneaky = Component(
        name="evil\x1b[2J\x1b[31mname\rover\nline", version="1.0\x07", ecosystem="npm"
    )
    report = empty_report().model_copy(update={"changes": ChangeSet(added=(sneaky,))})

    for color in (False, True):
        out = render_terminal(report, color=color)
        line = next(x for x in out.splitlines() if "[ADD]" in x)
        assert "npm:evil\\x1b[2J\\x1b[31mname\\x0dover\\x0aline@1.0\\x07" in line
    plain = render_terminal(report, color=False)
    assert "\x1b" not in plain
    assert "\r" not in plain
    assert "\x07" not in plain


def test_no_changes() -> None:
    out = render_terminal(empty_report(), color=True)

    assert "No dependency changes." in out
    assert "\x1b" not in out


def test_render_is_deterministic() -> None:
    assert render_terminal(rich_report(), color=True) == render_terminal(rich_report(), color=True)
