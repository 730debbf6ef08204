"""Per-invocation cost of external plugins: per-call (jobs 1 and 2) vs persistent, 2,000 components.

The plugin is a minimal Python "no findings" plugin started as ``python -S`` (no site import),
so the figures are bomhost's overhead plus the cheapest realistic interpreter start.
Run: ``.venv/bin/python benchmarks/bench_external.py [N]``.
"""

from __future__ import annotations

import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from bomhost import __version__
from bomhost.model import ChangeSet, Component
from bomhost.plugins.interface import RunContext
from bomhost.plugins.manifest import load_manifest
from bomhost.plugins.runner import run_plugins
from bomhost.policy.model import Policy

PER_CALL = """import sys
sys.stdin.buffer.read()
sys.stdout.write('{"findings": []}\\n')
"""

PERSISTENT = """import sys
for line in sys.stdin:
    sys.stdout.write('{"findings": []}\\n')
    sys.stdout.flush()
"""


def _plugin(folder: Path, name: str, body: str, extra: str) -> Path:
    script = folder / f"{name}.py"
    script.write_text(f"#!{sys.executable} -S\n{body}", encoding="utf-8")
    script.chmod(0o755)
    manifest = folder / f"{name}.toml"
    manifest.write_text(
        f'[plugin]\nname = "{name}"\nexec = "{script.name}"\ntimeout_ms = 60000\n{extra}',
        encoding="utf-8",
    )
    return manifest


def _changes(n: int) -> ChangeSet:
    return ChangeSet(
        added=tuple(
            Component(
                name=f"pkg{i}", version="1.0.0", ecosystem="npm", purl=f"pkg:npm/pkg{i}@1.0.0"
            )
            for i in range(n)
        )
    )


def run(n: int = 2000) -> list[dict[str, Any]]:
    """One row per scenario: total seconds, per-invocation ms, invocations per second."""
    changes = _changes(n)
    rows: list[dict[str, Any]] = []
    with tempfile.TemporaryDirectory(prefix="bomhost-bench-") as tmp:
        folder = Path(tmp)
        per_call = _plugin(folder, "noop", PER_CALL, "")
        persistent = _plugin(
            folder, "noop-lines", PERSISTENT, 'protocol_version = 2\nmode = "persistent"\n'
        )
        scenarios = [
            ("protocol 1, per-call, jobs=1", per_call, 1),
            ("protocol 1, per-call, jobs=2", per_call, 2),
            ("protocol 2, persistent, jobs=2", persistent, 2),
        ]
        # Reference: the bare cost of starting this plugin, with nothing of bomhost around it.
        script = str(folder / "noop.py")
        start = time.perf_counter()
        for _ in range(n):
            subprocess.run([script], input=b"{}", capture_output=True, check=True)
        bare = time.perf_counter() - start
        rows.append(_row("baseline: bare subprocess.run, jobs=1", n, bare))
        for label, path, jobs in scenarios:
            plugin = load_manifest(path)
            ctx = RunContext(bomhost_version=__version__, now_ms=0, policy=Policy(), jobs=jobs)
            start = time.perf_counter()
            outcome = run_plugins([plugin], changes, ctx, jobs=jobs)
            total = time.perf_counter() - start
            assert not outcome.errors, outcome.summary_lines()
            elapsed = outcome.stats[plugin.name].elapsed_ms
            assert elapsed is not None
            rows.append(_row(label, n, total, elapsed.p50, elapsed.p95))
    return rows


def _row(
    label: str, n: int, total: float, p50: float | None = None, p95: float | None = None
) -> dict[str, Any]:
    return {
        "scenario": label,
        "invocations": n,
        "total_s": round(total, 3),
        "per_invocation_ms": round(total * 1000 / n, 3),
        "invocations_per_s": round(n / total, 1),
        "p50_call_ms": p50,
        "p95_call_ms": p95,
    }


def main() -> None:
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 2000
    for row in run(n):
        print(
            f"{row['scenario']:<40} {row['total_s']:>8.2f} s  "
            f"{row['per_invocation_ms']:>7.3f} ms/call  {row['invocations_per_s']:>8.1f} calls/s"
            + (
                f"  (call p50 {row['p50_call_ms']} ms, p95 {row['p95_call_ms']} ms)"
                if row["p50_call_ms"] is not None
                else ""
            )
        )


if __name__ == "__main__":
    main()
