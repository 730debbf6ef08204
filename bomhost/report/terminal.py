"""The terminal report: bomdrift's bracketed-tag lines, ANSI colour only when the caller asks.

The CLI decides ``color`` (a TTY, and ``NO_COLOR`` unset); this module never looks at the
environment, so the same Report and flag always give the same bytes. Control characters in
SBOM- or plugin-supplied text are shown escaped (``\\x1b``), so a crafted component name cannot
move the cursor, recolour the screen or hide lines, whether or not colour is on.

A screen is not a log: with ``limit`` set (the CLI sets it for an interactive terminal), each
list shows at most that many lines and then ``... N more``, so a 600-component upgrade does not
scroll the gate verdict away. Downgrades are listed before upgrades, so a cap never hides one.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from bomhost.model import Component, Severity
from bomhost.report.model import Report
from bomhost.report.summary import (
    changed_digests,
    denials,
    display_name,
    event_target,
    license_text,
    summarize,
)

_RED_BOLD = "\x1b[1;31m"
_YELLOW = "\x1b[33m"
_CYAN = "\x1b[36m"
_GREEN = "\x1b[32m"
_BOLD = "\x1b[1m"
_RESET = "\x1b[0m"

_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f\u2028\u2029]")
_SEVERITY_TAG: dict[Severity, tuple[str, str]] = {
    "info": ("[INF]", _CYAN),
    "warning": ("[WRN]", _YELLOW),
    "error": ("[ERR]", _RED_BOLD),
}


def _clean(value: str) -> str:
    """Untrusted text with every control character shown as an escape instead of obeyed."""
    return _CONTROL.sub(
        lambda m: (
            f"\\x{ord(m.group()):02x}" if ord(m.group()) <= 0xFF else f"\\u{ord(m.group()):04x}"
        ),
        value,
    )


def _ident(c: Component) -> str:
    return f"{_clean(c.ecosystem)}:{_clean(display_name(c))}"


# Lines per list on an interactive terminal; the CLI passes it, the renderer defaults to all.
SCREEN_LIMIT = 25


def render_terminal(report: Report, color: bool, limit: int | None = None) -> str:
    """The terminal report text; ANSI escapes only when ``color``; ``limit`` lines per list."""

    def paint(text: str, style: str) -> str:
        return f"{style}{text}{_RESET}" if color else text

    def capped(lines: Sequence[str], what: str) -> list[str]:
        if limit is None or len(lines) <= limit:
            return list(lines)
        more = len(lines) - limit
        return [*lines[:limit], f"  ... {more} more {what} (--output json lists every one)"]

    summary = summarize(report)
    changes = report.changes
    out: list[str] = [f"bomhost v{_clean(report.bomhost_version)}"]
    out.append(
        f"{_clean(report.old.path)} ({_clean(report.old.format)} {_clean(report.old.spec_version)},"
        f" {report.old.components} components) -> {_clean(report.new.path)}"
        f" ({_clean(report.new.format)} {_clean(report.new.spec_version)},"
        f" {report.new.components} components)"
    )
    out.append("")

    total = (
        summary.added
        + summary.removed
        + summary.version_changed
        + summary.license_changed
        + summary.hash_changed
    )
    if total == 0 and not (summary.plugin_findings or summary.plugin_errors):
        out.append("No dependency changes.")
        out.append("")
    if total:
        out.append(f"Changes ({total}):")
        added = [
            f"  {paint('[ADD]', _GREEN)} {_ident(c)}@{_clean(c.version)}" for c in changes.added
        ]
        out.extend(capped(added, "added"))
        removed = [
            f"  {paint('[REM]', _YELLOW)} {_ident(c)}@{_clean(c.version)}" for c in changes.removed
        ]
        out.extend(capped(removed, "removed"))
        moved: list[str] = []
        for vc in sorted(changes.version_changed, key=lambda vc: vc.direction != "downgrade"):
            move = f"{_clean(vc.before.version)} -> {_clean(vc.after.version)}"
            if vc.direction == "downgrade":
                tag = paint("[DWN]", _RED_BOLD)
                moved.append(f"  {tag} {_ident(vc.after)} {move} {paint('(downgrade)', _RED_BOLD)}")
            else:
                moved.append(f"  {paint('[VER]', _CYAN)} {_ident(vc.after)} {move}")
        out.extend(capped(moved, "version changes"))
        relicensed = [
            f"  {paint('[LIC]', _YELLOW)} {_ident(lc.after)}@{_clean(lc.after.version)}"
            f" {_clean(license_text(lc.before.licenses))}"
            f" -> {_clean(license_text(lc.after.licenses))}"
            for lc in changes.license_changed
        ]
        out.extend(capped(relicensed, "licence changes"))
        rehashed = [
            f"  {paint('[HSH]', _RED_BOLD)} {_ident(hc.after)}@{_clean(hc.after.version)}"
            f" {_clean(changed_digests(hc.before, hc.after, hc.algorithms))}"
            for hc in changes.hash_changed
        ]
        out.extend(capped(rehashed, "hash changes"))
        out.append("")

    if report.enrichment.plugin_findings:
        out.append(f"Plugin findings ({summary.plugin_findings}):")
        found = []
        for f in report.enrichment.plugin_findings:
            tag, style = _SEVERITY_TAG[f.severity]
            found.append(
                f"  {paint(tag, style)} {_clean(f.plugin_name)} {_clean(f.component_purl)}"
                f" {_clean(f.kind)}: {_clean(f.message)} ({_clean(f.rule_id)})"
            )
        out.extend(capped(found, "plugin findings"))
        out.append("")

    if report.enrichment.plugin_errors:
        out.append(f"Plugin errors ({summary.plugin_errors}):")
        failed = [
            f"  {paint('[FAIL]', _YELLOW)} {_clean(e.plugin_name)} {_clean(e.component_purl)}"
            f" {_clean(e.error_kind)}: {_clean(e.message)}"
            for e in report.enrichment.plugin_errors
        ]
        out.extend(capped(failed, "plugin errors"))
        out.append("")

    if summary.sandbox_denials:
        out.append(f"Sandbox denials ({summary.sandbox_denials}):")
        denied = [
            f"  {paint('[DENY]', _YELLOW)} #{i} {_clean(ev.plugin_name)}"
            f" {_clean(ev.component_purl)} {_clean(ev.rule_id)}: {_clean(ev.reason_code)}"
            + (f" {_clean(target)}" if (target := event_target(ev)) else "")
            for i, ev in denials(report)
        ]
        out.extend(capped(denied, "denials"))
        # The #N is the event's index in the JSON report, which is what explain takes.
        out.append(
            "  why: bomhost explain REPORT.json --event-index N  (REPORT from --output json)"
        )
        out.append("")

    if report.warnings:
        out.append(f"Warnings ({len(report.warnings)}):")
        out.extend(capped([f"  - {_clean(w)}" for w in report.warnings], "warnings"))
        out.append("")

    if report.gates:
        out.append(paint(f"Gates tripped ({summary.gates_tripped}):", _BOLD))
        for g in report.gates:
            out.append(f"  {paint('[GATE]', _RED_BOLD)} {_clean(g.option)}: {_clean(g.reason)}")
        out.append("")

    return "\n".join(out)
