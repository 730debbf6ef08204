"""Whole ``bomhost diff`` processes, as a CI job pays for them, and the peers on the same pairs.

Every figure here is a fresh process timed from outside: wall clock (the best of ``runs``: on a
shared machine the minimum is the run least disturbed by other jobs) and the process's own peak
RSS (``os.wait4``'s ``ru_maxrss`` of that child, not of the harness). Sections:

- ``diff``: ``bomhost diff OLD NEW --output json|markdown|sarif --output-file OUT`` on real pairs
  (npm react-scripts 4->5, juice-shop, a PyPI environment pair) and generated CycloneDX pairs
  of 5k/50k/200k (and 500k with ``--with-500k``) components per side (``gen_sboms.py``).
- ``peers``: sbomdiff 0.6.0 (``sbomdiff OLD NEW -f json -o OUT``) up to 50k, and
  custom-json-diff (``cjd -i OLD NEW -o OUT preset-diff --type bom``) on the real pairs (it
  takes seconds per thousand components), both installed from the ``bench`` extra.
- ``wasm``: a pair with 2,000 added components, plain and with ``benchmarks/plugins/log-clock``
  (one ``log`` and one ``now_ms`` host call per invocation): (with - without) / 2,000 at
  ``--jobs 1`` and at the default jobs; and start-up: a small diff with the cached plugin minus
  the same diff without it.
- ``external``: a protocol-1 plugin (``python -S``, reads stdin, answers no findings) per
  invocation vs ``fork+exec`` of the same program alone (``subprocess.run``, same input), and a
  persistent protocol-2 one, each as (with - without) / invocations.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

# gen_sboms is a sibling script, not a package: hence the path insert above.
import gen_sboms

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent
BOMHOST = str(BIN / "bomhost")
ASSETS = ROOT / "tests" / "assets" / "sboms"
DATA = Path(__file__).resolve().parent / "data"
LOG_CLOCK = Path(__file__).resolve().parent / "plugins" / "log-clock" / "plugin.toml"
OUTPUTS = ("json", "markdown", "sarif")
REAL_PAIRS = [
    ("npm react-scripts 4->5", DATA / "npm-old.cdx.json", DATA / "npm-new.cdx.json"),
    (
        "juice-shop 11.1.2->14.1.1",
        ASSETS / "cdx12-juice-shop-v11.1.2.bom.json",
        ASSETS / "cdx14-juice-shop-v14.1.1-flat.bom.json",
    ),
    ("PyPI env runtime->dev", DATA / "pypi-old.cdx.json", DATA / "pypi-new.cdx.json"),
]
SIZES = (5_000, 50_000, 200_000)
PEER_MAX = 50_000  # sbomdiff takes ~16 s at 50k; larger pairs would dominate the run


@dataclass(frozen=True)
class Timed:
    wall_s: float  # best of the runs
    rss_mib: float  # largest peak RSS of the runs


def timed(
    argv: Sequence[str],
    runs: int = 1,
    env: dict[str, str] | None = None,
    ok: tuple[int, ...] = (0, 2),  # bomhost: 2 is a gate tripped, still a full run
) -> Timed:
    """Best wall time and peak RSS of ``runs`` fresh processes; a failing run is an error."""
    best, rss = float("inf"), 0.0
    for _ in range(runs):
        started = time.perf_counter()
        proc = subprocess.Popen(
            list(argv), stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, env=env
        )
        _, status, usage = os.wait4(proc.pid, 0)
        wall = time.perf_counter() - started
        proc.returncode = os.waitstatus_to_exitcode(status)
        err = proc.stderr.read().decode(errors="replace") if proc.stderr else ""
        if proc.stderr:
            proc.stderr.close()
        if proc.returncode not in ok:
            raise RuntimeError(f"{argv[0]} exited {proc.returncode}: {err.strip()[:300]}")
        best = min(best, wall)
        rss = max(rss, usage.ru_maxrss / 1024)
    return Timed(best, rss)


def bomhost_diff(old: Path, new: Path, out: Path, output: str) -> list[str]:
    """The ``bomhost diff`` command line every whole-process row times (peer.py's too).

    --no-signals: the diff (and the plugins a row adds) alone, as the peers do it; the
    first-party signals are measured by their own rows.
    """
    return [
        BOMHOST,
        "diff",
        str(old),
        str(new),
        "--no-signals",
        "--output",
        output,
        "--output-file",
        str(out),
    ]


def _peer(name: str) -> str | None:
    path = BIN / name
    return str(path) if path.exists() else shutil.which(name)


def _runs(components: int) -> int:
    return 5 if components <= 10_000 else (3 if components <= 60_000 else 1)


def _pair_rows(
    label: str, old: Path, new: Path, size: int, tmp: Path, peers: bool
) -> list[dict[str, Any]]:
    rows: list[dict[str, Any]] = []
    runs = _runs(size)
    json_s = None
    for output in OUTPUTS:
        t = timed(bomhost_diff(old, new, tmp / f"out.{output}", output), runs)
        rows.append({"case": label, "size": size, "tool": f"bomhost --output {output}", **_d(t)})
        if output == "json":
            json_s = t.wall_s
    if not peers:
        return rows
    sbomdiff = _peer("sbomdiff")
    if sbomdiff and size <= PEER_MAX:
        # sbomdiff exits 1 when the SBOMs differ, as diff(1) does.
        argv = [sbomdiff, str(old), str(new), "-f", "json", "-o", str(tmp / "sd.json")]
        t = timed(argv, 1, ok=(0, 1))
        rows.append({"case": label, "size": size, "tool": "sbomdiff 0.6.0", **_d(t)})
        if json_s:
            rows[-1]["ratio"] = round(t.wall_s / json_s, 1)
    cjd = _peer("cjd")
    if cjd and size <= 2_000 and label.startswith(("npm", "juice")):
        argv = [cjd, "-i", str(old), str(new), "-o", str(tmp / "cjd.json")]
        t = timed([*argv, "preset-diff", "--type", "bom"], 1)
        rows.append({"case": label, "size": size, "tool": "custom-json-diff", **_d(t)})
        if json_s:
            rows[-1]["ratio"] = round(t.wall_s / json_s, 1)
    return rows


def _d(t: Timed) -> dict[str, Any]:
    return {"wall_s": round(t.wall_s, 3), "rss_mib": round(t.rss_mib)}


def _count(path: Path) -> int:
    from bomhost.sbom import load

    return len(load(str(path)).components)


def diff_rows(sizes: Sequence[int], peers: bool = True) -> list[dict[str, Any]]:
    """Whole-process rows for every real pair and a generated pair per size, peers alongside."""
    rows: list[dict[str, Any]] = []
    with tempfile.TemporaryDirectory(prefix="bomhost-e2e-") as tmp_name:
        tmp = Path(tmp_name)
        for label, old, new in REAL_PAIRS:
            if old.is_file() and new.is_file():
                size = max(_count(old), _count(new))
                rows += _pair_rows(label, old, new, size, tmp, peers)
        for n in sizes:
            old, new, _ = gen_sboms.write_apart(n, tmp / str(n))
            rows += _pair_rows(f"generated {n:,}", old, new, n, tmp, peers)
            old.unlink()
            new.unlink()
    return rows


def _added_pair(n: int, folder: Path) -> tuple[Path, Path]:
    """An empty old side and ``n`` real-shaped components on the new side: ``n`` invocations."""
    old_doc, _, _ = gen_sboms.generate(n)
    empty = {**old_doc, "components": [], "dependencies": []}
    folder.mkdir(parents=True, exist_ok=True)
    old, new = folder / "old.cdx.json", folder / "new.cdx.json"
    old.write_text(json.dumps(empty), encoding="utf-8")
    new.write_text(json.dumps(old_doc), encoding="utf-8")
    return old, new


def _per_call_us(with_: Timed, without: Timed, calls: int) -> float:
    return max(0.0, (with_.wall_s - without.wall_s) / calls * 1e6)


def wasm_rows(calls: int = 2000, runs: int = 5) -> list[dict[str, Any]]:
    """Per-invocation cost of a two-host-call WASM plugin and its start-up, whole processes."""
    with tempfile.TemporaryDirectory(prefix="bomhost-e2e-wasm-") as tmp_name:
        tmp = Path(tmp_name)
        env = {**os.environ, "BOMHOST_CACHE_DIR": str(tmp / "cache")}
        old, new = _added_pair(calls, tmp / "pair")
        base = bomhost_diff(old, new, tmp / "out.json", "json")
        plugin = [*base, "--plugin", str(LOG_CLOCK)]
        timed(plugin, 1, env)  # warm-up: compiles the module into the cache
        plain = timed(base, runs, env)
        j1 = timed([*plugin, "--jobs", "1"], runs, env)
        default = timed(plugin, runs, env)
        j2 = timed([*plugin, "--jobs", "2"], runs, env)
        small_old, small_new = (
            ROOT / "examples/sboms/old.cdx.json",
            ROOT / "examples/sboms/new.cdx.json",
        )
        small = bomhost_diff(small_old, small_new, tmp / "small.json", "json")
        small_plain = timed(small, 10, env)
        small_plugin = timed([*small, "--plugin", str(LOG_CLOCK)], 10, env)
    return [
        {"case": f"plain diff, {calls} added", "wall_s": round(plain.wall_s, 3)},
        {"case": "log-clock --jobs 1", "us": round(_per_call_us(j1, plain, calls), 1)},
        {"case": "log-clock default jobs", "us": round(_per_call_us(default, plain, calls), 1)},
        {"case": "log-clock --jobs 2", "us": round(_per_call_us(j2, plain, calls), 1)},
        {
            "case": "default jobs / --jobs 1 (whole run)",
            "ratio": round(default.wall_s / j1.wall_s, 3),
        },
        {
            "case": "start-up: small diff + cached plugin - plain",
            "ms": round((small_plugin.wall_s - small_plain.wall_s) * 1000, 1),
            "plain_ms": round(small_plain.wall_s * 1000, 1),
        },
    ]


PER_CALL = "import sys\nsys.stdin.buffer.read()\nsys.stdout.write('{\"findings\": []}\\n')\n"
PERSISTENT = (
    "import sys\nfor line in sys.stdin:\n"
    "    sys.stdout.write('{\"findings\": []}\\n')\n    sys.stdout.flush()\n"
)


def _external(folder: Path, name: str, body: str, extra: str) -> tuple[Path, Path]:
    script = folder / f"{name}.py"
    script.write_text(f"#!{sys.executable} -S\n{body}", encoding="utf-8")
    script.chmod(0o755)
    manifest = folder / f"{name}.toml"
    manifest.write_text(
        f'[plugin]\nname = "{name}"\nexec = "{script.name}"\ntimeout_ms = 60000\n{extra}',
        encoding="utf-8",
    )
    return script, manifest


def external_rows(calls: int = 300, persistent_calls: int = 2000) -> list[dict[str, Any]]:
    """Protocol-1 per-call cost vs fork+exec alone; persistent protocol-2 per invocation."""
    with tempfile.TemporaryDirectory(prefix="bomhost-e2e-ext-") as tmp_name:
        tmp = Path(tmp_name)
        script, per_call = _external(tmp, "noop", PER_CALL, "")
        _, persistent = _external(
            tmp, "noop-lines", PERSISTENT, 'protocol_version = 2\nmode = "persistent"\n'
        )
        old, new = _added_pair(calls, tmp / "small")
        base = bomhost_diff(old, new, tmp / "out.json", "json")
        plain = timed(base, 5)
        one = timed([*base, "--plugin", str(per_call), "--jobs", "1"], 2)
        # The same program started alone, as many times, with a request of the same size.
        request = b'{"protocol_version":1,"component":' + b"x" * 600 + b"}"
        started = time.perf_counter()
        for _ in range(calls):
            subprocess.run([str(script)], input=request, capture_output=True, check=True)
        alone_us = (time.perf_counter() - started) / calls * 1e6
        p1_us = _per_call_us(one, plain, calls)
        old2, new2 = _added_pair(persistent_calls, tmp / "large")
        base2 = bomhost_diff(old2, new2, tmp / "out2.json", "json")
        plain2 = timed(base2, 5)
        pers = timed([*base2, "--plugin", str(persistent)], 5)
        pers1 = timed([*base2, "--plugin", str(persistent), "--jobs", "1"], 5)
    return [
        {"case": "fork+exec alone (subprocess.run)", "us": round(alone_us, 1)},
        {"case": "protocol 1 --jobs 1", "us": round(p1_us, 1), "ratio": round(p1_us / alone_us, 2)},
        {
            "case": "persistent, default jobs",
            "us": round(_per_call_us(pers, plain2, persistent_calls), 1),
        },
        {
            "case": "persistent, --jobs 1",
            "us": round(_per_call_us(pers1, plain2, persistent_calls), 1),
        },
    ]


def main() -> None:
    print(json.dumps(diff_rows((5_000,)), indent=1))
    print(json.dumps(wasm_rows(), indent=1))
    print(json.dumps(external_rows(), indent=1))


if __name__ == "__main__":
    main()


def signal_rows(runs: int = 3) -> list[dict[str, Any]]:
    """What bomdrift's first-party signals add to a real diff (whole processes, --offline).

    ``--offline`` leaves out the three that need a service (OSV, registry, maintainer age), so
    the rows are typosquat and version-jump in the sandbox: what a run on a machine without
    those services pays on top of ``--no-signals``.
    """
    rows: list[dict[str, Any]] = []
    with tempfile.TemporaryDirectory(prefix="bomhost-e2e-signals-") as tmp_name:
        tmp = Path(tmp_name)
        env = {**os.environ, "BOMHOST_CACHE_DIR": str(tmp / "cache")}
        for label, old, new in REAL_PAIRS:
            if not (old.is_file() and new.is_file()):
                continue
            base = [BOMHOST, "diff", str(old), str(new), "--output", "json"]
            base += ["--output-file", str(tmp / "out.json")]
            timed([*base, "--offline"], 1, env)  # warm-up: compiles the signal modules
            plain = timed([*base, "--no-signals"], runs, env)
            signals = timed([*base, "--offline"], runs, env)
            rows.append(
                {
                    "case": label,
                    "plain_s": round(plain.wall_s, 3),
                    "signals_s": round(signals.wall_s, 3),
                    "rss_mib": round(signals.rss_mib),
                }
            )
    return rows
