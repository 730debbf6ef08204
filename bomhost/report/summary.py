"""Facts every renderer states about a Report, computed once so the formats never disagree.

The counts in the JSON ``summary``, the Markdown table, the terminal headings and the SARIF run
properties all come from ``summarize``; the little text helpers below are shared for the same
reason (a licence list reads the same in every human-facing format).
"""

from __future__ import annotations

import re
from urllib.parse import unquote

from pydantic import BaseModel, ConfigDict

from bomhost.model import Component, SandboxEvent
from bomhost.report.model import Report


class Summary(BaseModel):
    """How many entries each bucket holds; ``downgrades`` is a subset of ``version_changed``."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    added: int
    removed: int
    version_changed: int
    downgrades: int
    license_changed: int
    hash_changed: int
    plugin_findings: int
    plugin_errors: int
    sandbox_denials: int
    gates_tripped: int


def summarize(report: Report) -> Summary:
    """Count every bucket of ``report``."""
    changes = report.changes
    return Summary(
        added=len(changes.added),
        removed=len(changes.removed),
        version_changed=len(changes.version_changed),
        downgrades=sum(1 for vc in changes.version_changed if vc.direction == "downgrade"),
        license_changed=len(changes.license_changed),
        hash_changed=len(changes.hash_changed),
        plugin_findings=len(report.enrichment.plugin_findings),
        plugin_errors=len(report.enrichment.plugin_errors),
        sandbox_denials=sum(1 for e in report.sandbox.events if e.decision == "deny"),
        gates_tripped=len(report.gates),
    )


# The path part of a purl: after ``pkg:<type>/``, before qualifiers and subpath.
_PURL_PATH = re.compile(r"[pP][kK][gG]:/*[A-Za-z.+\-_][A-Za-z0-9.+\-_]*/([^?#]*)")


def display_name(c: Component) -> str:
    """The name people know a package by: ``@babel/parser``, ``io.dropwizard/dropwizard-core``.

    bomdrift's ``name`` drops the npm scope and the Maven group (CycloneDX keeps them in
    ``group``), so ``@babel/parser`` and ``@angular/parser`` would both read ``parser``. The
    namespace is taken from the purl, and only when the purl's name is this component's name:
    a purl that names another package (a data-quality slip) must not rename the row.
    """
    if not c.purl or "/" in c.name:
        return c.name
    match = _PURL_PATH.match(c.purl)
    if match is None:
        return c.name
    path = match.group(1)
    at = path.rfind("@")
    if at > path.rfind("/") + 1:  # a version; an "@" opening a segment is an npm scope
        path = path[:at]
    segments = [unquote(seg) for seg in path.split("/") if seg]
    if len(segments) < 2 or segments[-1].casefold() != c.name.casefold():
        return c.name
    return "/".join([*segments[:-1], c.name])


def denials(report: Report) -> list[tuple[int, SandboxEvent]]:
    """The denied sandbox events with their index in ``sandbox.events`` (what ``explain`` takes)."""
    return [(i, e) for i, e in enumerate(report.sandbox.events) if e.decision == "deny"]


def event_target(event: SandboxEvent) -> str:
    """What the plugin asked for (the file or URL), or "" when the event names neither."""
    for key in ("path", "url"):
        value = event.context.get(key)
        if isinstance(value, str):
            return value
    host, port = event.context.get("host"), event.context.get("port")
    if isinstance(host, str):
        return f"{host}:{port}" if isinstance(port, int) else host
    return ""


def license_text(licenses: tuple[str, ...]) -> str:
    """A licence set as people read it; bomdrift writes ``(none)`` for an empty set."""
    return ", ".join(licenses) if licenses else "(none)"


def changed_digests(before: Component, after: Component, algorithms: tuple[str, ...]) -> str:
    """``alg old -> new`` for each changed algorithm (values shortened: they are 64+ hex chars)."""
    parts = []
    for alg in algorithms:
        old = ",".join(sorted(h.value for h in before.hashes if h.alg == alg)) or "(none)"
        new = ",".join(sorted(h.value for h in after.hashes if h.alg == alg)) or "(none)"
        parts.append(f"{alg} {_short(old)} -> {_short(new)}")
    return "; ".join(parts)


def _short(digest: str) -> str:
    # 12 hex chars is enough for a human to tell two digests apart; JSON keeps the full value.
    return digest if len(digest) <= 15 else f"{digest[:12]}..."
