"""Cost of the WASM sandbox: per-invocation overhead, compile vs cached load, timeout accuracy.

Rows (one dict each): per-invocation time of a minimal "no findings" WAT module, raw
(``PluginInstance.call``) and with JSON in and out (``RequestEncoder.encode`` + ``decode_response``,
the runner's per-call work), and through ``run_plugins``; the Rust example the same way; the
same nothing done by a protocol-1 external plugin (``python -S``), for the ratio; cold compile
vs cached load of the Rust example; and how close an infinite loop stops to its timeout.
Run: ``.venv/bin/python benchmarks/bench_wasm.py [N]``.
"""

from __future__ import annotations

import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from bomhost import __version__
from bomhost.model import ChangeSet, Component
from bomhost.plugins.interface import RunContext
from bomhost.plugins.manifest import LoadedManifest, load_manifest
from bomhost.plugins.protocol import RequestEncoder, RunInfo, decode_response
from bomhost.plugins.runner import run_plugins
from bomhost.plugins.wasm.runtime import WasmRuntime
from bomhost.policy.model import Budgets, Policy

ROOT = Path(__file__).resolve().parent.parent
NONE_WAT = """(module
 (memory (export "memory") 1)
 (data (i32.const 16) "{\\"findings\\":[]}")
 (func (export "bomdrift_alloc") (param i32) (result i32) (i32.const 1024))
 (func (export "bomdrift_enrich") (param i32 i32) (result i64)
   (i64.or (i64.shl (i64.const 16) (i64.const 32)) (i64.const 15))))
"""
LOOP_WAT = NONE_WAT.replace("(i64.or (i64.shl", "(loop $l (br $l)) (i64.or (i64.shl")
EXTERNAL = "import sys\nsys.stdin.buffer.read()\nsys.stdout.write('{\"findings\": []}\\n')\n"


def _manifest(folder: Path, name: str, exec_: Path, extra: str = "") -> LoadedManifest:
    path = folder / f"{name}.toml"
    path.write_text(f'[plugin]\nname = "{name}"\nexec = "{exec_}"\n{extra}', encoding="utf-8")
    return load_manifest(path)


def _ctx(cache: Path, policy: Policy | None = None) -> RunContext:
    return RunContext(
        bomhost_version=__version__,
        now_ms=0,
        policy=policy or Policy(),
        cache_dir=str(cache),
    )


def _changes(n: int) -> ChangeSet:
    return ChangeSet(
        added=tuple(
            Component(
                name=f"left-pad-{i}",
                version="1.0.0",
                ecosystem="npm",
                purl=f"pkg:npm/left-pad-{i}@1.0.0",
            )
            for i in range(n)
        )
    )


def _per_call_us(plugin: LoadedManifest, ctx: RunContext, n: int) -> tuple[float, float]:
    """Median per-call microseconds: raw call, and call with JSON encode/decode."""
    inst = WasmRuntime().load(plugin, ctx)
    comp = Component(
        name="left-pad", version="1.0.0", ecosystem="npm", purl="pkg:npm/left-pad@1.0.0"
    )
    run = RunInfo(bomhost_version=__version__, now_ms=0)
    # As the runner does: one encoder per plugin, built before the first call.
    encoder = RequestEncoder(2, plugin.manifest.config, run)
    request = encoder.encode(comp, "added", None)
    raw, full = [], []
    for _ in range(5):
        t = time.perf_counter()
        for _ in range(n):
            inst.call(request, "s")
        raw.append((time.perf_counter() - t) / n * 1e6)
        t = time.perf_counter()
        for _ in range(n):
            decode_response(inst.call(encoder.encode(comp, "added", None), "s").output)
        full.append((time.perf_counter() - t) / n * 1e6)
    return statistics.median(raw), statistics.median(full)


def _runner_us(plugin: LoadedManifest, ctx: RunContext, n: int) -> float:
    changes = _changes(n)
    t = time.perf_counter()
    run_plugins([plugin], changes, ctx, jobs=1)
    return (time.perf_counter() - t) / n * 1e6


def run(n: int = 2000) -> list[dict[str, Any]]:
    rows: list[dict[str, Any]] = []
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        cache = folder / "cache"
        ctx = _ctx(cache)
        (folder / "none.wat").write_text(NONE_WAT, encoding="utf-8")
        none = _manifest(folder, "none", folder / "none.wat")
        rust = load_manifest(ROOT / "examples/plugins/banned-packages-wasm/plugin.toml")
        for label, plugin in (("wat-none", none), ("rust-banned", rust)):
            raw, full = _per_call_us(plugin, ctx, n)
            rows.append({"case": f"{label} call (raw)", "us_per_call": round(raw, 1)})
            rows.append({"case": f"{label} call + JSON in/out", "us_per_call": round(full, 1)})
            rows.append(
                {
                    "case": f"{label} run_plugins jobs=1",
                    "us_per_call": round(_runner_us(plugin, ctx, n), 1),
                }
            )

        script = folder / "ext.py"
        script.write_text(f"#!{sys.executable} -S\n{EXTERNAL}", encoding="utf-8")
        script.chmod(0o755)
        ext = _manifest(folder, "ext", script)
        ext_us = _runner_us(ext, ctx, max(n // 20, 20))
        wasm_us = next(r["us_per_call"] for r in rows if r["case"] == "wat-none run_plugins jobs=1")
        rows.append(
            {"case": "external protocol-1 run_plugins jobs=1", "us_per_call": round(ext_us, 1)}
        )
        rows.append({"case": "external / wasm (run_plugins)", "ratio": round(ext_us / wasm_us, 1)})

        cold_cache = folder / "cold"
        t = time.perf_counter()
        WasmRuntime().load(rust, _ctx(cold_cache))
        cold = (time.perf_counter() - t) * 1000
        t = time.perf_counter()
        WasmRuntime().load(rust, _ctx(cold_cache))
        warm = (time.perf_counter() - t) * 1000
        rows.append({"case": "rust-banned load, cold compile", "ms": round(cold, 1)})
        rows.append({"case": "rust-banned load, cached", "ms": round(warm, 2)})

        (folder / "loop.wat").write_text(LOOP_WAT, encoding="utf-8")
        loop = _manifest(folder, "loop", folder / "loop.wat")
        for limit in (100, 200, 1000):
            pol = Policy(budgets=Budgets(timeout_ms=limit, fuel=10**15))
            inst = WasmRuntime().load(loop, _ctx(cache, pol))
            ratios = []
            for _ in range(3):
                t = time.perf_counter()
                inst.call(b"{}", "s")
                ratios.append((time.perf_counter() - t) * 1000 / limit)
            rows.append(
                {
                    "case": f"infinite loop, timeout {limit} ms",
                    "stop_ratio_max": round(max(ratios), 3),
                }
            )
    return rows


def main() -> None:
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 2000
    for row in run(n):
        print(row)


if __name__ == "__main__":
    main()
