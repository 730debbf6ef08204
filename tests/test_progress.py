"""The plugin progress counter: drawn in place, throttled, and cleared before the report."""

from __future__ import annotations

import io

from bomhost.cli.progress import TerminalProgress


def test_counter_is_drawn_and_cleared_at_the_end() -> None:
    out = io.StringIO()
    progress = TerminalProgress(out)
    progress.start(3)
    for _ in range(3):
        progress.advance()
    text = out.getvalue()
    assert text.startswith("\rbomhost: plugin calls 0/3")
    assert "\rbomhost: plugin calls 3/3" in text
    assert text.endswith("\r\x1b[K")


def test_redraws_are_throttled() -> None:
    out = io.StringIO()
    progress = TerminalProgress(out)
    progress.start(10_000)
    for _ in range(9_999):
        progress.advance()
    # 10,000 calls in well under a second: a handful of redraws, not one per call.
    assert out.getvalue().count("\r") < 50


def test_no_calls_no_output() -> None:
    out = io.StringIO()
    TerminalProgress(out).start(0)
    assert out.getvalue() == ""
