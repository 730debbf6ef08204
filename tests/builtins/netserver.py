"""A real HTTP server on 127.0.0.1 answering as npm, PyPI and the GitHub REST API do.

npm and PyPI answers are the recorded documents of tests/assets/registry/ (see its README);
GitHub answers are built in GitHub's response shapes from a per-repository table. Every
request is recorded (path and headers) so tests can assert what reached the server.

Also here: helpers that run the first-party plugins against it, each from a copy of its
manifest whose base URL points at the server, under a policy that is the shipped fragment with
only the endpoint swapped (http://127.0.0.1:PORT instead of the real host), so budgets, quotas,
the cache TTL and the injected header are the shipped ones.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import socket
import subprocess
import sys
import threading
import urllib.parse
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]
ASSETS = ROOT / "tests/assets/registry"
SBOMS = ROOT / "tests/assets/sboms"
BUILTINS = ROOT / "bomhost/builtins"


def load_npm() -> dict[str, Any]:
    """npm.json with npm-overlay.json laid over it (deprecations, maintainers)."""
    docs: dict[str, Any] = json.loads((ASSETS / "npm.json").read_text(encoding="utf-8"))
    overlay = json.loads((ASSETS / "npm-overlay.json").read_text(encoding="utf-8"))
    for name, extra in overlay.items():
        for version, fields in extra["versions"].items():
            docs[name]["versions"][version].update(fields)
    return docs


def load_pypi() -> dict[str, Any]:
    docs: dict[str, Any] = json.loads((ASSETS / "pypi.json").read_text(encoding="utf-8"))
    return docs


@dataclass
class Repo:
    """A GitHub repository as the API shows it: its top contributor and their commits."""

    top: str
    contributors: int = 1
    commits: list[str] = field(default_factory=list)  # commit.author.date, newest first


# Unknown repositories look like monorepos (more than 50 contributors): skipped, no finding.
DEFAULT_REPO = Repo(top="someone", contributors=60, commits=["2015-01-01T00:00:00Z"])


@dataclass
class State:
    port: int = 0
    npm: dict[str, Any] = field(default_factory=load_npm)
    pypi: dict[str, Any] = field(default_factory=load_pypi)
    repos: dict[str, Repo] = field(default_factory=dict)
    requests: list[str] = field(default_factory=list)
    headers: list[dict[str, str]] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.port}"


def _contributor(login: str, n: int, contributions: int) -> dict[str, Any]:
    return {
        "login": login,
        "id": 1000 + n,
        "node_id": f"MDQ6VXNlcj{1000 + n}",
        "avatar_url": f"https://avatars.githubusercontent.com/u/{1000 + n}?v=4",
        "url": f"https://api.github.com/users/{login}",
        "html_url": f"https://github.com/{login}",
        "type": "User",
        "site_admin": False,
        "contributions": contributions,
    }


def _commit(owner: str, repo: str, login: str, n: int, date: str) -> dict[str, Any]:
    sha = f"{n:040x}"
    person = {"name": login, "email": f"{login}@users.noreply.github.com", "date": date}
    return {
        "sha": sha,
        "node_id": f"C_{sha[:20]}",
        "commit": {
            "author": person,
            "committer": person,
            "message": f"commit {n}",
            "tree": {
                "sha": sha,
                "url": f"https://api.github.com/repos/{owner}/{repo}/git/trees/{sha}",
            },
            "url": f"https://api.github.com/repos/{owner}/{repo}/git/commits/{sha}",
            "comment_count": 0,
        },
        "url": f"https://api.github.com/repos/{owner}/{repo}/commits/{sha}",
        "html_url": f"https://github.com/{owner}/{repo}/commit/{sha}",
        "author": {"login": login, "id": 1000, "type": "User"},
        "committer": {"login": login, "id": 1000, "type": "User"},
        "parents": [],
    }


def _handler(state: State) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, format: str, *args: object) -> None:
            return

        def _json(self, status: int, doc: object) -> None:
            body = json.dumps(doc).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def do_GET(self) -> None:
            with state.lock:
                state.requests.append(self.path)
                state.headers.append(dict(self.headers.items()))
            url = urllib.parse.urlsplit(self.path)
            query = dict(urllib.parse.parse_qsl(url.query))
            if url.path.startswith("/repos/"):
                return self._github(url.path, query)
            m = re.fullmatch(r"/pypi/([^/]+)/json", url.path)
            if m:
                doc = state.pypi.get(m.group(1))
                return self._json(200, doc) if doc else self._json(404, {"message": "Not Found"})
            name = urllib.parse.unquote(url.path[1:])
            doc = state.npm.get(name)
            return self._json(200, doc) if doc else self._json(404, {"error": "Not found"})

        def _github(self, path: str, query: dict[str, str]) -> None:
            m = re.fullmatch(r"/repos/([^/]+)/([^/]+)/(contributors|commits)", path)
            if not m:
                return self._json(404, {"message": "Not Found"})
            owner, name, what = m.groups()
            repo = state.repos.get(f"{owner}/{name}", DEFAULT_REPO)
            per_page = int(query.get("per_page", "30"))
            page = int(query.get("page", "1"))
            lo, hi = (page - 1) * per_page, page * per_page
            if what == "contributors":
                people = [_contributor(repo.top, 0, 500)]
                people += [_contributor(f"helper{n}", n, 10) for n in range(1, repo.contributors)]
                return self._json(200, people[lo:hi])
            if query.get("author") != repo.top:
                return self._json(200, [])
            commits = [_commit(owner, name, repo.top, n, d) for n, d in enumerate(repo.commits)]
            return self._json(200, commits[lo:hi])

    return Handler


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    block_on_close = False


@contextmanager
def serve(repos: Mapping[str, Repo] | None = None) -> Iterator[State]:
    """Run the server for the duration of a ``with`` block (stopped and closed after it)."""
    state = State(repos=dict(repos or {}))
    httpd = _Server(("127.0.0.1", 0), _handler(state))
    state.port = httpd.server_address[1]
    thread = threading.Thread(target=httpd.serve_forever, args=(0.02,), daemon=True)
    thread.start()
    try:
        yield state
    finally:
        httpd.shutdown()
        httpd.server_close()
        thread.join(5)


def closed_port() -> int:
    """A port on 127.0.0.1 nothing listens on (bound, then closed)."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
    return port


def local_plugin(tmp: Path, name: str, port: int, **config: object) -> tuple[Path, Path]:
    """A copy of builtin ``name`` pointed at 127.0.0.1:``port``, and its policy.

    The manifest's ``[plugin.config]`` keys given in ``config`` are replaced; the policy is the
    shipped policy.toml as the operator's ``[plugins.NAME]`` table with every
    ``[[net.allow]]`` rule's scheme/host/port swapped for the local server.
    """
    folder = tmp / name
    folder.mkdir(parents=True, exist_ok=True)
    manifest = (BUILTINS / name / "plugin.toml").read_text(encoding="utf-8")
    for key, value in config.items():
        manifest, n = re.subn(rf"(?m)^{key} = .*$", f"{key} = {json.dumps(value)}", manifest)
        assert n == 1, key
    (folder / "plugin.toml").write_text(manifest, encoding="utf-8")
    for module in (BUILTINS / name).glob("*.wasm"):
        shutil.copy(module, folder / module.name)
    fragment = (BUILTINS / name / "policy.toml").read_text(encoding="utf-8")
    fragment = re.sub(r"(?m)^\[budgets\]$", f"[plugins.{name}.budgets]", fragment)
    fragment = re.sub(r"(?m)^\[imports\]$", f"[plugins.{name}.imports]", fragment)
    fragment = re.sub(r"(?m)^\[\[net\.allow\]\]$", f"[[plugins.{name}.net.allow]]", fragment)
    fragment = re.sub(r'(?m)^scheme = "https"$', 'scheme = "http"', fragment)
    fragment = re.sub(r'(?m)^host = ".*"$', 'host = "127.0.0.1"', fragment)
    fragment = re.sub(r"(?m)^port = 443$", f"port = {port}", fragment)
    policy = tmp / f"{name}-policy.toml"
    policy.write_text(fragment, encoding="utf-8")
    return folder / "plugin.toml", policy


def bomhost(
    *args: str | Path, cwd: Path, env: Mapping[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    """``python -m bomhost ARGS`` as a whole process, bounded in time."""
    full_env = {**os.environ, **(env or {})}
    return subprocess.run(
        [sys.executable, "-m", "bomhost", *map(str, args)],
        capture_output=True,
        text=True,
        cwd=cwd,
        env=full_env,
        timeout=300,
        check=False,
    )
