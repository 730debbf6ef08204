"""One PR comment per pull request, updated in place on every push (GitHub REST API).

The comment carries a hidden marker; the first comment by anyone that contains it is edited,
else a new one is posted. A body over GitHub's 65,536-character limit is cut at a line boundary
with a note, so the API never refuses it. The token is sent only in the Authorization header and
never appears in a message.

Endpoints used: ``GET /repos/{repo}/issues/{n}/comments`` (paged), ``PATCH
/repos/{repo}/issues/comments/{id}`` and ``POST /repos/{repo}/issues/{n}/comments``.
"""

from __future__ import annotations

import json
import urllib.error
import urllib.request
from dataclasses import dataclass
from typing import Any

from bomhost.errors import BomhostError

MARKER = "<!-- bomhost:sbom-diff -->"
MAX_BODY = 65_536
_CUT_NOTE = "\n\n_Comment truncated to GitHub's 65,536-character limit; see the job's report._\n"
_PAGE = 100
_TIMEOUT_S = 30


class CommentError(BomhostError):
    """The forge refused or could not be reached."""


@dataclass(frozen=True)
class Target:
    """Where the comment goes."""

    api_url: str
    repo: str
    number: int
    token: str


def fit(body: str, marker: str = MARKER) -> str:
    """``body`` with the marker, at most ``MAX_BODY`` characters (cut at a line boundary)."""
    full = f"{marker}\n{body}"
    if len(full) <= MAX_BODY:
        return full
    room = MAX_BODY - len(_CUT_NOTE)
    cut = full[:room]
    newline = cut.rfind("\n")
    if newline > len(marker):
        cut = cut[:newline]
    return cut + _CUT_NOTE


def _call(target: Target, method: str, path: str, payload: dict[str, Any] | None = None) -> Any:
    url = target.api_url.rstrip("/") + path
    data = json.dumps(payload).encode() if payload is not None else None
    request = urllib.request.Request(url, data=data, method=method)  # https from config
    request.add_header("Accept", "application/vnd.github+json")
    request.add_header("X-GitHub-Api-Version", "2022-11-28")
    request.add_header("Authorization", f"Bearer {target.token}")
    if data is not None:
        request.add_header("Content-Type", "application/json")
    try:
        with urllib.request.urlopen(request, timeout=_TIMEOUT_S) as response:
            raw = response.read()
    except urllib.error.HTTPError as exc:
        raise CommentError(f"{method} {path}: HTTP {exc.code} {exc.reason}") from exc
    except (urllib.error.URLError, OSError) as exc:
        reason = getattr(exc, "reason", exc)
        raise CommentError(f"{method} {path}: cannot reach {target.api_url}: {reason}") from exc
    try:
        return json.loads(raw) if raw else None
    except json.JSONDecodeError as exc:
        raise CommentError(f"{method} {path}: the response is not JSON") from exc


def find_comment(target: Target, marker: str = MARKER) -> int | None:
    """The id of the first comment on the PR whose body holds ``marker``."""
    page = 1
    while True:
        path = f"/repos/{target.repo}/issues/{target.number}/comments?per_page={_PAGE}&page={page}"
        comments = _call(target, "GET", path)
        if not isinstance(comments, list):
            raise CommentError(f"GET {path}: expected a list of comments")
        for comment in comments:
            if isinstance(comment, dict) and marker in str(comment.get("body") or ""):
                return int(comment["id"])
        if len(comments) < _PAGE:
            return None
        page += 1


def upsert(target: Target, body: str, marker: str = MARKER) -> tuple[str, int]:
    """Post or update the PR's one comment; returns ("created"|"updated", comment id)."""
    text = fit(body, marker)
    existing = find_comment(target, marker)
    if existing is not None:
        _call(target, "PATCH", f"/repos/{target.repo}/issues/comments/{existing}", {"body": text})
        return "updated", existing
    made = _call(
        target, "POST", f"/repos/{target.repo}/issues/{target.number}/comments", {"body": text}
    )
    return "created", int(made["id"])
