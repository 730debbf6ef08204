"""An OSV-compatible API on 127.0.0.1 over a real OSV dump, for tests and benchmarks.

``POST /v1/querybatch`` (at most 1,000 queries, as OSV) and ``GET /v1/vulns/{id}``, answered
from the records of an ``all.zip``. Matching follows OSV's rules with the ``packaging`` library
for PyPI versions: an independent implementation of what ``builtin:osv`` evaluates offline in
Rust, so the online/offline comparison tests one against the other. Every request is recorded.
"""

from __future__ import annotations

import functools
import json
import threading
import zipfile
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from types import TracebackType
from typing import Any
from urllib.parse import parse_qs, urlsplit

from packaging.utils import canonicalize_name
from packaging.version import InvalidVersion, Version

MAX_QUERIES = 1000


@functools.cache
def _version(text: str) -> Version | None:
    try:
        return Version(text)
    except InvalidVersion:
        return None


def _in_range(version: Version, events: list[dict[str, str]]) -> bool:
    """OSV's evaluation of one ECOSYSTEM range for a PyPI version."""
    parsed: list[tuple[Version | None, str]] = []  # None: introduced "0", before everything
    for event in events:
        kind, text = next(iter(event.items()))
        if kind == "introduced" and text == "0":
            parsed.append((None, kind))
        elif kind == "limit" and text == "*":
            continue
        elif (v := _version(text)) is not None and kind in (
            "introduced",
            "fixed",
            "last_affected",
            "limit",
        ):
            parsed.append((v, kind))
    if any(kind == "limit" and v is not None and version >= v for v, kind in parsed):
        return False
    parsed.sort(key=lambda e: (e[0] is not None, e[0] or Version("0")))
    affected = False
    for v, kind in parsed:
        if kind == "introduced" and (v is None or version >= v):
            affected = True
        elif v is not None and _closes(kind, version, v):
            affected = False
    return affected


def _closes(kind: str, version: Version, at: Version) -> bool:
    """``fixed`` closes a range at its version, ``last_affected`` just after it."""
    return (kind == "fixed" and version >= at) or (kind == "last_affected" and version > at)


def affects(record: dict[str, Any], ecosystem: str, name: str, version: str) -> bool:
    """Whether the record names this package at this version (PyPI only: the dump is PyPI)."""
    if record.get("withdrawn") is not None or ecosystem != "PyPI":
        return False
    wanted = canonicalize_name(name)
    parsed = _version(version)
    for entry in record.get("affected") or []:
        pkg = entry.get("package") or {}
        if pkg.get("ecosystem") != ecosystem or canonicalize_name(pkg.get("name", "")) != wanted:
            continue
        for listed in entry.get("versions") or []:
            if listed == version or (parsed is not None and _version(listed) == parsed):
                return True
        if parsed is None:
            continue
        for rng in entry.get("ranges") or []:
            if rng.get("type") == "ECOSYSTEM" and _in_range(parsed, rng.get("events") or []):
                return True
    return False


@dataclass
class Request:
    method: str
    path: str
    queries: int  # querybatch: how many queries the body held


@dataclass
class OsvServer:
    """``with OsvServer(zip_path) as srv: srv.base_url``; stopped on exit."""

    dump: Path
    fail_vulns: bool = False  # answer every GET /v1/vulns/{id} with 503
    # FIRST.org's EPSS API (GET /data/v1/epss?cve=A,B) and CISA's KEV feed (GET /kev.json),
    # served from these: CVE -> score (a string, as FIRST.org sends it), and the listed CVEs.
    epss: dict[str, str] = field(default_factory=dict)
    kev: list[str] = field(default_factory=list)
    fail_epss: bool = False  # answer EPSS requests with 503
    requests: list[Request] = field(default_factory=list)
    records: dict[str, dict[str, Any]] = field(default_factory=dict)
    _by_name: dict[str, list[str]] = field(default_factory=dict)
    _server: ThreadingHTTPServer | None = None
    _thread: threading.Thread | None = None

    def __post_init__(self) -> None:
        with zipfile.ZipFile(self.dump) as zf:
            for info in zf.infolist():
                if info.filename.endswith(".json"):
                    rec = json.loads(zf.read(info))
                    self.records[rec["id"]] = rec
        for rid, rec in self.records.items():
            for entry in rec.get("affected") or []:
                name = canonicalize_name((entry.get("package") or {}).get("name", ""))
                self._by_name.setdefault(name, []).append(rid)

    @property
    def base_url(self) -> str:
        assert self._server is not None
        return f"http://127.0.0.1:{self._server.server_address[1]}"

    @property
    def port(self) -> int:
        assert self._server is not None
        return int(self._server.server_address[1])

    def query(self, q: dict[str, Any]) -> list[str]:
        pkg = q.get("package") or {}
        eco, name, version = pkg.get("ecosystem", ""), pkg.get("name", ""), q.get("version", "")
        ids = dict.fromkeys(self._by_name.get(canonicalize_name(name), []))
        return [i for i in ids if affects(self.records[i], eco, name, version)]

    def __enter__(self) -> OsvServer:
        outer = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, format: str, *args: Any) -> None:
                pass

            def _send(self, status: int, body: object) -> None:
                data = json.dumps(body).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def do_POST(self) -> None:
                body = json.loads(self.rfile.read(int(self.headers["Content-Length"] or 0)))
                queries = body.get("queries") or []
                outer.requests.append(Request("POST", self.path, len(queries)))
                if self.path != "/v1/querybatch":
                    return self._send(404, {"code": 5, "message": "Not Found"})
                if len(queries) > MAX_QUERIES:
                    return self._send(400, {"code": 3, "message": "Too many queries."})
                results = []
                for q in queries:
                    ids = outer.query(q)
                    vulns = [{"id": i, "modified": outer.records[i]["modified"]} for i in ids]
                    results.append({"vulns": vulns} if vulns else {})
                self._send(200, {"results": results})

            def do_GET(self) -> None:
                outer.requests.append(Request("GET", self.path, 0))
                if self.path.startswith("/data/v1/epss"):
                    return self._epss()
                if self.path == "/kev.json":
                    rows = [{"cveID": c, "vendorProject": "x", "product": "y"} for c in outer.kev]
                    return self._send(200, {"title": "CISA KEV", "vulnerabilities": rows})
                rid = self.path.removeprefix("/v1/vulns/")
                if outer.fail_vulns:
                    return self._send(503, {"code": 14, "message": "Unavailable"})
                if not self.path.startswith("/v1/vulns/") or rid not in outer.records:
                    return self._send(404, {"code": 5, "message": "Bug not found."})
                self._send(200, outer.records[rid])

            def _epss(self) -> None:
                if outer.fail_epss:
                    return self._send(503, {"status": "error"})
                query = parse_qs(urlsplit(self.path).query)
                asked = [c for v in query.get("cve", []) for c in v.split(",") if c]
                if len(asked) > 100:
                    return self._send(400, {"status": "error", "message": "too many CVEs"})
                rows = [
                    {"cve": c, "epss": outer.epss[c], "percentile": "0.5"}
                    for c in asked
                    if c in outer.epss
                ]
                self._send(200, {"status": "OK", "total": len(rows), "data": rows})

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)
        self._thread.start()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        assert self._server is not None
        assert self._thread is not None
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(timeout=5)
