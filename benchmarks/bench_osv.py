"""builtin:osv over a 1,000-component change: requests online, and time offline.

- Online: the change against the OSV-compatible server on 127.0.0.1 (tests/osv_server.py, the
  PyPA dump); counts the querybatch POSTs (target: one per 1,000 queries) and the GETs.
- Offline: ``--osv-db`` with the whole PyPA dump (2,661 records); whole ``bomhost diff``
  processes, with the plugin minus without it (target: under 1 s), median of ``--runs``.

The 1,000 components are real (package, version) pairs named by the dump (listed versions and
range bounds), so most of them are affected: the expensive case. Run:
``python benchmarks/bench_osv.py [--runs 5]``.
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tests.builtins.test_osv import DUMP, _empty_sbom, _manifest, _policy, _wide_sbom  # noqa: E402
from tests.osv_server import OsvServer  # noqa: E402


def _run(*args: str | Path) -> tuple[float, dict[str, object]]:
    cmd = [
        sys.executable,
        "-m",
        "bomhost",
        "diff",
        *map(str, args),
        "--no-signals",
        "--output",
        "json",
    ]
    start = time.perf_counter()
    proc = subprocess.run(cmd, capture_output=True, text=True, check=False, cwd=ROOT)
    elapsed = time.perf_counter() - start
    if proc.returncode not in (0, 2):
        raise SystemExit(proc.stderr)
    return elapsed, json.loads(proc.stdout)


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--runs", type=int, default=5)
    runs = ap.parse_args().runs
    with tempfile.TemporaryDirectory() as tmp_name:
        tmp = Path(tmp_name)
        wide = tmp / "wide.json"
        n = _wide_sbom(wide, limit=1000)
        empty = _empty_sbom(tmp / "empty.json")
        with OsvServer(DUMP) as srv:
            t_online, report = _run(
                empty,
                wide,
                "--plugin",
                _manifest(tmp, srv.base_url),
                "--policy",
                _policy(tmp, srv.port),
                "--no-cache",
            )
            posts = [r.queries for r in srv.requests if r.method == "POST"]
            gets = sum(1 for r in srv.requests if r.method == "GET")
        findings = len(report["enrichment"]["plugin_findings"])  # type: ignore[index]
        print(f"components: {n}; findings: {findings}")
        print(
            f"online: {len(posts)} querybatch POST(s) of {posts} queries, {gets} GETs, {t_online:.2f} s"
        )
        base, osv = [], []
        for _ in range(runs):
            base.append(_run(empty, wide)[0])
            osv.append(_run(empty, wide, "--plugin", "builtin:osv", "--osv-db", DUMP)[0])
        b, o = statistics.median(base), statistics.median(osv)
        print(
            f"offline: without {b:.3f} s, with {o:.3f} s, plugin {o - b:.3f} s (median of {runs})"
        )


if __name__ == "__main__":
    main()
