"""Batch invocation and the HTTP response cache, measured as whole ``bomhost diff`` processes.

Each figure is a plugin's cost: the median wall clock of ``bomhost diff`` with the plugin
minus the median of the same diff without it (same SBOMs, same policy file, same output), as
a CI job would see it. Runs alternate between the variants so machine drift hits all alike.

- batch vs per-component: 2,000 added components through the Rust contract plugin
  (tests/assets/rust/contract-plugin: answers ``{"findings": []}`` for these names, in both
  modes), once as 2,000 per-component calls and once with ``invoke = "batch"`` (two calls of
  1,000). Target: the batch cost < 10 % of the per-component cost.
- cached HTTP: 1,000 added components through examples/plugins/registry-lookup-wasm (a batch
  plugin: one POST per 1,000) against a registry on 127.0.0.1, after one warm-up run filled
  the cache; the server is stopped for the measured runs, so a request that missed the cache
  would show as a failure. Target: < 50 ms over the plain diff. The same with the contract
  plugin's per-component ``post`` (1,000 calls, 1,000 cached POSTs) is shown for reference.

Run: ``.venv/bin/python benchmarks/bench_batch.py [RUNS]``.
"""

from __future__ import annotations

import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tests.http_server import serve  # noqa: E402  (a benchmark script, run from the checkout)

BOMHOST = [sys.executable, "-m", "bomhost"]
CONTRACT = ROOT / "tests/assets/rust/contract-plugin/contract_plugin.wasm"
REGISTRY = ROOT / "examples/plugins/registry-lookup-wasm"
POLICY = """
[imports]
allow = ["bomdrift.log", "bomdrift.now_ms", "bomdrift.http_request",
  "wasi_snapshot_preview1.fd_write", "wasi_snapshot_preview1.environ_get",
  "wasi_snapshot_preview1.environ_sizes_get", "wasi_snapshot_preview1.proc_exit"]
[[net.allow]]
id = "echo"
scheme = "http"
host = "127.0.0.1"
port = {port}
methods = ["POST"]
cache_ttl_s = 86400
"""


def _sboms(folder: Path, n: int, name: str = "") -> tuple[Path, Path]:
    """An empty old side and ``n`` added npm components (``pkg-i@1.0.0``, or ``name@i.0.0``)."""

    def doc(pairs: list[tuple[str, str]]) -> str:
        comps = [
            {"type": "library", "name": x, "version": v, "purl": f"pkg:npm/{x}@{v}"}
            for x, v in pairs
        ]
        return json.dumps({"bomFormat": "CycloneDX", "specVersion": "1.5", "components": comps})

    old, new = folder / f"old-{n}{name}.json", folder / f"new-{n}{name}.json"
    old.write_text(doc([]), encoding="utf-8")
    pairs = [(name, f"{i}.0.0") if name else (f"pkg-{i}", "1.0.0") for i in range(n)]
    new.write_text(doc(pairs), encoding="utf-8")
    return old, new


def _manifest(folder: Path, name: str, exec_: Path, extra: str = "", config: str = "") -> Path:
    path = folder / f"{name}.toml"
    text = f'[plugin]\nname = "{name}"\nexec = "{exec_}"\nprotocol_version = 2\n{extra}'
    if config:
        text += f"\n[plugin.config]\n{config}\n"
    path.write_text(text, encoding="utf-8")
    return path


def _time(args: list[str], env: dict[str, str], cwd: Path) -> float:
    import time

    start = time.perf_counter()
    proc = subprocess.run(args, capture_output=True, text=True, env=env, cwd=cwd, check=False)
    elapsed = time.perf_counter() - start
    if proc.returncode != 0:
        raise RuntimeError(f"{' '.join(args)} exited {proc.returncode}: {proc.stderr[-500:]}")
    if "plugin_errors" in proc.stdout and '"plugin_errors": []' not in proc.stdout:
        raise RuntimeError(f"{' '.join(args)}: plugin errors: {proc.stdout[:500]}")
    return elapsed


def _medians(
    variants: dict[str, list[str]], runs: int, env: dict[str, str], cwd: Path
) -> dict[str, float]:
    times: dict[str, list[float]] = {k: [] for k in variants}
    for args in variants.values():  # warm-up: compile cache, page cache, HTTP cache
        _time(args, env, cwd)
    for _ in range(runs):
        for name, args in variants.items():
            times[name].append(_time(args, env, cwd))
    return {k: statistics.median(v) for k, v in times.items()}


def run(runs: int = 7) -> list[dict[str, Any]]:
    rows: list[dict[str, Any]] = []
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        env = {**os.environ, "BOMHOST_CACHE_DIR": str(folder / "cache")}
        env.pop("REGISTRY_TOKEN", None)

        # Batch vs per-component: 2,000 components, no network.
        (folder / "policy.toml").write_text(POLICY.format(port=9), encoding="utf-8")
        old, new = _sboms(folder, 2000)
        per = _manifest(folder, "per", CONTRACT)
        batch = _manifest(folder, "batch", CONTRACT, 'invoke = "batch"\n')
        diff = [
            *BOMHOST,
            "diff",
            str(old),
            str(new),
            "--no-signals",
            "--output",
            "json",
            "--policy",
            "policy.toml",
        ]
        t = _medians(
            {
                "plain": diff,
                "per": [*diff, "--plugin", str(per)],
                "batch": [*diff, "--plugin", str(batch)],
            },
            runs,
            env,
            folder,
        )
        per_cost, batch_cost = t["per"] - t["plain"], t["batch"] - t["plain"]
        rows.append(
            {
                "case": "2,000 components: batch cost / per-component cost",
                "plain_ms": round(t["plain"] * 1000, 1),
                "per_ms": round(per_cost * 1000, 1),
                "batch_ms": round(batch_cost * 1000, 1),
                "ratio": round(batch_cost / per_cost, 4),
            }
        )

        # Cached HTTP: 1,000 components; fill the cache with the server up, measure without it.
        # The contract plugin POSTs only for components named "post": a second SBOM of those.
        old, new = _sboms(folder, 1000)
        post_old, post_new = _sboms(folder, 1000, "post")
        with serve() as server:
            server.routes["/v1/lookup"] = lambda body: {
                "results": [{} for _ in json.loads(body)["purls"]]
            }
            port = server.port
            shutil.copy(REGISTRY / "registry_lookup_wasm.wasm", folder)
            manifest = (REGISTRY / "plugin.toml").read_text(encoding="utf-8")
            (folder / "registry.toml").write_text(
                manifest.replace("127.0.0.1:8765", f"127.0.0.1:{port}"), encoding="utf-8"
            )
            policy = (REGISTRY / "policy.toml").read_text(encoding="utf-8")
            (folder / "registry-policy.toml").write_text(
                policy.replace("port = 8765", f"port = {port}").replace(
                    "max_requests = 100", "max_requests = 100000"
                ),
                encoding="utf-8",
            )
            post = _manifest(folder, "post", CONTRACT, config=f'url = "http://127.0.0.1:{port}/x"')
            (folder / "policy.toml").write_text(POLICY.format(port=port), encoding="utf-8")
            base = [*BOMHOST, "diff", str(old), str(new), "--no-signals", "--output", "json"]
            posts = [
                *BOMHOST,
                "diff",
                str(post_old),
                str(post_new),
                "--no-signals",
                "--output",
                "json",
            ]
            http_variants = {
                "plain": [*base, "--policy", "registry-policy.toml"],
                "registry": [
                    *base,
                    "--policy",
                    "registry-policy.toml",
                    "--plugin",
                    "registry.toml",
                ],
                "plain-post": [*posts, "--policy", "policy.toml"],
                "post": [*posts, "--policy", "policy.toml", "--plugin", str(post)],
            }
            for args in http_variants.values():
                _time(args, env, folder)  # fills the cache
            requests = len(server.requests)
        t = _medians(http_variants, runs, env, folder)  # the server is gone: cache hits only
        rows.append(
            {
                "case": "1,000 components, cached HTTP batch plugin (registry-lookup-wasm)",
                "plain_ms": round(t["plain"] * 1000, 1),
                "added_ms": round((t["registry"] - t["plain"]) * 1000, 1),
                "requests_to_fill": requests,  # 1 (registry) + 1,000 (post)
            }
        )
        rows.append(
            {
                "case": "1,000 components, cached HTTP per-component plugin (1,000 calls)",
                "plain_ms": round(t["plain-post"] * 1000, 1),
                "added_ms": round((t["post"] - t["plain-post"]) * 1000, 1),
            }
        )
    return rows


def main() -> None:
    runs = int(sys.argv[1]) if len(sys.argv) > 1 else 7
    for row in run(runs):
        print(row)


if __name__ == "__main__":
    main()
