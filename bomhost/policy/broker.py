"""The capability broker: the only path from a WASM plugin to files and the network.

The WASM host functions ``bomdrift.read_file``, ``http_get`` and ``http_request`` do nothing but copy
bytes between guest memory and an ``InvocationBroker``; every decision (which rule matches,
quotas, timeouts, the event that explains it) is made here, against the operator's policy.

Return convention (the ABI's, see docs/policy.md): a non-negative int is the number of bytes
(here: the bytes themselves), a negative int is an error code. Every call records exactly one
``SandboxEvent``. Its ``decision`` is the policy's verdict: ``deny`` when no rule grants the
request or a rule's quota or timeout stops it; ``allow`` when a rule granted it, even if the file
then turned out to be missing or the server answered 404 (the ``reason_code`` says which).
"""

from __future__ import annotations

import contextlib
import io
import os
import re
import stat
import threading
import time
import urllib.parse
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from bomhost import __version__
from bomhost.model import Decision, SandboxEvent
from bomhost.policy.cache import ResponseCache, cache_key
from bomhost.policy.model import FsReadRule, HttpMethod, NetAllowRule, Policy, valid_host

if TYPE_CHECKING:
    import http.client
    import socket

# http.client, ssl and socket are imported by the first live request (``_fetch``): a run whose
# requests are all answered from the cache, or a plugin that makes none, never pays for them.

DENIED = -1
NOT_FOUND = -2  # read_file: not found or unreadable; http_get: connection or HTTP failure
QUOTA = -3
TOO_SMALL = -4
TIMED_OUT = -5
BAD_REQUEST = -7  # http_request: the request JSON is not a valid request
# Headers only the host writes: a guest header of one of these names is refused.
HOST_HEADERS = frozenset(
    {"host", "content-length", "connection", "transfer-encoding", "user-agent", "accept-encoding"}
)

FS_DEFAULT = "fs.default"
NET_DEFAULT = "net.default"
MAX_URL_CHARS = 8192
_CHUNK = 64 * 1024
_PROC_FD = "/proc/self/fd"


Key = tuple[str, ...]


class _Counters:
    """Quota counters behind one lock: reserve before the bytes move, give back what was unused."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._used: dict[Key, int] = {}

    def used(self, key: Key) -> int:
        with self._lock:
            return self._used.get(key, 0)

    def reserve(self, key: Key, limit: int, want: int) -> int:
        """Take up to ``want`` units of what is left under ``limit``; returns what was taken."""
        with self._lock:
            used = self._used.get(key, 0)
            granted = max(0, min(want, limit - used))
            self._used[key] = used + granted
            return granted

    def release(self, key: Key, amount: int) -> None:
        if amount:
            with self._lock:
                self._used[key] = self._used.get(key, 0) - amount

    def take_all(self, wants: list[tuple[Key, int, int]]) -> Key | None:
        """Add every (key, limit, amount) if all fit, atomically; else the first that does not."""
        with self._lock:
            for key, limit, amount in wants:
                if self._used.get(key, 0) + amount > limit:
                    return key
            for key, _limit, amount in wants:
                self._used[key] = self._used.get(key, 0) + amount
            return None


@dataclass(frozen=True)
class _Quota:
    """One byte quota of a rule: its name in the policy, limit, and where it is counted."""

    name: str
    limit: int
    counters: _Counters
    key: Key


@dataclass
class InvocationBroker:
    """Checks and performs one invocation's file and network requests, recording events.

    One per invocation (never shared between threads); run-wide quotas live in the parent
    ``Broker`` behind its lock.
    """

    broker: Broker
    plugin_name: str
    subject: str
    deadline: float  # time.monotonic() by which the invocation must finish
    events: list[SandboxEvent] = field(default_factory=list)
    _counters: _Counters = field(default_factory=_Counters, init=False, repr=False)

    @property
    def policy(self) -> Policy:
        """The effective policy of this invocation's plugin."""
        return self.broker.policy_for(self.plugin_name)

    def _record(
        self, code: int, decision: Decision, rule_id: str, reason: str, ctx: dict[str, Any]
    ) -> int:
        self.events.append(
            SandboxEvent(
                plugin_name=self.plugin_name,
                component_purl=self.subject,
                decision=decision,
                rule_id=rule_id,
                reason_code=reason,
                context={**ctx, "result": code},
            )
        )
        return code

    def _quotas(
        self, rule_id: str, per_invocation: dict[str, int | None], per_run: dict[str, int | None]
    ) -> list[_Quota]:
        out = [
            _Quota(name, limit, self._counters, (rule_id, name))
            for name, limit in per_invocation.items()
            if limit is not None
        ]
        out += [
            _Quota(name, limit, self.broker.counters, (self.plugin_name, rule_id, name))
            for name, limit in per_run.items()
            if limit is not None
        ]
        return out

    # -- files -------------------------------------------------------------------------------

    def read_file(self, path: str, buf_cap: int) -> bytes | int:
        """The file's bytes (at most ``buf_cap``), or a negative code; always records an event."""
        ctx: dict[str, Any] = {"path": path}
        if not path or "\0" in path:
            return self._record(DENIED, "deny", FS_DEFAULT, "fs_path_denied", ctx)
        lexical = os.path.normpath(os.path.join(self.broker.base_dir, path))
        ctx["resolved"] = real = os.path.realpath(lexical)
        rules = self.policy.fs.read
        rule = next((r for r in rules if r.covers(real)), None)
        if rule is None:
            # Name the rule the path matched before symlinks and ".." were resolved, so that an
            # escape reads as one in the report instead of as a plain miss.
            escaped = next((r.id for r in rules if r.covers(lexical)), None)
            if escaped:
                ctx["escapes_rule"] = escaped
            return self._record(DENIED, "deny", FS_DEFAULT, "fs_path_denied", ctx)
        try:
            fd = os.open(real, os.O_RDONLY | os.O_NONBLOCK | os.O_CLOEXEC | os.O_NOFOLLOW)
        except FileNotFoundError:
            return self._record(NOT_FOUND, "allow", rule.id, "fs_not_found", ctx)
        except OSError as exc:
            ctx["error"] = exc.strerror or type(exc).__name__
            return self._record(NOT_FOUND, "allow", rule.id, "fs_unreadable", ctx)
        try:
            return self._read_fd(fd, rule, buf_cap, ctx)
        except OSError as exc:
            ctx["error"] = exc.strerror or type(exc).__name__
            return self._record(NOT_FOUND, "allow", rule.id, "fs_unreadable", ctx)
        finally:
            os.close(fd)

    def _read_fd(self, fd: int, rule: FsReadRule, buf_cap: int, ctx: dict[str, Any]) -> bytes | int:
        st = os.fstat(fd)
        if not stat.S_ISREG(st.st_mode):
            # FIFOs and devices would block or never end; a plugin has no business with them.
            ctx["error"] = "not a regular file"
            return self._record(NOT_FOUND, "allow", rule.id, "fs_unreadable", ctx)
        if os.path.isdir(_PROC_FD):
            # Check what was opened, not only what was resolved: closes the window in which a
            # path component could be swapped for a symlink between realpath() and open().
            opened = os.readlink(f"{_PROC_FD}/{fd}")
            if not rule.covers(opened):
                return self._record(DENIED, "deny", FS_DEFAULT, "fs_path_denied", ctx)
        ctx["size"] = st.st_size
        quotas = self._quotas(
            rule.id,
            {"max_bytes_per_invocation": rule.max_bytes_per_invocation},
            {"max_bytes_per_run": rule.max_bytes_per_run},
        )

        def read(n: int) -> bytes:
            chunks: list[bytes] = []
            while n > 0 and (chunk := os.read(fd, min(n, _CHUNK))):
                chunks.append(chunk)
                n -= len(chunk)
            return b"".join(chunks)

        return self._bounded_read(read, rule.id, "fs", quotas, buf_cap, ctx)

    # -- shared by files and HTTP bodies -------------------------------------------------------

    def _bounded_read(
        self,
        read: Callable[[int], bytes],
        rule_id: str,
        kind: str,
        quotas: list[_Quota],
        buf_cap: int,
        ctx: dict[str, Any],
    ) -> bytes | int:
        """Read at most what the buffer and every byte quota allow, plus one byte to tell.

        Quotas are reserved before reading and the unused part is given back after, so
        parallel invocations cannot together overrun a run quota.
        """
        limit = max(0, buf_cap)
        grants: list[tuple[_Quota, int]] = []
        tightest: tuple[_Quota, int] | None = None
        try:
            for q in quotas:
                got = q.counters.reserve(q.key, q.limit, limit)
                grants.append((q, got))
                if tightest is None or got < tightest[1]:
                    tightest = (q, got)
            limit = min([limit, *(got for _, got in grants)])
            data = read(limit + 1)
        except Exception:
            for q, got in grants:
                q.counters.release(q.key, got)
            raise
        n = len(data)
        fits = n <= limit
        for q, got in grants:
            q.counters.release(q.key, got - (n if fits else 0))
        if fits:
            ctx["bytes"] = n
            self._record(n, "allow", rule_id, "fs_read" if kind == "fs" else "net_ok", ctx)
            return data
        if tightest is not None and tightest[1] < buf_cap:
            q = tightest[0]
            ctx.update(quota=q.name, limit=q.limit, used=q.limit - tightest[1])
            return self._record(QUOTA, "deny", rule_id, f"{kind}_quota_exceeded", ctx)
        ctx["buf_cap"] = buf_cap
        return self._record(TOO_SMALL, "allow", rule_id, f"{kind}_buffer_too_small", ctx)

    # -- network -----------------------------------------------------------------------------

    def http_get(self, url: str, buf_cap: int) -> bytes | int:
        """The 2xx body (at most ``buf_cap``), or a negative code; always records an event."""
        return self.http_request("GET", url, (), None, buf_cap, {"url": url})

    def http_request_json(self, raw: str, buf_cap: int) -> bytes | int:
        """``bomdrift.http_request``: the request as JSON (protocol/README.md section 9)."""
        try:
            req = HttpRequest.model_validate_json(raw)
        except ValidationError as exc:
            first = exc.errors()[0]
            where = ".".join(str(p) for p in first["loc"]) or "request"
            ctx: dict[str, Any] = {"reason": f"{where}: {first['msg']}"}
            return self._record(BAD_REQUEST, "deny", NET_DEFAULT, "net_request_invalid", ctx)
        body = None if req.body is None else req.body.encode("utf-8")
        ctx = {"url": req.url, "method": req.method}
        return self.http_request(req.method, req.url, req.headers, body, buf_cap, ctx)

    def http_request(
        self,
        method: HttpMethod,
        url: str,
        guest_headers: tuple[tuple[str, str], ...],
        body: bytes | None,
        buf_cap: int,
        ctx: dict[str, Any],
    ) -> bytes | int:
        """One brokered request; ``http_get`` is the GET without headers or body."""
        target = parse_url(url)
        if target is None:
            return self._record(DENIED, "deny", NET_DEFAULT, "net_url_invalid", ctx)
        scheme, host, port, path = target
        ctx.update(scheme=scheme, host=host, port=port)
        rules = self.policy.net.allow
        rule = next(
            (r for r in rules if r.scheme == scheme and r.port == port and r.host_matches(host)),
            None,
        )
        if rule is None:
            return self._record(DENIED, "deny", NET_DEFAULT, _net_miss(rules, scheme, host), ctx)
        if method not in rule.methods:
            ctx["methods"] = list(rule.methods)
            return self._record(DENIED, "deny", rule.id, "net_method_denied", ctx)
        injected = {k.lower() for k, _ in rule.injected_headers}
        refused = sorted(
            k.lower()
            for k, v in guest_headers
            if k.lower() in HOST_HEADERS
            or k.lower() in injected
            or k.lower().startswith("proxy-")
            or not _HEADER_NAME.match(k)
            or not _HEADER_VALUE.match(v)
        )
        if refused:
            ctx["headers"] = refused
            return self._record(DENIED, "deny", rule.id, "net_header_denied", ctx)

        remaining = self.deadline - time.monotonic()
        timeout = min(rule.timeout_ms / 1000, remaining)
        ctx["timeout_ms"] = rule.timeout_ms
        ctx["bounded_by"] = "rule" if rule.timeout_ms / 1000 <= remaining else "invocation"
        if timeout <= 0:
            return self._record(TIMED_OUT, "deny", rule.id, "net_timeout", ctx)

        headers = _request_headers(scheme, host, port) + list(guest_headers)
        if rule.injected_headers:
            # Names only in the event: the values are the operator's secrets.
            headers += rule.injected_headers
            ctx["injected_headers"] = sorted(injected)
        if rule.dropped_headers:
            ctx["dropped_headers"] = sorted(k.lower() for k in rule.dropped_headers)
        if body is not None:
            headers.append(("Content-Length", str(len(body))))
        egress = _egress(method, path, headers) + len(body or b"")
        ctx["egress_bytes"] = egress
        wants: list[tuple[Key, int, int]] = []
        names: dict[Key, tuple[str, int]] = {}
        for name, limit, amount in (
            ("max_requests", rule.max_requests, 1),
            ("max_egress_bytes", rule.max_egress_bytes, egress),
        ):
            if limit is not None:
                key = (self.plugin_name, rule.id, name)
                wants.append((key, limit, amount))
                names[key] = (name, limit)
        over = self.broker.counters.take_all(wants)
        if over is not None:
            name, limit = names[over]
            used = self.broker.counters.used(over)
            ctx.update(quota=name, limit=limit, used=used)
            return self._record(QUOTA, "deny", rule.id, "net_quota_exceeded", ctx)
        cache = self.broker.cache if rule.cache_ttl_s else None
        entry = cache_key(method, url, body)
        if cache is not None and (hit := cache.get(entry, rule.cache_ttl_s)) is not None:
            # A hit counts against the quotas like a live request (taken above), so a cached
            # run behaves as an uncached one; only the connection is saved.
            ctx["cached"] = True
            stream = io.BytesIO(hit)
            quotas = self._quotas(rule.id, {}, {"max_response_bytes": rule.max_response_bytes})
            return self._bounded_read(stream.read, rule.id, "net", quotas, buf_cap, ctx)
        request = (method, headers, body)
        got = self._fetch(rule, (scheme, host, port, path), request, timeout, buf_cap, ctx)
        if cache is not None and isinstance(got, bytes):
            cache.put(entry, got)  # complete 2xx bodies only: anything else is a negative code
        return got

    def _fetch(
        self,
        rule: NetAllowRule,
        target: tuple[str, str, int, str],
        request: tuple[str, list[tuple[str, str]], bytes | None],
        timeout: float,
        buf_cap: int,
        ctx: dict[str, Any],
    ) -> bytes | int:
        import http.client
        import socket
        import ssl

        method, headers, body = request
        scheme, host, port, path = target
        conn: http.client.HTTPConnection
        if scheme == "https":
            tls = ssl.create_default_context()
            conn = http.client.HTTPSConnection(host, port, timeout=timeout, context=tls)
        else:
            conn = http.client.HTTPConnection(host, port, timeout=timeout)
        # Socket timeouts bound each read, not the whole request: a server that trickles one
        # byte at a time is stopped by this timer, which shuts the socket at the deadline.
        expired = threading.Event()

        def abort() -> None:
            expired.set()
            sock = conn.sock
            if sock is not None:
                with contextlib.suppress(OSError):
                    sock.shutdown(socket.SHUT_RDWR)

        timer = threading.Timer(timeout, abort)
        timer.daemon = True
        timer.start()
        try:
            # Name resolution inside the request's deadline (getaddrinfo itself has none).
            conn.sock = _connect(host, port, time.monotonic() + timeout)
            if scheme == "https":
                conn.sock = tls.wrap_socket(conn.sock, server_hostname=host)
            conn.putrequest(method, path, skip_host=True, skip_accept_encoding=True)
            for name, value in headers:
                conn.putheader(name, value)
            conn.endheaders(body)
            resp = conn.getresponse()
            if expired.is_set():
                raise TimeoutError
            ctx["status"] = resp.status
            if not 200 <= resp.status < 300:
                if resp.getheader("Location"):
                    # Never followed: the destination is the operator's choice, not the server's.
                    ctx["location"] = resp.getheader("Location")
                return self._record(NOT_FOUND, "allow", rule.id, "net_http_status", ctx)

            def read(n: int) -> bytes:
                # Checked per chunk: on Linux, shutting a TCP socket for reading does not stop
                # data that keeps arriving, so a fast endless body would outlive the timer.
                chunks: list[bytes] = []
                while n > 0 and not expired.is_set() and (chunk := resp.read(min(n, _CHUNK))):
                    chunks.append(chunk)
                    n -= len(chunk)
                if expired.is_set():
                    raise TimeoutError
                return b"".join(chunks)

            quotas = self._quotas(rule.id, {}, {"max_response_bytes": rule.max_response_bytes})
            return self._bounded_read(read, rule.id, "net", quotas, buf_cap, ctx)
        except (OSError, http.client.HTTPException) as exc:
            if expired.is_set() or isinstance(exc, TimeoutError):
                return self._record(TIMED_OUT, "deny", rule.id, "net_timeout", ctx)
            ctx["error"] = _describe(exc)
            return self._record(NOT_FOUND, "allow", rule.id, "net_connect_failed", ctx)
        finally:
            timer.cancel()
            conn.close()


@dataclass
class Broker:
    """Run-wide broker for one policy: holds per-run quota counters, hands out invocations.

    Safe to share between threads: effective policies are computed once per plugin, and the
    per-run counters (per plugin and rule) sit behind one lock.
    """

    policy: Policy
    cache: ResponseCache | None = None  # None: --no-cache (rules' cache_ttl_s then ignored)
    lock: threading.Lock = field(default_factory=threading.Lock)
    counters: _Counters = field(default_factory=_Counters, init=False, repr=False)
    _effective: dict[str, Policy] = field(default_factory=dict, init=False, repr=False)

    @property
    def base_dir(self) -> str:
        """Where relative paths a plugin asks for start: the policy file's folder (else cwd)."""
        if self.policy.source is None:
            return os.getcwd()
        return os.path.dirname(os.path.abspath(self.policy.source))

    def policy_for(self, plugin_name: str) -> Policy:
        with self.lock:
            eff = self._effective.get(plugin_name)
            if eff is None:
                eff = self._effective[plugin_name] = self.policy.for_plugin(plugin_name)
            return eff

    def for_invocation(self, plugin_name: str, subject: str, deadline: float) -> InvocationBroker:
        return InvocationBroker(self, plugin_name, subject, deadline)


def _resolve(host: str, port: int, deadline: float) -> list[Any]:
    """``getaddrinfo`` bounded by ``deadline``: it runs in a daemon thread, abandoned if late.

    The C resolver cannot be interrupted; an abandoned lookup ends by the resolver's own
    timeout and holds nothing but its thread.
    """
    import socket

    found: list[Any] = []
    failed: list[OSError] = []

    def lookup() -> None:
        try:
            found.extend(socket.getaddrinfo(host, port, type=socket.SOCK_STREAM))
        except OSError as exc:
            failed.append(exc)

    worker = threading.Thread(target=lookup, name="bomhost-dns", daemon=True)
    worker.start()
    worker.join(max(deadline - time.monotonic(), 0))
    if worker.is_alive():
        raise TimeoutError("name resolution did not finish within the request's deadline")
    if failed:
        raise failed[0]
    return found


def _connect(host: str, port: int, deadline: float) -> socket.socket:
    """A TCP connection to ``host``, resolution and connect both within ``deadline``."""
    import socket

    error: OSError = OSError(f"no address for {host}")
    for family, kind, proto, _, addr in _resolve(host, port, deadline):
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            raise TimeoutError("connect did not finish within the request's deadline")
        sock = socket.socket(family, kind, proto)
        try:
            sock.settimeout(remaining)
            sock.connect(addr)
            sock.settimeout(max(deadline - time.monotonic(), 0.001))  # per read; the timer ends it
            return sock
        except OSError as exc:
            sock.close()
            error = exc
    raise error


def parse_url(url: str) -> tuple[str, str, int, str] | None:
    """(scheme, lower-case host, port, request target) of an acceptable URL, else None.

    Refused: anything but printable ASCII, user info (``user@host``), a missing host, a bad
    port. The port defaults to the scheme's (80, 443); the rule must name it all the same.
    """
    if len(url) > MAX_URL_CHARS or not url.isascii() or not url.isprintable() or " " in url:
        return None
    try:
        parts = urllib.parse.urlsplit(url)
        port = parts.port
    except ValueError:
        return None
    scheme = parts.scheme.lower()
    host = parts.hostname
    if scheme not in ("http", "https") or not host or "@" in parts.netloc:
        return None
    if not valid_host(host):
        return None
    path = parts.path or "/"
    if not path.startswith("/"):
        return None
    if parts.query:
        path += "?" + parts.query
    return scheme, host, port if port is not None else (443 if scheme == "https" else 80), path


def _request_headers(scheme: str, host: str, port: int) -> list[tuple[str, str]]:
    """The only headers sent; nothing the guest passes can add to them."""
    default = 443 if scheme == "https" else 80
    name = f"[{host}]" if ":" in host else host
    return [
        ("Host", name if port == default else f"{name}:{port}"),
        ("User-Agent", f"bomhost/{__version__}"),
        ("Accept", "*/*"),
        ("Accept-Encoding", "identity"),
        ("Connection", "close"),
    ]


class HttpRequest(BaseModel):
    """What a guest passes to ``bomdrift.http_request`` (protocol/README.md section 9)."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    method: HttpMethod
    url: str = Field(max_length=MAX_URL_CHARS)
    headers: tuple[tuple[str, str], ...] = Field(default=(), max_length=64)
    body: str | None = None


# RFC 9110 token for names; visible ASCII and spaces for values (no CR/LF: no header injection).
_HEADER_NAME = re.compile(r"^[!#$%&'*+\-.^_`|~0-9A-Za-z]{1,128}$")
_HEADER_VALUE = re.compile(r"^[\x20-\x7e]{0,4096}$")


def _egress(method: str, path: str, headers: list[tuple[str, str]]) -> int:
    """The exact size of the request head http.client sends for ``path`` and ``headers``."""
    lines = [f"{method} {path} HTTP/1.1", *(f"{k}: {v}" for k, v in headers)]
    return len("\r\n".join(lines)) + 4


def _net_miss(rules: tuple[NetAllowRule, ...], scheme: str, host: str) -> str:
    """The most useful reason a URL matched no rule: right host but wrong port or scheme?"""
    same_host = [r for r in rules if r.host_matches(host)]
    if any(r.scheme == scheme for r in same_host):
        return "net_port_denied"
    if same_host:
        return "net_scheme_denied"
    return "net_host_denied"


def _describe(exc: BaseException) -> str:
    if isinstance(exc, OSError) and exc.strerror:
        return exc.strerror
    return type(exc).__name__
