#!/usr/bin/env python3
"""Test plugin (persistent mode): ``behave.answer`` for each JSON line on stdin."""

import sys

from behave import answer

for line in sys.stdin.buffer:
    sys.stdout.buffer.write(answer(line.rstrip(b"\n")).replace(b"\n", b"") + b"\n")
    sys.stdout.buffer.flush()
