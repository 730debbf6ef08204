"""A real HTTP server on 127.0.0.1 for tests: records what it received, answers by path.

Started and stopped by the tests (``serve()``, or the ``server`` fixture in tests/policy), so
every test that reaches the network reaches only this.
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

BIG = b"x" * 100_000


@dataclass
class Server:
    """The test server: its port, and every request line it received, in order."""

    port: int
    requests: list[str] = field(default_factory=list)
    headers: list[dict[str, str]] = field(default_factory=list)
    bodies: list[tuple[str, bytes]] = field(default_factory=list)  # (method, body) of non-GETs
    release: threading.Event = field(default_factory=threading.Event)
    # POST/PUT to this path answer with ``lookup(body)`` (JSON) instead of "POST <length>".
    routes: dict[str, Callable[[bytes], object]] = field(default_factory=dict)


def _handler(state: Server) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, format: str, *args: object) -> None:  # keep pytest output clean
            return

        def _send(self, status: int, body: bytes, **headers: str) -> None:
            self.send_response(status)
            self.send_header("Content-Length", str(len(body)))
            for k, v in headers.items():
                self.send_header(k, v)
            self.end_headers()
            self.wfile.write(body)

        def do_GET(self) -> None:
            state.requests.append(self.path)
            state.headers.append(dict(self.headers.items()))
            if self.path.startswith("/ok"):
                self._send(200, b"hello")
            elif self.path == "/big":
                self._send(200, BIG)
            elif self.path == "/redirect":
                self._send(302, b"", Location=f"http://127.0.0.1:{state.port}/ok")
            elif self.path == "/slow":
                # Held until the test ends (or 5 s): far past any timeout a test sets.
                state.release.wait(5)
                self._send(200, b"late")
            elif self.path == "/trickle":
                self.send_response(200)
                self.send_header("Content-Length", "1000")
                self.end_headers()
                for _ in range(1000):
                    if state.release.is_set():
                        return
                    self.wfile.write(b"x")
                    self.wfile.flush()
                    time.sleep(0.05)
            elif self.path == "/endless":
                # A body with no length, 64 KiB per millisecond at most, for 3 s at most.
                self.send_response(200)
                self.send_header("Connection", "close")
                self.end_headers()
                chunk, end = b"x" * 65536, time.monotonic() + 3
                while not state.release.is_set() and time.monotonic() < end:
                    self.wfile.write(chunk)
                    time.sleep(0.001)
            else:
                self._send(404, b"no")

        def do_POST(self) -> None:
            state.requests.append(self.path)
            state.headers.append(dict(self.headers.items()))
            body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
            state.bodies.append((self.command, body))
            route = state.routes.get(self.path)
            if route is not None:
                self._send(
                    200, json.dumps(route(body)).encode(), **{"Content-Type": "application/json"}
                )
                return
            self._send(200, b"%s %d" % (self.command.encode(), len(body)))

        do_PUT = do_POST

    return Handler


class _QuietServer(ThreadingHTTPServer):
    daemon_threads = True
    block_on_close = False

    def handle_error(self, request: object, client_address: object) -> None:
        # Clients that hang up (timeouts are the point of some tests) are expected here.
        return


@contextmanager
def serve() -> Iterator[Server]:
    """A recording server on 127.0.0.1 (a free port) for the duration of the ``with``."""
    state = Server(port=0)
    httpd = _QuietServer(("127.0.0.1", 0), _handler(state))
    state.port = httpd.server_address[1]
    thread = threading.Thread(target=httpd.serve_forever, args=(0.02,), daemon=True)
    thread.start()
    try:
        yield state
    finally:
        state.release.set()
        httpd.shutdown()
        httpd.server_close()
