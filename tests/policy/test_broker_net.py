"""http_get through the broker against a real server on 127.0.0.1: rules, quotas, timeouts."""

from __future__ import annotations

import socket
import time
from pathlib import Path
from typing import Any

import pytest

from bomhost.policy.broker import (
    DENIED,
    NOT_FOUND,
    QUOTA,
    TIMED_OUT,
    TOO_SMALL,
    Broker,
    InvocationBroker,
    parse_url,
)
from bomhost.policy.model import Policy

from .conftest import BIG, Server, write_policy


def _policy(tmp_path: Path, port: int, quotas: str = "", host: str = "127.0.0.1") -> Policy:
    return write_policy(
        tmp_path,
        f"""
[[net.allow]]
id = "local"
scheme = "http"
host = "{host}"
port = {port}
timeout_ms = 300
{quotas}
""",
    )


def _inv(
    policy: Policy, deadline_s: float = 30.0, broker: Broker | None = None
) -> InvocationBroker:
    b = broker or Broker(policy)
    return b.for_invocation("vuln", "pkg:npm/a@1", time.monotonic() + deadline_s)


def _seen(inv: InvocationBroker) -> list[tuple[str, str, str]]:
    return [(e.decision, e.rule_id, e.reason_code) for e in inv.events]


def test_allowed_get(tmp_path: Path, server: Server) -> None:
    inv = _inv(_policy(tmp_path, server.port))
    assert inv.http_get(f"http://127.0.0.1:{server.port}/ok?q=1", 1024) == b"hello"
    assert _seen(inv) == [("allow", "local", "net_ok")]
    assert server.requests == ["/ok?q=1"]
    ctx = inv.events[0].context
    assert (ctx["host"], ctx["port"], ctx["status"], ctx["bytes"]) == (
        "127.0.0.1",
        server.port,
        200,
        5,
    )


def test_only_fixed_headers_are_sent(tmp_path: Path, server: Server) -> None:
    inv = _inv(_policy(tmp_path, server.port))
    inv.http_get(f"http://127.0.0.1:{server.port}/ok", 1024)
    assert sorted(server.headers[0]) == [
        "Accept",
        "Accept-Encoding",
        "Connection",
        "Host",
        "User-Agent",
    ]
    assert server.headers[0]["Host"] == f"127.0.0.1:{server.port}"


def test_other_port_other_host_other_scheme_denied(tmp_path: Path, server: Server) -> None:
    inv = _inv(_policy(tmp_path, server.port))
    assert inv.http_get(f"http://127.0.0.1:{server.port + 1}/ok", 1024) == DENIED
    assert inv.http_get(f"http://localhost:{server.port}/ok", 1024) == DENIED
    assert inv.http_get(f"https://127.0.0.1:{server.port}/ok", 1024) == DENIED
    assert inv.http_get("http://127.0.0.1/ok", 1024) == DENIED  # port 80 is not "any port"
    assert _seen(inv) == [
        ("deny", "net.default", "net_port_denied"),
        ("deny", "net.default", "net_host_denied"),
        ("deny", "net.default", "net_scheme_denied"),
        ("deny", "net.default", "net_port_denied"),
    ]
    assert server.requests == []


def test_host_name_rule_and_wildcard(tmp_path: Path, server: Server) -> None:
    inv = _inv(_policy(tmp_path, server.port, host="localhost"))
    assert inv.http_get(f"http://LOCALHOST:{server.port}/ok", 1024) == b"hello"
    assert inv.http_get(f"http://127.0.0.1:{server.port}/ok", 1024) == DENIED
    wild = write_policy(
        tmp_path,
        f'[[net.allow]]\nid = "w"\nscheme = "http"\nhost = "*.localhost"\nport = {server.port}\n',
        "wild.toml",
    )
    assert _inv(wild).http_get(f"http://localhost:{server.port}/ok", 1024) == DENIED


def test_guest_cannot_change_destination(tmp_path: Path, server: Server) -> None:
    inv = _inv(_policy(tmp_path, server.port))
    for url in (
        f"http://evil.example@127.0.0.1:{server.port}/ok",
        f"http://127.0.0.1:{server.port}/ok\r\nHost: evil.example",
        f"http://127.0.0.1:{server.port}/ok HTTP/1.1",
        f"http://127.0.0.1:{server.port}:1/ok",
        "file:///etc/passwd",
        "http:///ok",
    ):
        assert inv.http_get(url, 1024) == DENIED, url
    assert {e.reason_code for e in inv.events} == {"net_url_invalid"}
    assert server.requests == []


def test_redirect_not_followed(tmp_path: Path, server: Server) -> None:
    inv = _inv(_policy(tmp_path, server.port))
    assert inv.http_get(f"http://127.0.0.1:{server.port}/redirect", 1024) == NOT_FOUND
    assert _seen(inv) == [("allow", "local", "net_http_status")]
    assert inv.events[0].context["status"] == 302
    assert server.requests == ["/redirect"]


def test_http_error_status(tmp_path: Path, server: Server) -> None:
    inv = _inv(_policy(tmp_path, server.port))
    assert inv.http_get(f"http://127.0.0.1:{server.port}/missing", 1024) == NOT_FOUND
    assert inv.events[0].context["status"] == 404


def test_connection_refused(tmp_path: Path, server: Server) -> None:
    # A port nothing listens on: bind-and-close to find one.
    import socket

    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    dead = s.getsockname()[1]
    s.close()
    inv = _inv(_policy(tmp_path, dead))
    assert inv.http_get(f"http://127.0.0.1:{dead}/ok", 1024) == NOT_FOUND
    assert _seen(inv) == [("allow", "local", "net_connect_failed")]


def test_https_to_a_plain_http_server_fails_cleanly(tmp_path: Path, server: Server) -> None:
    policy = write_policy(
        tmp_path,
        f'[[net.allow]]\nid = "tls"\nscheme = "https"\nhost = "127.0.0.1"\nport = {server.port}\n',
    )
    inv = _inv(policy)
    assert inv.http_get(f"https://127.0.0.1:{server.port}/ok", 1024) == NOT_FOUND
    assert inv.events[0].reason_code == "net_connect_failed"


def test_buffer_too_small_and_response_quota(tmp_path: Path, server: Server) -> None:
    inv = _inv(_policy(tmp_path, server.port, "max_response_bytes = 50000"))
    url = f"http://127.0.0.1:{server.port}/big"
    assert inv.http_get(url, 1000) == TOO_SMALL
    assert inv.http_get(url, len(BIG)) == QUOTA
    assert _seen(inv) == [
        ("allow", "local", "net_buffer_too_small"),
        ("deny", "local", "net_quota_exceeded"),
    ]
    assert inv.events[1].context["quota"] == "max_response_bytes"
    # The small endpoint still fits what is left of the quota.
    assert inv.http_get(f"http://127.0.0.1:{server.port}/ok", 1024) == b"hello"


def test_request_quota_is_per_run(tmp_path: Path, server: Server) -> None:
    broker = Broker(_policy(tmp_path, server.port, "max_requests = 2"))
    url = f"http://127.0.0.1:{server.port}/ok"
    got = [_inv(broker.policy, broker=broker).http_get(url, 1024) for _ in range(3)]
    assert got == [b"hello", b"hello", QUOTA]
    assert len(server.requests) == 2


def test_egress_quota_counts_the_request_head(tmp_path: Path, server: Server) -> None:
    inv = _inv(_policy(tmp_path, server.port, "max_egress_bytes = 300"))
    assert inv.http_get(f"http://127.0.0.1:{server.port}/ok", 1024) == b"hello"
    sent = inv.events[0].context["egress_bytes"]
    assert 100 < sent < 300
    assert inv.http_get(f"http://127.0.0.1:{server.port}/ok?" + "a" * 200, 1024) == QUOTA
    assert inv.events[1].context["quota"] == "max_egress_bytes"
    assert len(server.requests) == 1


def test_slow_server_times_out_at_rule_timeout(tmp_path: Path, server: Server) -> None:
    inv = _inv(_policy(tmp_path, server.port))
    start = time.monotonic()
    assert inv.http_get(f"http://127.0.0.1:{server.port}/slow", 1024) == TIMED_OUT
    assert time.monotonic() - start < 3  # rule says 0.3 s; the server would hold 5 s
    assert _seen(inv) == [("deny", "local", "net_timeout")]
    assert inv.events[0].context["bounded_by"] == "rule"


def test_trickling_server_is_stopped_by_the_overall_deadline(
    tmp_path: Path, server: Server
) -> None:
    # Each byte arrives well within the socket timeout; only a whole-request deadline stops it.
    inv = _inv(_policy(tmp_path, server.port))
    start = time.monotonic()
    assert inv.http_get(f"http://127.0.0.1:{server.port}/trickle", 4096) == TIMED_OUT
    assert time.monotonic() - start < 3  # the body would take 50 s


def test_fast_endless_body_is_stopped_by_the_deadline(tmp_path: Path, server: Server) -> None:
    # Shutting the socket does not stop bytes that keep arriving (Linux): before the fix, a
    # large buffer was filled for as long as the server kept sending, far past the deadline.
    inv = _inv(_policy(tmp_path, server.port))
    start = time.monotonic()
    assert inv.http_get(f"http://127.0.0.1:{server.port}/endless", 1 << 31) == TIMED_OUT
    assert time.monotonic() - start < 1.5  # rule says 0.3 s; the server sends for 3 s
    assert _seen(inv) == [("deny", "local", "net_timeout")]


def test_invocation_deadline_bounds_the_request(tmp_path: Path, server: Server) -> None:
    policy = _policy(tmp_path, server.port).model_copy()
    inv = _inv(policy, deadline_s=0.1)
    assert inv.http_get(f"http://127.0.0.1:{server.port}/slow", 1024) == TIMED_OUT
    assert inv.events[0].context["bounded_by"] == "invocation"
    late = _inv(policy, deadline_s=-1)
    assert late.http_get(f"http://127.0.0.1:{server.port}/ok", 1024) == TIMED_OUT
    assert len(server.requests) == 1  # the late call never connected


def test_parse_url_defaults_ports() -> None:
    assert parse_url("https://Example.COM/a") == ("https", "example.com", 443, "/a")
    assert parse_url("http://[::1]:8080") == ("http", "::1", 8080, "/")
    assert parse_url("http://127.0.0.1:99999/") is None


def test_name_resolution_is_inside_the_request_deadline(
    tmp_path: Path, server: Server, monkeypatch: pytest.MonkeyPatch
) -> None:
    # A resolver that hangs (no slow DNS server can be configured for this process, so the
    # lookup itself is made slow): before, getaddrinfo ran outside the request timer.
    real = socket.getaddrinfo

    def slow(host: str, *args: Any, **kwargs: Any) -> Any:
        if host == "slow-dns.test":
            time.sleep(3)
        return real("127.0.0.1" if host == "slow-dns.test" else host, *args, **kwargs)

    monkeypatch.setattr(socket, "getaddrinfo", slow)
    inv = _inv(_policy(tmp_path, server.port, host="slow-dns.test"))
    start = time.monotonic()
    assert inv.http_get(f"http://slow-dns.test:{server.port}/ok", 1024) == TIMED_OUT
    assert time.monotonic() - start < 1.5  # rule says 0.3 s; the lookup takes 3 s
    assert _seen(inv) == [("deny", "local", "net_timeout")]
    assert server.requests == []


@pytest.mark.parametrize("path", ["/huge-header", "/many-headers"])
def test_huge_headers_are_bounded_and_denied(tmp_path: Path, server: Server, path: str) -> None:
    # http.client holds at most one 64 KiB line and 100 headers; past either, one deny event.
    inv = _inv(_policy(tmp_path, server.port))
    start = time.monotonic()
    assert inv.http_get(f"http://127.0.0.1:{server.port}{path}", 1024) == NOT_FOUND
    assert time.monotonic() - start < 1.5
    assert _seen(inv) == [("deny", "local", "net_headers_too_large")]


def test_slowloris_headers_are_stopped_by_the_deadline(tmp_path: Path, server: Server) -> None:
    # Each header byte arrives within the socket timeout; the headers would take 50 s.
    inv = _inv(_policy(tmp_path, server.port))
    start = time.monotonic()
    assert inv.http_get(f"http://127.0.0.1:{server.port}/header-trickle", 1024) == TIMED_OUT
    assert time.monotonic() - start < 1.5  # rule says 0.3 s
    assert _seen(inv) == [("deny", "local", "net_timeout")]


def test_redirect_is_an_event_naming_where_it_pointed(tmp_path: Path, server: Server) -> None:
    inv = _inv(_policy(tmp_path, server.port))
    assert inv.http_get(f"http://127.0.0.1:{server.port}/redirect", 1024) == NOT_FOUND
    assert inv.events[0].context["location"] == f"http://127.0.0.1:{server.port}/ok"
    assert server.requests == ["/redirect"]  # never followed, even to an allowed URL
