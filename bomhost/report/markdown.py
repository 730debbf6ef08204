"""The Markdown report, shaped for a GitHub pull-request comment (bomdrift's layout, plus bomhost's buckets).

Layout: ``## SBOM diff``, tripped gates as a caution block, a summary table of counts, then one
``### Title (n)`` heading per non-empty bucket with its rows inside a collapsible ``<details>``
block (the heading stays visible when collapsed), plugin findings grouped by plugin, and a footer.

Two promises a PR comment needs:

- Untrusted text cannot change the page. Component names, versions, purls, plugin names and
  messages come from SBOMs and plugins; every one goes through ``_text`` (HTML and Markdown
  punctuation escaped, line breaks folded) and identifiers are wrapped in ``<code>`` (GitHub does
  not turn ``@scope`` inside code into a mention). A ``|`` cannot split a table cell, ``<script>``
  arrives as text, and ``[text](url)`` cannot become a link whose text hides its target (a bare
  URL may still be autolinked, showing exactly its target).
- The comment fits GitHub's 65,536-character limit. When the full text would not, whole rows are
  cut, least important buckets first (``_PRIORITY``), each cut section says how many rows it lost,
  and a note under the summary says how many entries in all are only in the JSON report. Width is
  counted in UTF-16 code units, as GitHub's limit is, so emoji cannot push the text over.
"""

from __future__ import annotations

import html
import re
from collections.abc import Iterable
from dataclasses import dataclass

from bomhost.model import Component, Severity
from bomhost.report.forge import footer as forge_footer
from bomhost.report.model import Report
from bomhost.report.summary import (
    Summary,
    changed_digests,
    denials,
    display_name,
    event_target,
    license_text,
    summarize,
)

GITHUB_COMMENT_LIMIT = 65_536
# Room under the hard limit for the marker line a sticky-comment action prepends to find its comment.
DEFAULT_MAX_CHARS = GITHUB_COMMENT_LIMIT - 536

_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f\u2028\u2029]+")
_MD_PUNCT = re.compile(r"([\\`*_\[\]|~])")
_BACKTICKS = re.compile(r"`+")

_SEVERITY_BADGE: dict[Severity, str] = {
    "info": "\u2139\ufe0f info",  # the information-source emoji, as bomdrift prints
    "warning": "⚠️ warning",
    "error": "❌ error",
}
_DIRECTION_CELL = {"upgrade": "upgrade", "downgrade": "⚠️ **downgrade**", "unknown": "unknown"}


def _text(value: str) -> str:
    """Untrusted text made inert: one line, HTML-escaped, Markdown punctuation backslash-escaped."""
    one_line = _CONTROL.sub(" ", value)
    return html.escape(_MD_PUNCT.sub(r"\\\1", one_line), quote=False)


def _code(value: str) -> str:
    """An identifier: escaped, in ``<code>`` so GitHub neither links nor mentions inside it."""
    return f"<code>{_text(value)}</code>"


def _tick(value: str) -> str:
    """An identifier as a backtick code span, as bomdrift writes purls and rule ids.

    Safe for any content: a code span shows its text literally (no HTML, links or mentions), and
    its fence is one backtick longer than the longest run inside, so the content cannot close
    it; content that starts or ends with a backtick or space is padded, as CommonMark requires.
    Only for list items: in a table a ``|`` would still split the cell, so tables use ``_code``.
    """
    text = _CONTROL.sub(" ", value)
    fence = "`" * (max((len(run) for run in _BACKTICKS.findall(text)), default=0) + 1)
    if text[:1] in ("`", " ") or text[-1:] in ("`", " "):
        text = f" {text} "
    return f"{fence}{text}{fence}"


def _width(text: str) -> int:
    """Length as GitHub counts it (UTF-16 code units): astral characters count twice."""
    return len(text) + sum(1 for ch in text if ord(ch) > 0xFFFF)


@dataclass
class _Group:
    """Rows under one heading (a table header, or a plugin's name); cut from the end."""

    heading: str
    rows: list[str]
    trailer: str = ""


@dataclass
class _Section:
    """One collapsible bucket."""

    key: str
    title: str
    teaser: str | None
    intro: str
    groups: list[_Group]

    @property
    def total(self) -> int:
        return sum(len(g.rows) for g in self.groups)


# Which buckets keep their rows longest when the comment must be cut: what a reviewer must act
# on first, the bulk churn last.
_PRIORITY = (
    "plugin_findings",
    "hash_changed",
    "license_changed",
    "plugin_errors",
    "sandbox_denials",
    "version_changed",
    "warnings",
    "added",
    "removed",
)


def _omitted_note(count: int) -> str:
    return (
        f"\n_{count} more {'entry' if count == 1 else 'entries'} omitted to fit GitHub's comment "
        "size limit; see the JSON report (`--output json`) for the full list._\n"
    )


def _open(title: str, count: int, teaser: str | None) -> str:
    # The heading stays outside <details> so it is visible (and linkable) when collapsed; the
    # blank line after </summary> makes GitHub render the body as Markdown, not raw HTML.
    summary = "Show details" + (f" · {teaser}" if teaser else "")
    return f"### {title} ({count})\n\n<details><summary>{summary}</summary>\n\n"


_CLOSE = "\n</details>\n\n"


def _render_section(section: _Section, kept: list[int] | None = None) -> str:
    counts = kept if kept is not None else [len(g.rows) for g in section.groups]
    parts = [_open(section.title, section.total, section.teaser), section.intro]
    for group, n in zip(section.groups, counts, strict=True):
        if n:
            parts.append(group.heading)
            parts.extend(group.rows[:n])
            parts.append(group.trailer)
    omitted = section.total - sum(counts)
    if omitted:
        parts.append(_omitted_note(omitted))
    parts.append(_CLOSE)
    return "".join(parts)


def _overhead(section: _Section) -> int:
    """An upper bound of a section's width without its rows (note included, largest count)."""
    fixed = _open(section.title, section.total, section.teaser) + section.intro + _CLOSE
    headings = "".join(g.heading + g.trailer for g in section.groups)
    return _width(fixed + headings + _omitted_note(section.total))


def _table(header: Iterable[str], rows: Iterable[Iterable[str]]) -> _Group:
    cols = list(header)
    head = "| " + " | ".join(cols) + " |\n|" + "---|" * len(cols) + "\n"
    return _Group(head, ["| " + " | ".join(cells) + " |\n" for cells in rows])


def _name_cells(c: Component) -> list[str]:
    return [_text(c.ecosystem), _code(display_name(c))]


def _sections(report: Report, summary: Summary) -> list[_Section]:
    changes = report.changes
    enrichment = report.enrichment
    sections: list[_Section] = []

    if changes.added:
        rows = ([*_name_cells(c), _text(c.version)] for c in changes.added)
        group = _table(["Ecosystem", "Name", "Version"], rows)
        sections.append(_Section("added", "Added", None, "", [group]))
    if changes.removed:
        rows = ([*_name_cells(c), _text(c.version)] for c in changes.removed)
        group = _table(["Ecosystem", "Name", "Version"], rows)
        sections.append(_Section("removed", "Removed", None, "", [group]))
    if changes.version_changed:
        # Downgrades first: they are the rows a reviewer must see, and the ones kept when cut.
        ordered = sorted(changes.version_changed, key=lambda vc: vc.direction != "downgrade")
        rows = (
            [
                *_name_cells(vc.after),
                _text(vc.before.version),
                _text(vc.after.version),
                _DIRECTION_CELL[vc.direction],
            ]
            for vc in ordered
        )
        group = _table(["Ecosystem", "Name", "Before", "After", "Direction"], rows)
        teaser = f"⚠️ {summary.downgrades} downgrade(s)" if summary.downgrades else None
        sections.append(_Section("version_changed", "Version changed", teaser, "", [group]))
    if changes.license_changed:
        rows = (
            [
                *_name_cells(lc.after),
                _text(lc.after.version),
                _text(license_text(lc.before.licenses)),
                _text(license_text(lc.after.licenses)),
            ]
            for lc in changes.license_changed
        )
        group = _table(["Ecosystem", "Name", "Version", "Before", "After"], rows)
        intro = (
            "Same version, different licenses — investigate. A re-publish under different terms "
            "can indicate a corrected SBOM, a deliberate license change, or a supply-chain swap. "
            "Verify the source matches.\n\n"
        )
        sections.append(
            _Section("license_changed", "License changed (same version)", None, intro, [group])
        )
    if changes.hash_changed:
        rows = (
            [
                *_name_cells(hc.after),
                _text(hc.after.version),
                _text(changed_digests(hc.before, hc.after, hc.algorithms)),
            ]
            for hc in changes.hash_changed
        )
        group = _table(["Ecosystem", "Name", "Version", "Changed digests"], rows)
        intro = (
            "Same version, different digest — investigate. The published artifact was replaced: "
            "a re-release at best, tampering at worst.\n\n"
        )
        sections.append(
            _Section("hash_changed", "Hash changed (same version)", None, intro, [group])
        )
    if enrichment.plugin_findings:
        by_plugin: dict[str, list[str]] = {}
        for f in enrichment.plugin_findings:
            line = (
                # bomdrift's row: "- <badge> · `purl` · kind — message (`rule_id`)".
                f"- {_SEVERITY_BADGE[f.severity]} · {_tick(f.component_purl)} · {_text(f.kind)}"
                f" — {_text(f.message)} ({_tick(f.rule_id)})\n"
            )
            by_plugin.setdefault(f.plugin_name, []).append(line)
        groups = [
            _Group(f"**{_text(name)}** ({len(by_plugin[name])})\n\n", by_plugin[name], "\n")
            for name in sorted(by_plugin)
        ]
        intro = (
            "Plugins reported the following findings against added or version-changed "
            "components. Calls that failed are listed under Plugin errors.\n\n"
        )
        sections.append(_Section("plugin_findings", "Plugin findings", None, intro, groups))
    if enrichment.plugin_errors:
        rows = (
            [_text(e.plugin_name), _code(e.component_purl), _text(e.error_kind), _text(e.message)]
            for e in enrichment.plugin_errors
        )
        group = _table(["Plugin", "Component", "Error", "Message"], rows)
        intro = "These plugin calls failed, so their findings for these components are missing.\n\n"
        sections.append(_Section("plugin_errors", "Plugin errors", None, intro, [group]))
    denied = denials(report)
    if denied:
        rows = (
            [
                str(i),
                _text(e.plugin_name),
                _code(e.component_purl),
                _code(e.rule_id),
                _text(e.reason_code),
                _code(target) if (target := event_target(e)) else "",
            ]
            for i, e in denied
        )
        group = _table(["Event", "Plugin", "Component", "Rule", "Reason", "Requested"], rows)
        intro = (
            "The sandbox refused these plugin requests; the JSON report has every decision, and "
            "`bomhost explain REPORT.json --event-index N` says which rule decided an event and "
            "what policy change would allow it.\n\n"
        )
        sections.append(_Section("sandbox_denials", "Sandbox denials", None, intro, [group]))
    if report.warnings:
        group = _Group("", [f"- {_text(w)}\n" for w in report.warnings])
        sections.append(_Section("warnings", "Warnings", None, "", [group]))
    return sections


def _summary_table(summary: Summary, vex_suppressed: int = 0) -> str:
    rows = [
        ("Added", summary.added),
        ("Removed", summary.removed),
        ("Version changed", summary.version_changed),
        ("License changed", summary.license_changed),
        ("Hash changed", summary.hash_changed),
        ("Plugin findings", summary.plugin_findings),
        ("Plugin errors", summary.plugin_errors),
    ]
    if summary.downgrades:
        rows.insert(3, ("⚠️ Downgrades", summary.downgrades))
    if summary.sandbox_denials:
        rows.append(("Sandbox denials", summary.sandbox_denials))
    if vex_suppressed:
        rows.append(("Suppressed by VEX", vex_suppressed))  # bomdrift's row
    body = "".join(f"| {label} | {count} |\n" for label, count in rows)
    return "| Change | Count |\n|---|---:|\n" + body + "\n"


def _gates(report: Report) -> str:
    if not report.gates:
        return ""
    # One list item per gate: plain lines would run together into one paragraph wherever
    # newlines are not hard breaks (a job summary, a rendered .md file).
    lines = "".join(
        f"> - **Gate tripped** — {_code(g.option)}: {_text(g.reason)}\n" for g in report.gates
    )
    return "> [!CAUTION]\n" + lines + "\n"


def _truncation_note(omitted: int, total: int) -> str:
    return (
        f"> [!WARNING]\n> This comment was shortened to fit GitHub's "
        f"{GITHUB_COMMENT_LIMIT:,}-character limit: {omitted} of {total} entries are omitted. "
        "See the JSON report (`--output json`) for everything.\n\n"
    )


def _fit(sections: list[_Section], budget: int) -> list[list[int]] | None:
    """How many rows of each group to keep within ``budget``; None if not even headings fit."""
    remaining = budget - sum(_overhead(s) for s in sections)
    if remaining < 0:
        return None
    kept = {s.key: [0] * len(s.groups) for s in sections}
    for key in _PRIORITY:
        for section in (s for s in sections if s.key == key):
            full = True
            for gi, group in enumerate(section.groups):
                for row in group.rows:
                    cost = _width(row)
                    if cost > remaining:
                        full = False
                        break
                    remaining -= cost
                    kept[key][gi] += 1
                if not full:
                    break
    return [kept[s.key] for s in sections]


_CHANGE_LISTS = frozenset({"added", "removed", "version_changed"})


def render_markdown(
    report: Report,
    *,
    max_chars: int = DEFAULT_MAX_CHARS,
    view: str = "full",
    style: str = "bomhost",
) -> str:
    """The Markdown report text, at most ``max_chars`` UTF-16 code units long.

    ``view`` "summary" keeps the gates and the counts table only; "findings" drops the
    added/removed/version-changed lists (bomdrift's --summary-only and --findings-only).
    """
    summary = summarize(report)
    vex = report.enrichment.vex_suppressed_count
    head = "## SBOM diff\n\n" + _gates(report)
    footer = forge_footer(report.forge) + f"<sub>bomhost {_text(report.bomhost_version)}</sub>\n"
    sections = _sections(report, summary)
    if sections and view == "summary":
        return head + _summary_table(summary, vex) + footer
    if sections and view == "findings":
        sections = [s for s in sections if s.key not in _CHANGE_LISTS]
        if not sections:
            return head + _summary_table(summary, vex) + "_No findings._\n\n" + footer
    if not sections:
        return head + "_No dependency changes._\n\n" + footer

    table = _summary_table(summary, vex)
    full = head + table + "".join(_render_section(s) for s in sections) + footer
    if _width(full) <= max_chars:
        return full

    total = sum(s.total for s in sections)
    fixed = _width(head + table + _truncation_note(total, total) + footer)
    kept = _fit(sections, max_chars - fixed)
    if kept is None:
        # Not even the section headings fit (a tiny max_chars): the counts alone must do.
        return head + table + _truncation_note(total, total) + footer
    omitted = total - sum(sum(k) for k in kept)
    body = "".join(_render_section(s, k) for s, k in zip(sections, kept, strict=True))
    return head + table + _truncation_note(omitted, total) + body + footer
