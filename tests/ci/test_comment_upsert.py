"""`bomhost ci comment` against a local server speaking the GitHub REST endpoints it uses.

The server keeps comments in memory like GitHub: paged listing, PATCH by id, POST to the PR.
The test checks what a reviewer sees: one comment, updated in place, within the size limit, and
that the token was sent but never printed.
"""

from __future__ import annotations

import json
import re
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlparse

import pytest

from bomhost.ci.github import MARKER, MAX_BODY
from tests.test_cli import bomhost

TOKEN = "ghs_testtoken123"


class FakeGitHub(ThreadingHTTPServer):
    comments: list[dict[str, Any]]
    auth: list[str]


class Handler(BaseHTTPRequestHandler):
    server: FakeGitHub

    def log_message(self, *args: Any) -> None:
        pass

    def _send(self, code: int, payload: Any) -> None:
        body = json.dumps(payload).encode()
        self.send_response(code)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def _body(self) -> dict[str, Any]:
        data: dict[str, Any] = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
        if len(data["body"]) > MAX_BODY:
            self._send(422, {"message": "body is too long (maximum is 65536 characters)"})
            raise ValueError("too long")
        return data

    def do_GET(self) -> None:
        self.server.auth.append(self.headers.get("Authorization", ""))
        url = urlparse(self.path)
        if not re.fullmatch(r"/repos/o/r/issues/7/comments", url.path):
            return self._send(404, {"message": "Not Found"})
        query = parse_qs(url.query)
        per, page = int(query["per_page"][0]), int(query["page"][0])
        self._send(200, self.server.comments[(page - 1) * per : page * per])

    def do_POST(self) -> None:
        if self.path != "/repos/o/r/issues/7/comments":
            return self._send(404, {"message": "Not Found"})
        try:
            data = self._body()
        except ValueError:
            return None
        comment = {"id": 1000 + len(self.server.comments), "body": data["body"]}
        self.server.comments.append(comment)
        self._send(201, comment)

    def do_PATCH(self) -> None:
        match = re.fullmatch(r"/repos/o/r/issues/comments/(\d+)", self.path)
        target = [c for c in self.server.comments if match and c["id"] == int(match[1])]
        if not target:
            return self._send(404, {"message": "Not Found"})
        try:
            target[0]["body"] = self._body()["body"]
        except ValueError:
            return None
        self._send(200, target[0])


@pytest.fixture
def github() -> Iterator[FakeGitHub]:
    server = FakeGitHub(("127.0.0.1", 0), Handler)
    # 150 unrelated comments first: the marker comment is found on the second page.
    server.comments = [{"id": i, "body": f"review {i}"} for i in range(150)]
    server.auth = []
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield server
    server.shutdown()
    server.server_close()
    thread.join(timeout=5)


def comment(github: FakeGitHub, body: Path, token: str = TOKEN) -> Any:
    api = f"http://127.0.0.1:{github.server_address[1]}"
    env = {"GITHUB_TOKEN": token, "GITHUB_REPOSITORY": "o/r", "NO_PROXY": "127.0.0.1"}
    return bomhost("ci", "comment", "--body-file", body, "--pr", "7", "--api-url", api, env=env)


def test_one_comment_created_then_updated_in_place(github: FakeGitHub, tmp_path: Path) -> None:
    body = tmp_path / "report.md"
    body.write_text("## SBOM diff\n\nfirst push\n")
    first = comment(github, body)
    assert first.returncode == 0, first.stderr
    assert first.stdout.startswith("created comment 1150")
    body.write_text("## SBOM diff\n\nsecond push\n")
    second = comment(github, body)
    assert second.returncode == 0, second.stderr
    assert second.stdout.startswith("updated comment 1150")
    ours = [c for c in github.comments if MARKER in c["body"]]
    assert len(ours) == 1
    assert "second push" in ours[0]["body"]
    assert len(github.comments) == 151
    assert set(github.auth) == {f"Bearer {TOKEN}"}
    assert TOKEN not in first.stdout + first.stderr + second.stdout + second.stderr


def test_an_oversized_report_is_cut_to_the_limit(github: FakeGitHub, tmp_path: Path) -> None:
    body = tmp_path / "report.md"
    body.write_text("".join(f"| row {i} | {'x' * 60} |\n" for i in range(3000)))
    proc = comment(github, body)
    assert proc.returncode == 0, proc.stderr
    posted = github.comments[-1]["body"]
    assert len(posted) <= MAX_BODY
    assert posted.startswith(MARKER)
    assert "truncated" in posted


def test_forge_errors_are_one_line(github: FakeGitHub, tmp_path: Path) -> None:
    body = tmp_path / "report.md"
    body.write_text("x\n")
    api = f"http://127.0.0.1:{github.server_address[1]}"
    env = {"GITHUB_TOKEN": TOKEN, "NO_PROXY": "127.0.0.1"}
    proc = bomhost(
        "ci",
        "comment",
        "--body-file",
        body,
        "--repo",
        "o/missing",
        "--pr",
        "7",
        "--api-url",
        api,
        env=env,
    )
    assert proc.returncode == 1
    assert proc.stderr.strip().count("\n") == 0
    assert "HTTP 404" in proc.stderr
    assert TOKEN not in proc.stderr
    proc = bomhost(
        "ci", "comment", "--body-file", body, "--repo", "o/r", "--pr", "7", env={"GITHUB_TOKEN": ""}
    )
    assert "GITHUB_TOKEN is not set" in proc.stderr
