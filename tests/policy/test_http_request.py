"""bomdrift.http_request (methods, headers, bodies) through the real WASM runtime and broker.

The module is tests/assets/wat/policy/host_call.wat calling ``http_request`` on a JSON request
built here; the server on 127.0.0.1 records every method and body it received.
"""

from __future__ import annotations

import json
from pathlib import Path

from bomhost import __version__
from bomhost.plugins.interface import RunContext
from bomhost.plugins.outcome import PluginOutcome
from bomhost.plugins.runner import run_plugins
from bomhost.policy.model import Policy
from tests.plugins.util import manifest

from .conftest import Server, write_policy
from .test_wasm_e2e import TEMPLATE, _components, _messages, _reasons

GRANTS = '[imports]\nallow = ["bomdrift.http_request"]\n[budgets]\ntimeout_ms = 2000\n'


def _policy(tmp: Path, port: int, extra: str = "") -> Policy:
    return write_policy(
        tmp,
        GRANTS
        + f"""
[[net.allow]]
id = "api"
scheme = "http"
host = "127.0.0.1"
port = {port}
{extra}
""",
    )


def write_module(tmp: Path, request: object) -> Path:
    """A WAT plugin that makes ``request`` (JSON) through bomdrift.http_request."""
    raw = request if isinstance(request, str) else json.dumps(request)
    # WAT string escaping: the module's data segment then holds exactly the request bytes.
    escaped = raw.replace("\\", "\\\\").replace('"', '\\"')
    wat = (
        TEMPLATE.read_text(encoding="utf-8")
        .replace("@FUNC@", "http_request")
        .replace("@ARG_LEN@", str(len(raw.encode())))
        .replace("@ARG@", escaped)
        .replace("@CAP@", "3000")
    )
    module = tmp / "http_request.wat"
    module.write_text(wat, encoding="utf-8")
    return module


def _call(
    tmp: Path, policy: Policy, request: object
) -> tuple[list[str], list[tuple[str, str, str]], PluginOutcome]:
    plugin = manifest(tmp, write_module(tmp, request), name="probe")
    ctx = RunContext(bomhost_version=__version__, now_ms=0, policy=policy, jobs=1)
    out = run_plugins([plugin], _components(1), ctx, jobs=1)
    return _messages(out), _reasons(out), out


def _post(port: int, body: str = '{"queries":[]}', **more: object) -> dict[str, object]:
    return {"method": "POST", "url": f"http://127.0.0.1:{port}/v1/querybatch", "body": body, **more}


def test_post_with_a_body_reaches_the_server(tmp_path: Path, server: Server) -> None:
    policy = _policy(tmp_path, server.port, 'methods = ["GET", "POST"]')
    headers = [["content-type", "application/json"]]
    messages, reasons, out = _call(
        tmp_path, policy, _post(server.port, "x" * 1000, headers=headers)
    )
    assert messages == ["POST 1000"]
    assert reasons == [("allow", "api", "net_ok")]
    assert server.bodies == [("POST", b"x" * 1000)]
    assert server.headers[0]["content-type"] == "application/json"
    ctx = out.events[0].context
    assert ctx["method"] == "POST"
    assert ctx["egress_bytes"] > 1000  # the body is counted


def test_a_method_outside_the_rule_is_denied(tmp_path: Path, server: Server) -> None:
    policy = _policy(tmp_path, server.port)  # methods default to GET only
    messages, reasons, out = _call(tmp_path, policy, _post(server.port))
    assert messages == ["E1"]
    assert reasons == [("deny", "api", "net_method_denied")]
    assert out.events[0].context["methods"] == ["GET"]
    assert server.requests == []


def test_a_host_outside_the_rules_is_denied(tmp_path: Path, server: Server) -> None:
    policy = _policy(tmp_path, server.port, 'methods = ["POST"]')
    request = {**_post(server.port), "url": f"http://localhost:{server.port}/v1/querybatch"}
    messages, reasons, _ = _call(tmp_path, policy, request)
    assert messages == ["E1"]
    assert reasons == [("deny", "net.default", "net_host_denied")]
    assert server.requests == []


def test_egress_quota_counts_the_body(tmp_path: Path, server: Server) -> None:
    policy = _policy(tmp_path, server.port, 'methods = ["POST"]\nmax_egress_bytes = 600')
    messages, reasons, out = _call(tmp_path, policy, _post(server.port, "y" * 1000))
    assert messages == ["E3"]
    assert reasons == [("deny", "api", "net_quota_exceeded")]
    assert out.events[0].context["quota"] == "max_egress_bytes"
    assert server.requests == []
    # The same request without the body fits.
    messages, _, _ = _call(tmp_path, policy, _post(server.port, ""))
    assert messages == ["POST 0"]


def test_host_controlled_and_injected_headers_are_refused(tmp_path: Path, server: Server) -> None:
    policy = _policy(tmp_path, server.port, 'methods = ["POST"]')
    for headers in (
        [["Host", "evil.example"]],
        [["Proxy-Authorization", "x"]],
        [["x-ok", "a\r\nX-Injected: 1"]],
    ):
        messages, reasons, _ = _call(tmp_path, policy, _post(server.port, headers=headers))
        assert messages == ["E1"], headers
        assert reasons == [("deny", "api", "net_header_denied")]
    assert server.requests == []


def test_a_malformed_request_is_code_7_with_an_event(tmp_path: Path, server: Server) -> None:
    policy = _policy(tmp_path, server.port, 'methods = ["POST"]')
    for bad in ("not json", json.dumps({"method": "BREW", "url": "http://127.0.0.1/"})):
        messages, reasons, out = _call(tmp_path, policy, bad)
        assert messages == ["E7"]
        assert reasons == [("deny", "net.default", "net_request_invalid")]
    assert "method" in out.events[0].context["reason"]
    assert server.requests == []
