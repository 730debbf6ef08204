"""``bomhost explain``: real broker events in a real report, explained with the fix that works."""

from __future__ import annotations

import json
import os
import time
from pathlib import Path

import pytest

from bomhost.cli import run
from bomhost.errors import ReportError, UsageError
from bomhost.model import ChangeSet, SandboxEvent
from bomhost.policy.broker import Broker
from bomhost.policy.explain import explain, load_event, render_text
from bomhost.policy.load import load_policy
from bomhost.report.model import Report, Sandbox, SbomInfo

from .conftest import Server, write_policy

BUDGET_EVENTS = [
    (
        "budgets.fuel",
        "fuel_exhausted",
        {"limit": 1000, "used": 1000},
        "raise [budgets] fuel above 1000",
    ),
    (
        "budgets.timeout_ms",
        "wall_clock_timeout",
        {"limit": 50},
        "raise [budgets] timeout_ms above 50",
    ),
    (
        "budgets.memory_bytes",
        "memory_limit",
        {"limit": 65536, "used": 65536},
        "memory_bytes above 65536",
    ),
    (
        "budgets.max_output_bytes",
        "output_too_large",
        {"limit": 10, "used": 99},
        "max_output_bytes above 99",
    ),
    ("budgets.max_log_bytes", "log_limit", {"limit": 0, "used": 5}, "max_log_bytes above 5"),
]


def _report(tmp_path: Path, events: list[SandboxEvent]) -> Path:
    info = SbomInfo(path="a.json", format="cyclonedx-json", spec_version="1.6", components=0)
    report = Report(
        bomhost_version="0.1.0",
        old=info,
        new=info,
        changes=ChangeSet(),
        sandbox=Sandbox(events=tuple(events)),
    )
    path = tmp_path / "report.json"
    path.write_text(report.model_dump_json(indent=2), encoding="utf-8")
    return path


@pytest.fixture
def events(tmp_path: Path, server: Server) -> list[SandboxEvent]:
    """One real event of each kind the broker makes, in a known order."""
    (tmp_path / "data").mkdir()
    (tmp_path / "data" / "big.txt").write_bytes(b"z" * 300)
    (tmp_path / "secret.txt").write_text("s")
    os.symlink(tmp_path / "secret.txt", tmp_path / "data" / "link.txt")
    policy = write_policy(
        tmp_path,
        f"""
[[fs.read]]
id = "data"
path = "data"
max_bytes_per_invocation = 100
[[net.allow]]
id = "local"
scheme = "http"
host = "127.0.0.1"
port = {server.port}
max_requests = 1
timeout_ms = 200
""",
    )
    inv = Broker(policy).for_invocation("vuln", "pkg:npm/a@1", time.monotonic() + 30)
    inv.read_file("secret.txt", 10)  # 0 fs_path_denied
    inv.read_file("data/link.txt", 10)  # 1 escape
    inv.read_file("data/big.txt", 1000)  # 2 quota
    inv.http_get(f"http://127.0.0.1:{server.port + 1}/ok", 10)  # 3 port denied
    inv.http_get(f"http://127.0.0.1:{server.port}/slow", 10)  # 4 timeout
    inv.http_get(f"http://127.0.0.1:{server.port}/ok", 10)  # 5 request quota
    inv.http_get(f"http://localhost:{server.port}/ok", 10)  # 6 host denied
    return inv.events


def test_fs_denial_says_which_rule_to_add(tmp_path: Path, events: list[SandboxEvent]) -> None:
    x = explain(events[0])
    assert "no [[fs.read]] rule covers" in x.decided_by
    assert x.change is not None
    assert str(tmp_path / "secret.txt") in x.change
    assert x.snippet is not None
    snippet_policy = write_policy(
        tmp_path,
        x.snippet + '[imports]\nallow = ["bomdrift.read_file"]\n',
        "fixed.toml",
    )
    again = Broker(snippet_policy).for_invocation("vuln", "s", time.monotonic() + 5)
    assert again.read_file(str(tmp_path / "secret.txt"), 10) == b"s"  # the fix really works


def test_escape_is_explained_as_an_escape(events: list[SandboxEvent]) -> None:
    x = explain(events[1])
    assert "symlink or '..'" in x.decided_by
    assert x.change is not None
    assert "stay denied" in x.change


def test_quota_names_the_number_to_exceed(events: list[SandboxEvent]) -> None:
    x = explain(events[2])
    assert "max_bytes_per_invocation = 100 of rule 'data'" in x.decided_by
    assert x.change == (
        "raise max_bytes_per_invocation of rule 'data' above 300 (used 0 + this file 300)"
    )


def test_net_denial_gives_the_exact_rule(events: list[SandboxEvent], server: Server) -> None:
    x = explain(events[3])
    assert x.change is not None
    assert f'scheme = "http", host = "127.0.0.1", port = {server.port + 1}' in x.change
    assert explain(events[6]).event.reason_code == "net_host_denied"
    assert 'host = "localhost"' in (explain(events[6]).change or "")


def test_timeout_and_request_quota(events: list[SandboxEvent]) -> None:
    assert explain(events[4]).change == "raise timeout_ms of rule 'local' above 200"
    assert explain(events[5]).change == "raise max_requests of rule 'local' above 1"


@pytest.mark.parametrize(("rule", "reason", "ctx", "expected"), BUDGET_EVENTS)
def test_budget_events_from_the_runtime(
    rule: str, reason: str, ctx: dict[str, int], expected: str
) -> None:
    event = SandboxEvent(
        plugin_name="p",
        component_purl="pkg:npm/a@1",
        decision="deny",
        rule_id=rule,
        reason_code=reason,
        context=ctx,
    )
    x = explain(event)
    assert x.change is not None
    assert expected in x.change
    assert "[plugins.p.budgets]" in (x.snippet or "")


def test_import_not_allowed() -> None:
    event = SandboxEvent(
        plugin_name="p",
        component_purl="-",
        decision="deny",
        rule_id="imports.allow",
        reason_code="import_not_allowed",
        context={"import": "bomdrift.http_get"},
    )
    assert explain(event).snippet == '[plugins.p.imports]\nextend = ["bomdrift.http_get"]\n'


def test_plugin_faults_have_no_policy_fix() -> None:
    event = SandboxEvent(
        plugin_name="p",
        component_purl="-",
        decision="deny",
        rule_id="sandbox.trap",
        reason_code="unreachable",
        context={},
    )
    assert explain(event).change is None


def test_cli_reads_the_report_and_quotes_the_policy(
    tmp_path: Path, events: list[SandboxEvent], capsys: pytest.CaptureFixture[str]
) -> None:
    report = _report(tmp_path, events)
    policy = str(tmp_path / "policy.toml")
    code = run(["explain", str(report), "--event-index", "2", "--policy", policy])
    assert code == 0
    out = capsys.readouterr().out
    assert "event:        deny data fs_quota_exceeded" in out
    assert 'fs.read[0]: path = "data", max_bytes_per_invocation = 100' in out
    assert run(["explain", "--event-json", events[3].model_dump_json(), "--output", "json"]) == 0
    doc = json.loads(capsys.readouterr().out)
    assert doc["event"]["reason_code"] == "net_port_denied"
    # The suggested grant is scoped to the plugin that asked, never to every plugin.
    assert "[[plugins.vuln.net.allow]]" in doc["snippet"]


def test_cli_errors_are_one_line(tmp_path: Path, events: list[SandboxEvent]) -> None:
    report = _report(tmp_path, events)
    with pytest.raises(ReportError, match="out of range"):
        load_event(report, 99, None)
    with pytest.raises(UsageError, match="exactly one"):
        load_event(report, None, None)
    with pytest.raises(UsageError, match="--event-json"):
        load_event(None, None, '{"plugin_name": 1}')
    (tmp_path / "x.json").write_text("{}")
    with pytest.raises(ReportError, match=r"no sandbox\.events"):
        load_event(tmp_path / "x.json", 0, None)
    assert run(["explain", str(tmp_path / "nope.json"), "--event-index", "0"]) == 1
    assert load_policy(None) is not None


def test_system_file_denial_warns_and_scopes_the_grant_to_the_plugin() -> None:
    event = SandboxEvent(
        plugin_name="snoop",
        component_purl="pkg:npm/a@1",
        decision="deny",
        rule_id="fs.default",
        reason_code="fs_path_denied",
        context={"path": "/etc/passwd", "resolved": "/etc/passwd"},
    )
    x = explain(event)
    assert x.change is not None
    assert "careful: /etc/passwd is a system file" in x.change
    assert x.snippet is not None
    assert x.snippet.startswith('[plugins.snoop.imports]\nextend = ["bomdrift.read_file"]\n')
    assert "[[plugins.snoop.fs.read]]" in x.snippet
    assert "\n[[fs.read]]" not in x.snippet


def test_an_allowed_request_needs_no_change() -> None:
    event = SandboxEvent(
        plugin_name="reader",
        component_purl="pkg:npm/a@1",
        decision="allow",
        rule_id="lists",
        reason_code="fs_read",
        context={"path": "banned.txt", "resolved": "/srv/banned.txt", "bytes": 12},
    )
    text = render_text(explain(event))
    assert "to allow it:  none needed: the policy allowed this request" in text
