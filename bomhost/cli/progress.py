"""A one-line plugin progress counter on stderr, shown only when stderr is a terminal.

The core reports progress through ``bomhost.plugins.runner.Progress``; this is the CLI's
implementation. It never writes to a pipe or a CI log (where a carriage-return counter is noise).
"""

from __future__ import annotations

import sys
import time
from typing import TextIO

_INTERVAL_S = 0.1


class TerminalProgress:
    """``bomhost: plugin calls 120/2000`` redrawn in place, at most ten times a second."""

    def __init__(self, stream: TextIO | None = None) -> None:
        self.stream = stream or sys.stderr
        self.total = 0
        self.done = 0
        self._last = 0.0

    def start(self, total: int) -> None:
        self.total, self.done = total, 0
        self._draw()

    def advance(self) -> None:
        self.done += 1
        now = time.monotonic()
        if self.done == self.total:
            self._draw()
            self.stream.write("\r\x1b[K")  # clear the line: the report follows
            self.stream.flush()
        elif now - self._last >= _INTERVAL_S:
            self._last = now
            self._draw()

    def _draw(self) -> None:
        if self.total:
            self.stream.write(f"\rbomhost: plugin calls {self.done}/{self.total}")
            self.stream.flush()
