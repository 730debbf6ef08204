"""Peer comparison: bomhost vs custom-json-diff (``cjd``) on the same real npm SBOM pairs.

Both tools run the way CI runs them: one fresh process per diff, writing a JSON result file, timed
by wall clock from outside (interpreter start and imports included on both sides). cjd's BOM
mode is ``cjd -i OLD NEW -o OUT preset-diff --type bom``; bomhost's is
``bomhost diff OLD NEW --output json --output-file OUT``. The figure is the median of ``runs``.
"""

from __future__ import annotations

import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

# A sibling script (run alone, or imported by benchmarks/__main__.py): the directory is on
# sys.path either way.
from bench_e2e import bomhost_diff

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent
ASSETS = ROOT / "tests" / "assets" / "sboms"
DATA = Path(__file__).resolve().parent / "data"
# (label, old, new): the committed cyclonedx-npm pair (see data/README.txt) and juice-shop.
PAIRS = [
    (
        "npm react-scripts 4->5 (cyclonedx-npm)",
        DATA / "npm-old.cdx.json",
        DATA / "npm-new.cdx.json",
    ),
    (
        "juice-shop 11.1.2->14.1.1",
        ASSETS / "cdx12-juice-shop-v11.1.2.bom.json",
        ASSETS / "cdx14-juice-shop-v14.1.1-flat.bom.json",
    ),
]


def _wall(argv: list[str], runs: int) -> float:
    """Median wall seconds of ``runs`` fresh processes; a failing run is an error, not a time."""
    times = []
    for _ in range(runs):
        started = time.perf_counter()
        subprocess.run(argv, check=True, capture_output=True)
        times.append(time.perf_counter() - started)
    return statistics.median(times)


def _components(path: Path) -> int:
    from bomhost.sbom import load

    return len(load(str(path)).components)


def run(peer_runs: int = 3, own_runs: int = 5) -> list[dict[str, Any]]:
    """One row per pair present: both tools' median wall seconds and the ratio."""
    rows: list[dict[str, Any]] = []
    with tempfile.TemporaryDirectory(prefix="bomhost-peer-") as tmp:
        out = Path(tmp)
        for label, old, new in PAIRS:
            if not (old.is_file() and new.is_file()):
                continue
            ours = _wall(bomhost_diff(old, new, out / "bomhost.json", "json"), own_runs)
            theirs = _wall(
                [
                    str(BIN / "cjd"),
                    "-i",
                    str(old),
                    str(new),
                    "-o",
                    str(out / "cjd.json"),
                    "preset-diff",
                    "--type",
                    "bom",
                ],
                peer_runs,
            )
            rows.append(
                {
                    "case": label,
                    "components": f"{_components(old)} / {_components(new)}",
                    "bomhost_s": round(ours, 3),
                    "cjd_s": round(theirs, 3),
                    "ratio": round(theirs / ours, 1),
                }
            )
    return rows


if __name__ == "__main__":
    for row in run():
        print(row)
