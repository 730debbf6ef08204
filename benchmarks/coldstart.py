"""Cold start: ``bomhost --version``, and a small diff with one cached WASM plugin, fresh processes.

The diff is the demo pair (examples/sboms) with the Rust example plugin; one warm-up run first
fills a private BOMHOST_CACHE_DIR with the compiled module, so the timed runs measure what a CI
job with a restored cache pays: interpreter start, imports, cached module load, diff, report.
"""

from __future__ import annotations

import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
BOMHOST = str(Path(sys.executable).parent / "bomhost")


def _median_ms(argv: list[str], runs: int, env: dict[str, str]) -> float:
    times = []
    for _ in range(runs):
        started = time.perf_counter()
        subprocess.run(argv, check=True, capture_output=True, env=env)
        times.append(time.perf_counter() - started)
    return statistics.median(times) * 1000


def run(runs: int = 10) -> list[dict[str, Any]]:
    """Median milliseconds of ``runs`` fresh processes per case."""
    with tempfile.TemporaryDirectory(prefix="bomhost-cold-") as tmp:
        env = {**os.environ, "BOMHOST_CACHE_DIR": tmp}
        version = _median_ms([BOMHOST, "--version"], runs, env)
        diff = [
            BOMHOST,
            "diff",
            str(ROOT / "examples/sboms/old.cdx.json"),
            str(ROOT / "examples/sboms/new.cdx.json"),
            "--no-signals",
            "--plugin",
            str(ROOT / "examples/plugins/banned-packages-wasm/plugin.toml"),
            "--output",
            "json",
        ]
        _median_ms(diff, 1, env)  # warm-up: compiles the module into the cache
        cached = _median_ms(diff, runs, env)
    return [
        {"case": "bomhost --version", "ms": round(version, 1)},
        {"case": "small diff + 1 cached WASM plugin", "ms": round(cached, 1)},
    ]


if __name__ == "__main__":
    for row in run():
        print(row)
