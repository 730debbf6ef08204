"""What a reviewer reading the terminal and the PR comment needs: real package names, a screen
that is not flooded, and sandbox denials that say what was asked for and which event to explain."""

from __future__ import annotations

import re

from bomhost.model import ChangeSet, Component, SandboxEvent, VersionChange
from bomhost.report.markdown import render_markdown
from bomhost.report.model import Gate, Sandbox
from bomhost.report.summary import display_name
from bomhost.report.terminal import render_terminal
from tests.report.factories import empty_report, rich_report


def _scoped(name: str, scope: str, version: str) -> Component:
    # How the CycloneDX reader hands over an npm scoped package: bomdrift's name drops the scope.
    return Component(
        name=name, version=version, ecosystem="npm", purl=f"pkg:npm/%40{scope}/{name}@{version}"
    )


def test_scoped_npm_and_maven_names_keep_their_namespace() -> None:
    assert display_name(_scoped("parser", "babel", "7.21.2")) == "@babel/parser"
    maven = Component(
        name="dropwizard-core",
        version="1.3.15",
        ecosystem="maven",
        purl="pkg:maven/io.dropwizard/dropwizard-core@1.3.15?type=jar",
    )
    assert display_name(maven) == "io.dropwizard/dropwizard-core"
    go = Component(
        name="github.com/miekg/dns", ecosystem="go", purl="pkg:golang/github.com/miekg/dns@v1"
    )
    assert display_name(go) == "github.com/miekg/dns"
    # A purl naming another package (SPDX example 11's root) must not rename the row.
    odd = Component(
        name="hello-server-src", ecosystem="deb", purl="pkg:deb/debian/libselinux1-dev@3.1-3"
    )
    assert display_name(odd) == "hello-server-src"


def test_two_packages_called_parser_are_told_apart() -> None:
    changes = ChangeSet(
        added=(_scoped("parser", "babel", "7.21.2"), _scoped("parser", "angular", "1.0.0"))
    )
    report = empty_report().model_copy(update={"changes": changes})

    terminal = render_terminal(report, color=False)
    assert "[ADD] npm:@babel/parser@7.21.2\n" in terminal
    assert "[ADD] npm:@angular/parser@1.0.0\n" in terminal
    markdown = render_markdown(report)
    assert "| npm | <code>@babel/parser</code> | 7.21.2 |" in markdown
    assert "| npm | <code>@angular/parser</code> | 1.0.0 |" in markdown


def _many_upgrades(n: int) -> ChangeSet:
    ups = tuple(
        VersionChange(
            before=Component(name=f"pkg{i:03}", version="1.0.0", ecosystem="npm"),
            after=Component(name=f"pkg{i:03}", version="1.0.1", ecosystem="npm"),
            direction="upgrade",
        )
        for i in range(n)
    )
    down = VersionChange(
        before=Component(name="zz-last", version="2.0.0", ecosystem="npm"),
        after=Component(name="zz-last", version="1.0.0", ecosystem="npm"),
        direction="downgrade",
    )
    return ChangeSet(version_changed=(*ups, down))


def test_a_screen_shows_a_capped_list_with_the_downgrade_first() -> None:
    report = empty_report().model_copy(update={"changes": _many_upgrades(300)})

    screen = render_terminal(report, color=False, limit=25)
    lines = screen.splitlines()
    assert "Changes (301):" in lines
    assert len(lines) < 40
    # The one downgrade is last in the data, yet it is on screen.
    assert (
        lines[lines.index("Changes (301):") + 1] == "  [DWN] npm:zz-last 2.0.0 -> 1.0.0 (downgrade)"
    )
    assert "  ... 276 more version changes (--output json lists every one)" in lines
    # Without a limit (a file, a log) every row is there.
    full = render_terminal(report, color=False)
    assert len(re.findall(r"\[VER\]", full)) == 300
    assert "more version changes" not in full


def test_denials_name_the_request_and_the_event_index_explain_takes() -> None:
    events = (
        SandboxEvent(
            plugin_name="snoop",
            component_purl="pkg:npm/left-pad@1.3.0",
            decision="allow",
            rule_id="imports.allow",
            reason_code="granted",
        ),
        SandboxEvent(
            plugin_name="snoop",
            component_purl="pkg:npm/left-pad@1.3.0",
            decision="deny",
            rule_id="fs.default",
            reason_code="fs_path_denied",
            context={"path": "/etc/passwd", "resolved": "/etc/passwd", "result": -1},
        ),
    )
    report = rich_report().model_copy(update={"sandbox": Sandbox(events=events)})

    terminal = render_terminal(report, color=False)
    assert (
        "  [DENY] #1 snoop pkg:npm/left-pad@1.3.0 fs.default: fs_path_denied /etc/passwd\n"
        in terminal
    )
    assert "bomhost explain REPORT.json --event-index N" in terminal
    markdown = render_markdown(report)
    assert "| Event | Plugin | Component | Rule | Reason | Requested |" in markdown
    assert (
        "| 1 | snoop | <code>pkg:npm/left-pad@1.3.0</code> | <code>fs.default</code> |"
        " fs\\_path\\_denied | <code>/etc/passwd</code> |"
    ) in markdown


def test_two_tripped_gates_render_as_two_lines_not_one_paragraph() -> None:
    import cmarkgfm

    gates = (
        Gate(option="--fail-on license-change", reason="3 license change(s)"),
        Gate(option="--max-added 0", reason="1 added (limit 0)"),
    )
    report = rich_report().model_copy(update={"gates": gates})
    html = cmarkgfm.github_flavored_markdown_to_html(render_markdown(report))
    block = html[html.index("<blockquote>") : html.index("</blockquote>")]
    assert block.count("<li><strong>Gate tripped</strong>") == 2
