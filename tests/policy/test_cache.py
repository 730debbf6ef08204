"""The HTTP response cache: opt-in per rule, shared across runs, never caches failures."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from bomhost import __version__
from bomhost.plugins.interface import RunContext
from bomhost.plugins.runner import run_plugins
from bomhost.policy.model import Policy
from tests.plugins.util import manifest

from .conftest import Server, write_policy
from .test_http_request import GRANTS, _post, write_module
from .test_wasm_e2e import _components


def _policy_text(port: int, ttl: int = 3600) -> str:
    return (
        GRANTS
        + f"""
[[net.allow]]
id = "osv"
scheme = "http"
host = "127.0.0.1"
port = {port}
methods = ["GET", "POST"]
cache_ttl_s = {ttl}
"""
    )


def _sboms(tmp: Path, n: int) -> tuple[Path, Path]:
    def doc(names: list[str]) -> str:
        comps = [
            {"type": "library", "name": x, "version": "1", "purl": f"pkg:npm/{x}@1"} for x in names
        ]
        return json.dumps({"bomFormat": "CycloneDX", "specVersion": "1.5", "components": comps})

    old, new = tmp / "old.json", tmp / "new.json"
    old.write_text(doc([]), encoding="utf-8")
    new.write_text(doc([f"c{i}" for i in range(n)]), encoding="utf-8")
    return old, new


def _diff(tmp: Path, *extra: str) -> dict[str, object]:
    old, new = _sboms(tmp, 3)
    proc = subprocess.run(
        [sys.executable, "-m", "bomhost", "diff", old, new, "--plugin", "probe.toml",
         "--policy", "policy.toml", "--output", "json", "--jobs", "1", *extra],
        capture_output=True, text=True, cwd=tmp, timeout=60, check=False,
        env={**os.environ, "BOMHOST_CACHE_DIR": str(tmp / "cache")},
    )  # fmt: skip
    assert proc.returncode == 0, proc.stderr
    report: dict[str, object] = json.loads(proc.stdout)
    return report


def _cached(report: dict[str, object]) -> list[bool]:
    events = report["sandbox"]["events"]  # type: ignore[index]
    return [bool(e["context"].get("cached")) for e in events]


def test_a_second_run_within_the_ttl_makes_no_request(tmp_path: Path, server: Server) -> None:
    (tmp_path / "policy.toml").write_text(_policy_text(server.port), encoding="utf-8")
    module = write_module(tmp_path, _post(server.port))
    (tmp_path / "probe.toml").write_text(
        f'[plugin]\nname = "probe"\nexec = "{module}"\n', encoding="utf-8"
    )
    first = _diff(tmp_path)
    # Three components send the same POST: the first goes out, the others are hits.
    assert len(server.requests) == 1
    assert _cached(first) == [False, True, True]
    second = _diff(tmp_path)
    assert len(server.requests) == 1  # nothing new reached the server
    assert _cached(second) == [True, True, True]
    assert second["enrichment"] == first["enrichment"]  # same findings from the cache
    _diff(tmp_path, "--no-cache")
    assert len(server.requests) == 4


def _run(tmp: Path, policy: Policy, request: object) -> list[str]:
    plugin = manifest(tmp, write_module(tmp, request), name="probe")
    ctx = RunContext(
        bomhost_version=__version__, now_ms=0, policy=policy, cache_dir=str(tmp / "cache")
    )
    out = run_plugins([plugin], _components(1), ctx, jobs=1)
    return [f.message for f in out.findings]


def test_failures_are_never_cached(tmp_path: Path, server: Server) -> None:
    policy = write_policy(tmp_path, _policy_text(server.port))
    request = {"method": "GET", "url": f"http://127.0.0.1:{server.port}/missing"}
    assert _run(tmp_path, policy, request) == ["E2"]
    assert _run(tmp_path, policy, request) == ["E2"]
    assert len(server.requests) == 2
    assert not list((tmp_path / "cache").glob("http/??/*"))


def test_an_entry_older_than_the_ttl_is_a_miss(tmp_path: Path, server: Server) -> None:
    policy = write_policy(tmp_path, _policy_text(server.port, ttl=60))
    assert _run(tmp_path, policy, _post(server.port)) == ["POST 14"]
    (entry,) = (tmp_path / "cache").glob("http/??/*")
    os.utime(entry, (entry.stat().st_atime, entry.stat().st_mtime - 61))
    assert _run(tmp_path, policy, _post(server.port)) == ["POST 14"]
    assert len(server.requests) == 2


@pytest.mark.parametrize("ttl", [0])
def test_a_rule_without_cache_ttl_does_not_cache(tmp_path: Path, server: Server, ttl: int) -> None:
    policy = write_policy(tmp_path, _policy_text(server.port, ttl=ttl))
    _run(tmp_path, policy, _post(server.port))
    _run(tmp_path, policy, _post(server.port))
    assert len(server.requests) == 2


def test_the_cache_is_bounded_oldest_first(tmp_path: Path) -> None:
    from bomhost.policy.cache import ResponseCache, cache_key

    cache = ResponseCache(tmp_path, max_bytes=2500)
    keys = [cache_key("GET", f"http://h/{i}", None) for i in range(3)]
    for age, key in zip((300, 200, 100), keys, strict=True):
        cache.put(key, b"x" * 1000)
        path = tmp_path / key[:2] / key
        os.utime(path, (path.stat().st_atime, path.stat().st_mtime - age))
    cache.put(cache_key("GET", "http://h/new", None), b"y" * 1000)
    assert [cache.get(k, 3600) is not None for k in keys] == [False, False, True]
