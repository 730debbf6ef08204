"""The renderer registry: every format reachable by name, unknown names refused with one line."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from bomhost.errors import UsageError
from bomhost.report.interface import OUTPUT_FORMATS, RENDERERS, render
from tests.report.factories import rich_report


def test_every_format_is_registered() -> None:
    assert set(OUTPUT_FORMATS) == {"terminal", "markdown", "json", "sarif", "cyclonedx"}
    assert set(RENDERERS) == set(OUTPUT_FORMATS)


def test_render_dispatches_by_name() -> None:
    report = rich_report()

    assert json.loads(render(report, "json"))["summary"]["added"] == 2
    assert json.loads(render(report, "sarif"))["version"] == "2.1.0"
    assert render(report, "markdown").startswith("## SBOM diff\n")
    assert render(report, "terminal").startswith("bomhost v0.1.0\n")


def test_only_the_terminal_format_uses_color() -> None:
    report = rich_report()

    assert "\x1b[" in render(report, "terminal", color=True)
    assert "\x1b[" not in render(report, "terminal", color=False)
    for fmt in ("json", "sarif", "markdown"):
        assert render(report, fmt, color=True) == render(report, fmt, color=False)


@pytest.mark.parametrize("fmt", OUTPUT_FORMATS)
def test_every_format_is_deterministic(fmt: str) -> None:
    assert render(rich_report(), fmt, color=True) == render(rich_report(), fmt, color=True)


def test_unknown_format_is_a_usage_error() -> None:
    with pytest.raises(UsageError, match=r"unknown output format 'html' \(choose from terminal"):
        render(rich_report(), "html")


_RENDER_ALL = """
import hashlib
from bomhost.report.interface import OUTPUT_FORMATS, render
from tests.report.factories import rich_report
r = rich_report()
print(hashlib.sha256("".join(render(r, f, color=True) for f in OUTPUT_FORMATS).encode()).hexdigest())
"""


def test_same_bytes_under_different_hash_seeds() -> None:
    """String hashing is randomised per process; no set or dict order may reach the output."""
    digests = set()
    for seed in ("1", "2"):
        env = {**os.environ, "PYTHONHASHSEED": seed}
        proc = subprocess.run(
            [sys.executable, "-c", _RENDER_ALL],
            capture_output=True,
            text=True,
            env=env,
            cwd=Path(__file__).parents[2],
            check=True,
        )
        digests.add(proc.stdout.strip())
    assert len(digests) == 1


def test_insertion_order_of_stats_does_not_matter() -> None:
    report = rich_report()
    flipped = report.sandbox.model_copy(
        update={"stats": dict(reversed(list(report.sandbox.stats.items())))}
    )
    other = report.model_copy(update={"sandbox": flipped})

    assert list(other.sandbox.stats) != list(report.sandbox.stats)
    for fmt in OUTPUT_FORMATS:
        assert render(other, fmt) == render(report, fmt)
