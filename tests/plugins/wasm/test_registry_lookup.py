"""examples/plugins/registry-lookup-wasm: a batch plugin POSTing through bomdrift.http_request.

Whole ``bomhost diff`` processes against a recording registry on 127.0.0.1: the example's own
manifest, module and policy, copied with the server's port (and nothing else) changed.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.http_server import Server, serve
from tests.plugins.wasm.helpers import ROOT

EXAMPLE = ROOT / "examples/plugins/registry-lookup-wasm"
SECRET = "rEg-7x9-secret-token"
N = 60


@pytest.fixture
def registry() -> Iterator[Server]:
    """The registry: every purl of ``pkg:npm/old-*`` is deprecated."""

    def lookup(body: bytes) -> object:
        purls = json.loads(body)["purls"]
        return {
            "results": [
                {"deprecated": "use new-x"} if p.startswith("pkg:npm/old-") else {} for p in purls
            ]
        }

    with serve() as state:
        state.routes["/v1/lookup"] = lookup
        yield state


def _install(tmp: Path, port: int, *, methods: str = '["POST"]', host: str = "127.0.0.1") -> None:
    """The example in ``tmp``: the registry's port, and the method list or host a case changes."""
    shutil.copy(EXAMPLE / "registry_lookup_wasm.wasm", tmp)
    manifest = (EXAMPLE / "plugin.toml").read_text(encoding="utf-8")
    base = f'base_url = "http://{host}:{port}"'
    (tmp / "plugin.toml").write_text(
        manifest.replace('base_url = "http://127.0.0.1:8765"', base), encoding="utf-8"
    )
    policy = (EXAMPLE / "policy.toml").read_text(encoding="utf-8")
    policy = policy.replace("port = 8765", f"port = {port}")
    (tmp / "policy.toml").write_text(
        policy.replace('methods = ["POST"]', f"methods = {methods}"), encoding="utf-8"
    )


def _sboms(tmp: Path) -> tuple[Path, Path]:
    def doc(names: list[str]) -> str:
        comps = [
            {"type": "library", "name": x, "version": "1", "purl": f"pkg:npm/{x}@1"} for x in names
        ]
        return json.dumps({"bomFormat": "CycloneDX", "specVersion": "1.5", "components": comps})

    old, new = tmp / "old.json", tmp / "new.json"
    old.write_text(doc([]), encoding="utf-8")
    names = [f"old-{i}" if i % 20 == 0 else f"pkg-{i}" for i in range(N)]
    new.write_text(doc(names), encoding="utf-8")
    return old, new


def _diff(tmp: Path, *extra: str, fmt: str = "json") -> subprocess.CompletedProcess[str]:
    old, new = _sboms(tmp)
    return subprocess.run(
        [sys.executable, "-m", "bomhost", "diff", old, new, "--plugin", "plugin.toml",
         "--policy", "policy.toml", "--output", fmt, *extra],
        capture_output=True, text=True, cwd=tmp, timeout=60, check=False,
        env={**os.environ, "BOMHOST_CACHE_DIR": str(tmp / "cache"), "REGISTRY_TOKEN": SECRET},
    )  # fmt: skip


def _report(proc: subprocess.CompletedProcess[str]) -> dict[str, Any]:
    assert proc.returncode == 0, proc.stderr
    report: dict[str, Any] = json.loads(proc.stdout)
    return report


def _findings(report: dict[str, Any]) -> list[tuple[str, str]]:
    return [(f["component_purl"], f["kind"]) for f in report["enrichment"]["plugin_findings"]]


def test_a_batch_is_one_post_and_a_second_run_is_served_from_the_cache(
    tmp_path: Path, registry: Server
) -> None:
    _install(tmp_path, registry.port)
    first = _report(_diff(tmp_path))
    assert registry.requests == ["/v1/lookup"]  # N components, one POST
    method, body = registry.bodies[0]
    assert method == "POST"
    # Every changed component, once (in the diff's order).
    assert sorted(json.loads(body)["purls"]) == sorted(
        f"pkg:npm/{'old' if i % 20 == 0 else 'pkg'}-{i}@1" for i in range(N)
    )
    assert _findings(first) == [(f"pkg:npm/old-{i}@1", "deprecated") for i in (0, 20, 40)]
    [event] = first["sandbox"]["events"]
    assert (event["decision"], event["reason_code"], event["rule_id"]) == (
        "allow",
        "net_ok",
        "registry",
    )
    assert event["component_purl"] == f"batch:pkg:npm/old-0@1+{N - 1}"
    assert event["context"]["method"] == "POST"
    assert "cached" not in event["context"]

    second = _report(_diff(tmp_path))
    assert registry.requests == ["/v1/lookup"]  # nothing new reached the registry
    assert [e["context"].get("cached") for e in second["sandbox"]["events"]] == [True]
    assert second["enrichment"] == first["enrichment"]


def test_the_token_reaches_the_registry_and_no_output_has_it(
    tmp_path: Path, registry: Server
) -> None:
    _install(tmp_path, registry.port)
    outputs: list[str] = []
    for fmt in ("json", "markdown", "sarif", "terminal"):
        proc = _diff(tmp_path, "--no-cache", "--timings", fmt=fmt)
        assert proc.returncode == 0, proc.stderr
        outputs += [proc.stdout, proc.stderr]
    assert len(registry.requests) == 4
    assert {h["Authorization"] for h in registry.headers} == {f"Bearer {SECRET}"}
    assert '"injected_headers": ["authorization"]' in json.dumps(json.loads(outputs[0]))
    check = subprocess.run(
        [sys.executable, "-m", "bomhost", "plugin", "check", "plugin.toml", "--policy", "policy.toml"],
        capture_output=True, text=True, cwd=tmp_path, timeout=60, check=False,
        env={**os.environ, "REGISTRY_TOKEN": SECRET},
    )  # fmt: skip
    assert check.returncode == 0, check.stderr
    outputs += [check.stdout, check.stderr]
    for text in outputs:
        assert SECRET not in text


@pytest.mark.parametrize(
    ("change", "reason"),
    [
        ({"methods": '["GET"]'}, "net_method_denied"),
        ({"host": "localhost"}, "net_host_denied"),
    ],
)
def test_a_method_or_host_outside_the_rule_is_denied_with_an_event(
    tmp_path: Path, registry: Server, change: dict[str, str], reason: str
) -> None:
    _install(tmp_path, registry.port, **change)
    report = _report(_diff(tmp_path))
    assert registry.requests == []
    [event] = report["sandbox"]["events"]
    assert (event["decision"], event["reason_code"]) == ("deny", reason)
    # The plugin says so for every component it could not check (denied is the host's -1).
    findings = report["enrichment"]["plugin_findings"]
    assert len(findings) == N
    assert {f["kind"] for f in findings} == {"registry-unavailable"}
    assert findings[0]["message"].endswith("denied by the policy (-1)")
