"""Injected credentials: a rule's ``headers`` reach the server, never the guest or any output."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from bomhost.errors import PolicyError

from .conftest import Server, write_policy
from .test_http_request import GRANTS, _call, _post, write_module

SECRET = "s3cr3t-Zq9-token-value"
ROOT = Path(__file__).resolve().parents[2]


def _rule(port: int, on_missing: str = "error") -> str:
    return (
        GRANTS
        + f"""
[[net.allow]]
id = "gh"
scheme = "http"
host = "127.0.0.1"
port = {port}
methods = ["POST"]
headers = {{ Authorization = "Bearer ${{env:BOMHOST_TEST_TOKEN}}" }}
on_missing_env = "{on_missing}"
"""
    )


def _sbom(path: Path) -> Path:
    comps = [{"type": "library", "name": "a", "version": "1", "purl": "pkg:npm/a@1"}]
    doc = {"bomFormat": "CycloneDX", "specVersion": "1.5", "version": 1, "components": comps}
    path.write_text(json.dumps(doc), encoding="utf-8")
    return path


def test_the_header_reaches_the_server_and_no_output_has_it(tmp_path: Path, server: Server) -> None:
    (tmp_path / "policy.toml").write_text(_rule(server.port), encoding="utf-8")
    # The guest echoes what it got back into its finding: the server's answer, never the token.
    module = write_module(tmp_path, _post(server.port))
    (tmp_path / "probe.toml").write_text(
        f'[plugin]\nname = "probe"\nexec = "{module}"\n', encoding="utf-8"
    )
    old, new = _sbom(tmp_path / "old.json"), tmp_path / "new.json"
    new.write_text(old.read_text().replace('"a"', '"b"').replace("npm/a", "npm/b"))
    env = {**os.environ, "BOMHOST_TEST_TOKEN": SECRET}
    outputs = []
    for fmt in ("json", "markdown", "sarif", "terminal"):
        proc = subprocess.run(
            [sys.executable, "-m", "bomhost", "diff", old, new, "--plugin", "probe.toml",
             "--policy", "policy.toml", "--output", fmt, "--timings"],
            capture_output=True, text=True, cwd=tmp_path, env=env, timeout=60, check=False,
        )  # fmt: skip
        assert proc.returncode == 0, proc.stderr
        outputs += [proc.stdout, proc.stderr]
    assert server.headers, "the plugin made no request"
    assert {h["Authorization"] for h in server.headers} == {f"Bearer {SECRET}"}
    report = json.loads(outputs[0])
    assert report["enrichment"]["plugin_findings"][0]["message"] == "POST 14"
    assert '"injected_headers": ["authorization"]' in json.dumps(report)
    for text in outputs:
        assert SECRET not in text
    # explain and lint print rules: the template, never the value.
    for args in (
        ["policy", "lint", "policy.toml"],
        ["plugin", "check", "probe.toml", "--policy", "policy.toml"],
    ):
        proc = subprocess.run(
            [sys.executable, "-m", "bomhost", *args],
            capture_output=True, text=True, cwd=tmp_path, env=env, timeout=60, check=False,
        )  # fmt: skip
        assert proc.stdout, proc.stderr
        assert SECRET not in proc.stdout + proc.stderr


def test_the_guest_cannot_set_an_injected_header(
    tmp_path: Path, server: Server, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("BOMHOST_TEST_TOKEN", SECRET)
    policy = write_policy(tmp_path, _rule(server.port))
    messages, reasons, _ = _call(
        tmp_path, policy, _post(server.port, headers=[["authorization", "Bearer mine"]])
    )
    assert messages == ["E1"]
    assert reasons == [("deny", "gh", "net_header_denied")]
    assert server.requests == []


def test_a_missing_variable_is_a_policy_error_naming_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("BOMHOST_TEST_TOKEN", raising=False)
    with pytest.raises(PolicyError, match="BOMHOST_TEST_TOKEN is not set"):
        write_policy(tmp_path, _rule(1))


def test_drop_sends_without_the_header_and_says_so(
    tmp_path: Path, server: Server, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("BOMHOST_TEST_TOKEN", raising=False)
    policy = write_policy(tmp_path, _rule(server.port, "drop"))
    messages, _, out = _call(tmp_path, policy, _post(server.port))
    assert messages == ["POST 14"]
    assert "Authorization" not in server.headers[0]
    assert out.events[0].context["dropped_headers"] == ["authorization"]
