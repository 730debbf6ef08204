"""The PR-comment Markdown: bomdrift's layout, safe against hostile names, and under GitHub's size limit.

Escaping is checked by rendering with cmark-gfm (GitHub's own Markdown engine) with raw HTML
allowed, so anything that slipped through would show up as a real tag or a broken table.
"""

from __future__ import annotations

import re
from html.parser import HTMLParser

import cmarkgfm
import pytest
from cmarkgfm.cmark import Options

from bomhost.model import ChangeSet, Component, Finding, VersionChange
from bomhost.report.markdown import GITHUB_COMMENT_LIMIT, render_markdown
from bomhost.report.model import Enrichment, Report
from tests.report.factories import empty_report, npm, rich_report


class _Html(HTMLParser):
    """Collects what a browser would build from GitHub's HTML: tags and table rows' cells."""

    def __init__(self) -> None:
        super().__init__()
        self.tags: list[str] = []
        self.rows: list[list[str]] = []
        self._cell: list[str] | None = None
        self.links: list[tuple[str, str]] = []  # (href, visible text)
        self._link: list[str] | None = None
        self._href = ""

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append(tag)
        if tag == "a":
            self._href = dict(attrs).get("href") or ""
            self._link = []
        if tag == "tr":
            self.rows.append([])
        if tag in ("td", "th"):
            self._cell = []

    def handle_endtag(self, tag: str) -> None:
        if tag == "a" and self._link is not None:
            self.links.append((self._href, "".join(self._link)))
            self._link = None
        if tag in ("td", "th") and self._cell is not None:
            self.rows[-1].append("".join(self._cell))
            self._cell = None

    def handle_data(self, data: str) -> None:
        if self._link is not None:
            self._link.append(data)
        if self._cell is not None:
            self._cell.append(data)


def _github_html(markdown: str) -> _Html:
    html = cmarkgfm.github_flavored_markdown_to_html(markdown, options=Options.CMARK_OPT_UNSAFE)
    parser = _Html()
    parser.feed(html)
    return parser


def _with_added(*components: Component) -> Report:
    return empty_report().model_copy(update={"changes": ChangeSet(added=components)})


def test_summary_table_lists_every_bucket() -> None:
    md = render_markdown(rich_report())

    assert md.startswith("## SBOM diff\n\n")
    for row in (
        "| Added | 2 |",
        "| Removed | 1 |",
        "| Version changed | 2 |",
        "| ⚠️ Downgrades | 1 |",
        "| License changed | 1 |",
        "| Hash changed | 1 |",
        "| Plugin findings | 3 |",
        "| Plugin errors | 1 |",
        "| Sandbox denials | 1 |",
    ):
        assert row in md


def test_sections_are_collapsible_with_visible_headings() -> None:
    md = render_markdown(rich_report())

    for heading in (
        "### Added (2)\n",
        "### Removed (1)\n",
        "### Version changed (2)\n",
        "### License changed (same version) (1)\n",
        "### Hash changed (same version) (1)\n",
        "### Plugin findings (3)\n",
        "### Plugin errors (1)\n",
    ):
        assert heading in md
    assert md.count("<details><summary>") == md.count("</details>") == 9


def test_downgrades_are_flagged_and_listed_first() -> None:
    md = render_markdown(rich_report())
    section = md.split("### Version changed (2)")[1].split("</details>")[0]

    assert "Show details · ⚠️ 1 downgrade(s)" in section
    rows = [
        line for line in section.splitlines() if line.startswith("| npm") or line.startswith("| go")
    ]
    assert rows[0] == "| npm | <code>lodash</code> | 4.17.21 | 4.17.20 | ⚠️ **downgrade** |"
    assert rows[1].endswith("| upgrade |")


def test_plugin_findings_grouped_by_plugin_in_name_order() -> None:
    md = render_markdown(rich_report())
    section = md.split("### Plugin findings (3)")[1].split("</details>")[0]

    assert section.index("**age-check** (1)") < section.index("**banned-packages** (2)")
    assert (
        "- ❌ error · `pkg:npm/left-pad@1.3.0` · banned — left-pad is banned (`banned/left-pad`)"
    ) in section


def test_gate_is_shown_above_the_summary() -> None:
    md = render_markdown(rich_report())

    assert md.index("**Gate tripped**") < md.index("| Change | Count |")


def test_no_changes() -> None:
    md = render_markdown(empty_report())

    assert "_No dependency changes._" in md
    assert "<details>" not in md


@pytest.mark.parametrize(
    "name",
    [
        "evil|name",
        "<script>alert(1)</script>",
        "line\nbreak | <img src=x onerror=alert(1)>",
        "`tick` *star* _under_ [link](http://x) ~~strike~~ \\",
        "@octocat/mention",
    ],
)
def test_hostile_names_cannot_break_the_table_or_inject_html(name: str) -> None:
    hostile = Component(name=name, version="1.0.0|<b>", ecosystem="npm|x", purl=None)
    md = render_markdown(_with_added(hostile, npm("left-pad", "1.3.0")))
    page = _github_html(md)

    assert "script" not in page.tags
    assert "img" not in page.tags
    assert "b" not in page.tags
    # No Markdown link survives; cmark-gfm may still autolink a bare URL, whose text is its target.
    for href, text in page.links:
        assert href.removeprefix("mailto:") == text
    start = page.rows.index(["Ecosystem", "Name", "Version"])
    header, hostile_row, plain_row = page.rows[start : start + 3]
    assert header == ["Ecosystem", "Name", "Version"]
    assert hostile_row == ["npm|x", name.replace("\n", " "), "1.0.0|<b>"]
    assert plain_row == ["npm", "left-pad", "1.3.0"]


def test_hostile_plugin_message_stays_text() -> None:
    finding = Finding(
        plugin_name="p|<i>x</i>",
        component_purl="pkg:npm/a@1",
        kind="k",
        message="</details><script>x</script>\n### injected heading",
        severity="warning",
        rule_id="r",
    )
    report = _with_added(npm("a", "1")).model_copy(
        update={"enrichment": Enrichment(plugin_findings=(finding,))}
    )
    md = render_markdown(report)
    page = _github_html(md)

    assert "script" not in page.tags
    assert "i" not in page.tags
    assert page.tags.count("details") == 2
    assert "h3" in page.tags
    assert md.count("\n### ") == 2  # "Added" and "Plugin findings", nothing injected


def _big_report(count: int) -> Report:
    added = tuple(
        npm(f"@scope-{i:04d}/some-rather-long-package-name-{i:04d}", f"{i % 7}.{i % 13}.{i}")
        for i in range(count)
    )
    version_changed = tuple(
        VersionChange(
            before=npm(f"bumped-{i:04d}", "2.0.0"),
            after=npm(f"bumped-{i:04d}", "1.0.0" if i % 100 == 0 else "3.0.0"),
            direction="downgrade" if i % 100 == 0 else "upgrade",
        )
        for i in range(count // 5)
    )
    findings = tuple(
        Finding(
            plugin_name="banned-packages",
            component_purl=c.display_id,
            kind="banned",
            message="this package is on the organisation's banned list",
            severity="error",
            rule_id="banned/x",
        )
        for c in added[:50]
    )
    return empty_report().model_copy(
        update={
            "changes": ChangeSet(added=added, version_changed=version_changed),
            "enrichment": Enrichment(plugin_findings=findings),
        }
    )


def test_five_thousand_components_fit_in_one_github_comment() -> None:
    report = _big_report(5_000)
    md = render_markdown(report)

    assert len(md) < GITHUB_COMMENT_LIMIT
    assert len(md.encode("utf-16-le")) // 2 < GITHUB_COMMENT_LIMIT
    assert md.count("<details>") == md.count("</details>")
    assert md.rstrip().endswith("<sub>bomhost 0.1.0</sub>")
    # The summary still tells the whole truth.
    assert "| Added | 5000 |" in md
    assert "| Version changed | 1000 |" in md
    # Every finding survived (highest priority), downgrades kept ahead of upgrades.
    assert md.count("- ❌ error · ") == 50
    assert md.count("⚠️ **downgrade**") == 10
    # Notes account for every row that was cut.
    top = re.search(r"(\d+) of (\d+) entries are omitted", md)
    assert top is not None
    omitted, total = int(top.group(1)), int(top.group(2))
    assert total == 5_000 + 1_000 + 50
    per_section = [int(n) for n in re.findall(r"_(\d+) more entr(?:y|ies) omitted", md)]
    assert sum(per_section) == omitted
    shown_rows = md.count("| npm | <code>")
    assert shown_rows + md.count("- ❌ error · ") + omitted == total
    # And GitHub still sees well-formed sections.
    page = _github_html(md)
    assert page.tags.count("details") == md.count("</details>")


def test_truncation_cuts_whole_rows_only() -> None:
    md = render_markdown(_big_report(2_000))

    for line in md.splitlines():
        if line.startswith("| npm "):
            assert line.endswith(" |")
            assert line.count("<code>") == line.count("</code>") == 1


def test_small_reports_are_not_truncated() -> None:
    md = render_markdown(rich_report())

    assert "omitted" not in md


def test_tiny_budget_keeps_summary_and_stays_closed() -> None:
    md = render_markdown(_big_report(200), max_chars=1_200)

    assert len(md) <= 1_200
    assert "| Added | 200 |" in md
    assert "290 of 290 entries are omitted" in md  # 200 added + 40 bumps + 50 findings
    assert md.count("<details>") == md.count("</details>")


def test_render_is_deterministic() -> None:
    assert render_markdown(rich_report()) == render_markdown(rich_report())
    big = _big_report(3_000)
    assert render_markdown(big) == render_markdown(big)
