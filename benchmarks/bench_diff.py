"""Benchmark: read both SBOMs and diff them, for the real pairs and generated 5k/50k/200k pairs.

Each case runs in a fresh interpreter so its peak RSS is its own. ``run()`` returns one dict per
case; ``python benchmarks/bench_diff.py`` prints them as a table. The budget is < 3 s for the
50k pair (read both + diff) on a 2-core machine, growing linearly.
"""

from __future__ import annotations

import json
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

# gen_sboms is a sibling script, not a package: hence the path insert above.
import gen_sboms

ASSETS = Path(__file__).resolve().parent.parent / "tests" / "assets" / "sboms"
DATA = Path(__file__).resolve().parent / "data"
REAL_PAIRS = [
    (
        "proton-bridge 1.6.3->1.8.0",
        ASSETS / "cdx12-proton-bridge-v1.6.3.bom.json",
        ASSETS / "cdx12-proton-bridge-v1.8.0.bom.json",
    ),
    (
        "juice-shop 11.1.2->14.1.1",
        ASSETS / "cdx12-juice-shop-v11.1.2.bom.json",
        ASSETS / "cdx14-juice-shop-v14.1.1-flat.bom.json",
    ),
    # Made with cyclonedx-npm from two real installs (see data/README.txt).
    ("npm react-scripts 4->5", DATA / "npm-old.cdx.json", DATA / "npm-new.cdx.json"),
    (
        "spdx example14",
        ASSETS / "spdx23-example14-examplemaven-0.0.1-original.spdx.json",
        ASSETS / "spdx23-example14-examplemaven-0.0.1-enriched.spdx.json",
    ),
    ("pyenv cdx-xml->syft", ASSETS / "pyenv-old.cdx1.6.xml", ASSETS / "pyenv-new.syft.json"),
]
SIZES = (5_000, 50_000, 200_000)


def measure(old: str, new: str) -> dict[str, Any]:
    """Read ``old`` and ``new`` and diff them in this process; timings in seconds."""
    from bomhost.diff import diff
    from bomhost.sbom import load
    from bomhost.sbom.common import Interner

    started = time.perf_counter()
    interner = Interner()  # as engine._report reads the two sides
    before = load(old, "auto", interner)
    read_old = time.perf_counter()
    after = load(new, "auto", interner)
    del interner
    read_new = time.perf_counter()
    changes = diff(before.components, after.components)
    done = time.perf_counter()
    return {
        "components": len(before.components) + len(after.components),
        "read_old_s": round(read_old - started, 3),
        "read_new_s": round(read_new - read_old, 3),
        "diff_s": round(done - read_new, 3),
        "total_s": round(done - started, 3),
        "peak_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1),
        "buckets": {
            "added": len(changes.added),
            "removed": len(changes.removed),
            "version_changed": len(changes.version_changed),
            "license_changed": len(changes.license_changed),
            "hash_changed": len(changes.hash_changed),
        },
    }


def _in_child(old: Path, new: Path) -> dict[str, Any]:
    out = subprocess.run(
        [sys.executable, __file__, "--case", str(old), str(new)],
        check=True,
        capture_output=True,
        text=True,
    )
    result: dict[str, Any] = json.loads(out.stdout)
    return result


def run(sizes: tuple[int, ...] = SIZES, seed: int = 1) -> list[dict[str, Any]]:
    """Timings and peak RSS for every real pair and a generated pair per size."""
    results: list[dict[str, Any]] = []
    for name, old, new in REAL_PAIRS:
        if old.is_file() and new.is_file():
            results.append({"case": name, **_in_child(old, new)})
    with tempfile.TemporaryDirectory(prefix="bomhost-bench-") as tmp:
        for n in sizes:
            old_path, new_path, expected = gen_sboms.write_apart(n, Path(tmp) / str(n), seed)
            result = _in_child(old_path, new_path)
            result["expected_buckets_match"] = result["buckets"] == expected
            results.append({"case": f"generated {n:,}", **result})
            old_path.unlink()
            new_path.unlink()
    return results


def main() -> None:
    if sys.argv[1:2] == ["--case"]:
        print(json.dumps(measure(sys.argv[2], sys.argv[3])))
        return
    header = f"{'case':32} {'comps':>8} {'read old':>9} {'read new':>9} {'diff':>7} {'total':>7} {'RSS MB':>8}"
    print(header)
    for r in run():
        print(
            f"{r['case']:32} {r['components']:>8} {r['read_old_s']:>9} {r['read_new_s']:>9} "
            f"{r['diff_s']:>7} {r['total_s']:>7} {r['peak_rss_mb']:>8}"
            + ("" if r.get("expected_buckets_match", True) else "  BUCKETS DIFFER")
        )


if __name__ == "__main__":
    main()
