"""``bomhost plugin test``: run a plugin on its cases through the normal runner and compare.

Each case is one real run of ``run_plugins`` (the same runtimes, budgets and policy checks as
``bomhost diff``), with a policy made for the case: the plugin's own (``--policy``, else the
``policy.toml`` beside the manifest, else the built-in default; a first-party plugin's fragment
merged as usual), plus, for this plugin only, read access to the case's ``files`` (written to a
temporary folder; relative paths the plugin reads start there) and network access to a real
HTTP server on 127.0.0.1 serving the case's ``http`` answers. Nothing else is widened: an import
the policy refuses still fails the case, as it would fail the diff.
"""

from __future__ import annotations

import dataclasses
import difflib
import http.server
import json
import tempfile
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict

from bomhost import __version__, builtins
from bomhost.authoring.cases import (
    BASE_URL,
    Case,
    ExpectedFinding,
    HttpAnswer,
    LoadedCase,
    substitute,
)
from bomhost.errors import PluginLoadError
from bomhost.model import ChangeSet, Finding, LicenseChange, VersionChange
from bomhost.plugins.interface import RunContext
from bomhost.plugins.manifest import LoadedManifest
from bomhost.plugins.outcome import PluginOutcome
from bomhost.plugins.runner import run_plugins
from bomhost.policy.model import (
    FsReadRule,
    FsTable,
    NetAllowRule,
    NetTable,
    PluginPolicy,
    Policy,
)

FILES_RULE = "plugin-test-files"
HTTP_RULE = "plugin-test-http"
ALL_METHODS = ("GET", "HEAD", "POST", "PUT", "PATCH", "DELETE")


class CaseResult(BaseModel):
    """What one case did; ``passed`` is the verdict, the rest is what the author needs to see."""

    model_config = ConfigDict(frozen=True)

    name: str
    source: str
    passed: bool
    problem: str | None = None  # one line: why it failed
    diff: tuple[str, ...] = ()  # expected vs actual findings, unified-diff lines
    calls: int = 0
    fuel: int | None = None
    memory_bytes: int | None = None
    elapsed_ms: float = 0.0
    events: tuple[str, ...] = ()  # sandbox events, one line each
    logs: tuple[str, ...] = ()
    errors: tuple[str, ...] = ()  # plugin_errors, one line each
    requests: tuple[str, ...] = ()  # what the case's HTTP server was asked


def finding_line(f: ExpectedFinding | Finding, with_data: bool) -> str:
    """One finding as a diff line: easy to read, and every field that is compared is in it."""
    fields: dict[str, Any] = {
        "kind": f.kind,
        "severity": f.severity,
        "rule_id": f.rule_id,
        "message": f.message,
    }
    if with_data:
        fields["data"] = f.data
    return json.dumps(fields, ensure_ascii=False, sort_keys=False)


class _Server(http.server.ThreadingHTTPServer):
    daemon_threads = True
    answers: dict[tuple[str, str], HttpAnswer]
    seen: list[str]


class _Handler(http.server.BaseHTTPRequestHandler):
    server: _Server

    def _answer(self) -> None:
        length = int(self.headers.get("content-length") or 0)
        if length:
            self.rfile.read(length)
        answer = self.server.answers.get((self.command, self.path))
        status = answer.status if answer else 404
        self.server.seen.append(
            f"{self.command} {self.path} -> {status}{'' if answer else ' (no answer in the case)'}"
        )
        body = (answer.body if answer else "no answer for this request in the case").encode()
        self.send_response(status)
        for name, value in (answer.headers if answer else {}).items():
            self.send_header(name, value)
        self.send_header("content-length", str(len(body)))
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(body)

    do_GET = do_HEAD = do_POST = do_PUT = do_PATCH = do_DELETE = _answer

    def log_message(self, format: str, *args: Any) -> None:  # quiet: requests are reported
        pass


@contextmanager
def http_server() -> Iterator[_Server]:
    """A real HTTP server on 127.0.0.1 (a free port), stopped when the block ends."""
    server = _Server(("127.0.0.1", 0), _Handler)
    server.answers, server.seen = {}, []
    thread = threading.Thread(target=server.serve_forever, name="plugin-test-http", daemon=True)
    thread.start()
    try:
        yield server
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)


def case_policy(base: Policy, plugin: str, files_dir: Path | None, port: int | None) -> Policy:
    """``base`` plus, for ``plugin`` only, the case's files folder and its HTTP server."""
    fs: tuple[FsReadRule, ...] = ()
    net: tuple[NetAllowRule, ...] = ()
    source = base.source
    if files_dir is not None:
        rule = FsReadRule.model_validate(
            {"id": FILES_RULE, "path": str(files_dir)}, context={"base_dir": str(files_dir)}
        )
        fs = (rule,)
        # The broker starts a plugin's relative paths at the policy file's folder: name one in
        # the files folder (it is never read) so that `read_file("banned.txt")` finds the case's.
        source = str(files_dir / "case-policy.toml")
    if port is not None:
        net = (
            NetAllowRule(
                id=HTTP_RULE, scheme="http", host="127.0.0.1", port=port, methods=ALL_METHODS
            ),
        )
    if not fs and not net:
        return base
    table = base.plugins.get(plugin, PluginPolicy())
    table = table.model_copy(
        update={
            "fs": FsTable.model_construct(read=fs + table.fs.read),
            "net": NetTable.model_construct(allow=net + table.net.allow),
        }
    )
    return base.model_copy(update={"plugins": {**base.plugins, plugin: table}, "source": source})


def changes_for(case: Case) -> ChangeSet:
    """The one-component change set a case describes."""
    c, before = case.component, case.before
    if case.event == "added":
        return ChangeSet(added=(c,))
    if case.event == "removed":
        return ChangeSet(removed=(c,))
    assert before is not None  # the model checks it
    if case.event == "version-changed":
        return ChangeSet(version_changed=(VersionChange(before=before, after=c),))
    return ChangeSet(license_changed=(LicenseChange(before=before, after=c),))


def run_case(
    plugin: LoadedManifest, policy: Policy, loaded: LoadedCase, server: _Server, root: Path
) -> CaseResult:
    """Run one case in a fresh temporary folder and compare its findings."""
    case = loaded.case
    source = _display(loaded.source, root)
    base_url = f"http://127.0.0.1:{server.server_address[1]}"
    server.answers = {(a.method, a.path): a for a in case.http}
    server.seen = []
    config = {**plugin.manifest.config, **substitute(case.config, base_url)}
    manifest = plugin.manifest.model_copy(update={"config": config})
    plugin = dataclasses.replace(plugin, manifest=manifest)
    with tempfile.TemporaryDirectory(prefix="bomhost-case-") as tmp:
        files_dir = None
        if case.files:
            files_dir = Path(tmp) / "files"
            for rel, text in case.files.items():
                target = files_dir / rel
                target.parent.mkdir(parents=True, exist_ok=True)
                target.write_text(text, encoding="utf-8")
        port = int(server.server_address[1]) if case.http else None
        pol = case_policy(policy, plugin.name, files_dir, port)
        ctx = RunContext(
            bomhost_version=__version__, now_ms=case.now_ms, policy=pol, http_cache=False
        )
        try:
            outcome = run_plugins([plugin], changes_for(case), ctx, jobs=1)
        except PluginLoadError as exc:
            hint = ""
            if "manifest pins" in str(exc):
                hint = f" (rebuilt? re-pin: bomhost plugin pin {plugin.path.name})"
            return CaseResult(
                name=case.name, source=source, passed=False, problem=f"not loaded: {exc}{hint}"
            )
        port_json = f'"port": {server.server_address[1]}'
        scrub = [(base_url, BASE_URL), (port_json, '"port": "${port}"')]
        scrub += [(str(files_dir), "${files}")] if files_dir else []
        return _compare(case, source, outcome, plugin.name, server.seen, scrub)


def _compare(
    case: Case,
    source: str,
    outcome: PluginOutcome,
    name: str,
    requests: list[str],
    scrub: list[tuple[str, str]],
) -> CaseResult:
    def clean(text: str) -> str:
        # The server's port and the temporary folder change every run: name them instead, so
        # the same case prints the same bytes.
        for real, placeholder in scrub:
            text = text.replace(real, placeholder)
        return text

    with_data = any(f.data is not None for f in case.expect or ())
    got = [finding_line(f, with_data) for f in outcome.findings]
    stats = outcome.stats.get(name)
    info: dict[str, Any] = {
        "name": case.name,
        "source": source,
        "calls": stats.count if stats else 0,
        "fuel": int(stats.fuel.max) if stats and stats.fuel else None,
        "memory_bytes": int(stats.memory_bytes.max) if stats and stats.memory_bytes else None,
        "elapsed_ms": float(stats.elapsed_ms.max) if stats and stats.elapsed_ms else 0.0,
        "events": tuple(
            clean(
                f"{e.decision} {e.rule_id} {e.reason_code} "
                + json.dumps(e.context, sort_keys=True, default=str)
            )
            for e in outcome.events
        ),
        "logs": tuple(clean(f"{line.level}: {line.message}") for line in outcome.logs),
        "errors": tuple(clean(f"{e.error_kind}: {e.message}") for e in outcome.errors),
        "requests": tuple(requests),
    }
    if case.error is not None:
        kinds = [e.error_kind for e in outcome.errors]
        if kinds == [case.error] and not got:
            return CaseResult(passed=True, **info)
        found = ", ".join(kinds) or "no error"
        return CaseResult(passed=False, problem=f"expected error {case.error}, got {found}", **info)
    if outcome.errors:
        first = outcome.errors[0]
        problem = f"the call failed: {first.error_kind}: {clean(first.message)}"
        return CaseResult(passed=False, problem=problem, **info)
    want = [finding_line(f, with_data) for f in case.expect or ()]
    if got == want:
        if stats is None:
            info["logs"] += (f"note: not called: invoke_on does not list {case.event}",)
        return CaseResult(passed=True, **info)
    diff = tuple(
        line
        for line in difflib.unified_diff(want, got, "expected", "actual", lineterm="", n=1)
        if not line.startswith(("---", "+++", "@@"))
    )
    problem = f"findings differ: expected {len(want)}, got {len(got)}"
    if stats is None:
        problem += f" (not called: invoke_on does not list {case.event})"
    return CaseResult(passed=False, problem=problem, diff=diff, **info)


def _display(path: Path, root: Path) -> str:
    try:
        return str(path.resolve().relative_to(root.resolve()))
    except ValueError:
        return str(path)


def run_cases(plugin: LoadedManifest, policy: Policy, cases: list[LoadedCase]) -> list[CaseResult]:
    """Every case, in order, with one HTTP server for the whole run."""
    policy = builtins.with_fragments(policy, [plugin])
    root = plugin.path.parent
    with http_server() as server:
        return [run_case(plugin, policy, c, server, root) for c in cases]
