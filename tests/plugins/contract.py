"""The runtime contract: the same checks for every plugin runtime, so external and wasm cannot drift.

How to plug a runtime in: subclass ``RuntimeContract`` in a ``test_*.py`` module as
``class TestMyRuntimeContract(RuntimeContract)`` and implement ``plugin(tmp_path, timeout_ms)``
returning a ``LoadedManifest`` for a plugin of your runtime that behaves by component name:

    finding-N     N findings; the i-th (from 0) is kind "test", message "<purl> #i",
                  severity ("info", "warning", "error")[i % 3], rule_id "test/i"
    none          {"findings": []}
    garbage       output that is not JSON                       -> bad_output
    badshape      {"findings": [{"kind": "x"}]}                 -> bad_output
    crash         abnormal end (exit 3 / a trap)                -> ``crash_kind``
    sleep         never answers within ``timeout_ms``           -> timeout
    flood         8 MiB of output                               -> ``flood_kind``

Set ``crash_kind`` / ``flood_kind`` when your runtime reports those differently (a WASM trap is
``trap``), and override ``policy()`` when the runtime takes its budgets from the policy (WASM:
enough fuel that ``sleep`` meets the wall clock first, ``max_output_bytes`` below 8 MiB).
Everything else (order, merge, records, summaries) must be identical.

Batch mode: subclass ``BatchContract`` together with your runtime's class (``class
TestMyBatch(BatchContract, TestMyRuntimeContract)``): every case above then runs through the
batch protocol (``invoke = "batch"``, one component per call so each case means the same), plus
the batch cases below with real chunks. Your plugin must answer a ``batch`` request item by
item, the first item that crashes, sleeps or floods doing so for the whole call, and
``stranger`` adding a finding for a component that was not sent.

HTTP through the host (``bomdrift.http_request``, protocol/README.md section 9): only runtimes
with a broker have it (WASM; external plugins are trusted and use their own network access).
Such a runtime also mixes in ``HttpRequestContract`` and implements ``http_policy(rule)``; its
plugin answers ``post`` by POSTing the component's id (as text) to ``config.url`` and
returning one finding, kind ``http``, whose message is the answer's body or ``error <code>``.
The cases run against a real recording server on 127.0.0.1, in both invocation modes.
"""

from __future__ import annotations

import dataclasses
import time
from pathlib import Path
from typing import ClassVar, Literal

from bomhost import __version__
from bomhost.model import ChangeSet, Component, ErrorKind, Finding, PluginError, VersionChange
from bomhost.plugins.interface import RunContext
from bomhost.plugins.manifest import LoadedManifest
from bomhost.plugins.outcome import PluginOutcome
from bomhost.plugins.runner import run_plugins
from bomhost.policy.model import NetAllowRule, Policy
from tests.http_server import serve

SEVERITIES = ("info", "warning", "error")
NOW_MS = 1_700_000_000_000


def comp(
    name: str, version: str = "1.0.0", ecosystem: str = "npm", *, purl: bool = True
) -> Component:
    """A component named ``name``; its purl is ``pkg:<ecosystem>/<name>@<version>``."""
    return Component(
        name=name,
        version=version,
        ecosystem=ecosystem,
        purl=f"pkg:{ecosystem}/{name}@{version}" if purl else None,
    )


def added(*names: str) -> ChangeSet:
    return ChangeSet(added=tuple(comp(n) for n in names))


def ctx(jobs: int = 1, policy: Policy | None = None) -> RunContext:
    return RunContext(
        bomhost_version=__version__, now_ms=NOW_MS, policy=policy or Policy(), jobs=jobs
    )


def run(
    plugins: list[LoadedManifest], changes: ChangeSet, jobs: int = 1, policy: Policy | None = None
) -> PluginOutcome:
    return run_plugins(plugins, changes, ctx(jobs, policy), jobs=jobs)


def expected_findings(plugin: str, c: Component, n: int) -> list[Finding]:
    """What ``finding-N`` must produce for component ``c``."""
    purl = c.display_id
    return [
        Finding(
            plugin_name=plugin,
            component_purl=purl,
            kind="test",
            message=f"{purl} #{i}",
            severity=SEVERITIES[i % 3],
            rule_id=f"test/{i}",
        )
        for i in range(n)
    ]


def kinds(outcome: PluginOutcome) -> list[tuple[str, ErrorKind]]:
    return [(e.component_purl, e.error_kind) for e in outcome.errors]


def batched(plugin: LoadedManifest, size: int) -> LoadedManifest:
    """The same plugin with ``invoke = "batch"`` and ``batch_size = size`` (protocol 2)."""
    update = {"invoke": "batch", "batch_size": size, "protocol_version": 2}
    return dataclasses.replace(plugin, manifest=plugin.manifest.model_copy(update=update))


class RuntimeContract:
    """Runtime-agnostic tests; see the module docstring for how to subclass."""

    crash_kind: ClassVar[ErrorKind] = "exit_status"
    flood_kind: ClassVar[ErrorKind] = "output_too_large"
    # Generous: real processes on a loaded 2-core CI machine; "sleep" tests use a short one.
    timeout_ms: ClassVar[int] = 30_000

    def plugin(self, tmp_path: Path, timeout_ms: int) -> LoadedManifest:
        raise NotImplementedError

    def policy(self) -> Policy:
        """The run's policy; a runtime whose budgets come from it (WASM) sets them here."""
        return Policy()

    invoke: ClassVar[Literal["per-component", "batch"]] = "per-component"

    def run(
        self, plugins: list[LoadedManifest], changes: ChangeSet, jobs: int = 1
    ) -> PluginOutcome:
        if self.invoke == "batch":
            plugins = [batched(p, 1) if p.manifest.invoke != "batch" else p for p in plugins]
        return run(plugins, changes, jobs, self.policy())

    def test_findings_merged_in_bomdrift_order(self, tmp_path: Path) -> None:
        p = self.plugin(tmp_path, self.timeout_ms)
        a, b, c = comp("finding-2"), comp("none"), comp("finding-3", ecosystem="pypi")
        old, new = comp("finding-1", "1.0.0"), comp("finding-1", "2.0.0")
        changes = ChangeSet(
            added=(a, b, c), version_changed=(VersionChange(before=old, after=new),)
        )
        out = self.run([p], changes)
        assert out.errors == ()
        # added first (in order), then version-changed, attributed to the AFTER component.
        assert list(out.findings) == (
            expected_findings(p.name, a, 2)
            + expected_findings(p.name, c, 3)
            + expected_findings(p.name, new, 1)
        )
        assert out.stats[p.name].count == 4
        assert out.summary_lines() == []

    def test_component_without_purl_is_named(self, tmp_path: Path) -> None:
        p = self.plugin(tmp_path, self.timeout_ms)
        c = comp("finding-1", purl=False)
        out = self.run([p], ChangeSet(added=(c,)))
        assert [f.component_purl for f in out.findings] == ["finding-1"]
        assert out.findings[0].message == "finding-1 #0"

    def test_order_does_not_depend_on_jobs(self, tmp_path: Path) -> None:
        p = self.plugin(tmp_path, self.timeout_ms)
        names = [f"finding-{n}" for n in (3, 0, 5, 1, 4, 2, 6, 1)]
        changes = ChangeSet(added=tuple(comp(n, f"{i}.0.0") for i, n in enumerate(names)))
        serial = self.run([p], changes, jobs=1)
        parallel = self.run([p], changes, jobs=4)
        assert len(serial.findings) == 22
        assert parallel.findings == serial.findings
        assert parallel.errors == serial.errors == ()

    def test_bad_output_is_recorded_and_others_kept(self, tmp_path: Path) -> None:
        p = self.plugin(tmp_path, self.timeout_ms)
        out = self.run([p], added("finding-1", "garbage", "badshape", "finding-2"), jobs=2)
        assert kinds(out) == [
            ("pkg:npm/garbage@1.0.0", "bad_output"),
            ("pkg:npm/badshape@1.0.0", "bad_output"),
        ]
        assert len(out.findings) == 3
        assert "not one JSON value" in out.errors[0].message
        assert "findings.0.message" in out.errors[1].message

    def test_crash_is_recorded(self, tmp_path: Path) -> None:
        p = self.plugin(tmp_path, self.timeout_ms)
        out = self.run([p], added("crash", "finding-1"))
        assert kinds(out) == [("pkg:npm/crash@1.0.0", self.crash_kind)]
        assert out.findings == tuple(expected_findings(p.name, comp("finding-1"), 1))

    def test_timeout_is_recorded(self, tmp_path: Path) -> None:
        p = self.plugin(tmp_path, 1_500)
        start = time.monotonic()
        out = self.run([p], added("sleep"))
        assert kinds(out) == [("pkg:npm/sleep@1.0.0", "timeout")]
        assert time.monotonic() - start < 20  # the plugin would sleep 60 s

    def test_flood_is_capped(self, tmp_path: Path) -> None:
        p = self.plugin(tmp_path, self.timeout_ms)
        out = self.run([p], added("flood", "finding-1"))
        assert kinds(out) == [("pkg:npm/flood@1.0.0", self.flood_kind)]
        assert len(out.findings) == 1

    def test_summary_counts_failures_per_plugin(self, tmp_path: Path) -> None:
        p = self.plugin(tmp_path, self.timeout_ms)
        out = self.run([p], added("garbage", "crash", "none", "badshape"))
        crash = self.crash_kind
        detail = f"2 bad_output, 1 {crash}" if crash != "bad_output" else "3 bad_output"
        assert out.summary_lines() == [
            f"plugin {p.name}: 3 of 4 calls failed ({detail}); see enrichment.plugin_errors"
        ]
        assert all(isinstance(e, PluginError) and e.plugin_name == p.name for e in out.errors)


class BatchContract(RuntimeContract):
    """Batch invocation (protocol/README.md section 8); mix in before a runtime's contract."""

    invoke: ClassVar[Literal["per-component", "batch"]] = "batch"

    def test_batch_is_one_call_with_the_per_component_report(self, tmp_path: Path) -> None:
        p = self.plugin(tmp_path, self.timeout_ms)
        a, b, c = comp("finding-2"), comp("none"), comp("finding-3", purl=False)
        old, new = comp("finding-1", "1.0.0"), comp("finding-1", "2.0.0")
        changes = ChangeSet(
            added=(a, b, c), version_changed=(VersionChange(before=old, after=new),)
        )
        out = self.run([batched(p, 1000)], changes)
        assert out.errors == ()
        assert out.stats[p.name].count == 1  # one call for four components
        assert list(out.findings) == (
            expected_findings(p.name, a, 2)
            + expected_findings(p.name, c, 3)
            + expected_findings(p.name, new, 1)
        )

    def test_batch_is_cut_into_chunks(self, tmp_path: Path) -> None:
        p = batched(self.plugin(tmp_path, self.timeout_ms), 2)
        out = self.run([p], added(*(f"finding-{n}" for n in (1, 2, 0, 3, 1))), jobs=2)
        assert out.stats[p.name].count == 3
        assert [f.component_purl for f in out.findings] == [
            "pkg:npm/finding-1@1.0.0",
            *["pkg:npm/finding-2@1.0.0"] * 2,
            *["pkg:npm/finding-3@1.0.0"] * 3,
            "pkg:npm/finding-1@1.0.0",
        ]

    def test_finding_for_a_component_not_sent_is_bad_output(self, tmp_path: Path) -> None:
        p = batched(self.plugin(tmp_path, self.timeout_ms), 2)
        out = self.run([p], added("finding-1", "stranger", "finding-2"))
        assert kinds(out) == [
            ("pkg:npm/finding-1@1.0.0", "bad_output"),
            ("pkg:npm/stranger@1.0.0", "bad_output"),
        ]
        assert "pkg:npm/never-sent@0" in out.errors[0].message
        assert "not sent" in out.errors[0].message
        # the other chunk is unaffected
        assert out.findings == tuple(expected_findings(p.name, comp("finding-2"), 2))

    def test_a_failed_batch_fails_every_component_in_it(self, tmp_path: Path) -> None:
        p = batched(self.plugin(tmp_path, self.timeout_ms), 3)
        out = self.run([p], added("finding-1", "crash", "none", "finding-2"))
        assert kinds(out) == [
            ("pkg:npm/finding-1@1.0.0", self.crash_kind),
            ("pkg:npm/crash@1.0.0", self.crash_kind),
            ("pkg:npm/none@1.0.0", self.crash_kind),
        ]
        assert out.findings == tuple(expected_findings(p.name, comp("finding-2"), 2))
        # counted in components, as in per-component mode
        assert out.summary_lines() == [
            f"plugin {p.name}: 3 of 4 calls failed (3 {self.crash_kind}); see enrichment.plugin_errors"
        ]


class HttpRequestContract:
    """``bomdrift.http_request`` against a real server; mix in with a runtime's contract class."""

    invoke: ClassVar[Literal["per-component", "batch"]] = "per-component"

    def plugin(self, tmp_path: Path, timeout_ms: int) -> LoadedManifest:
        raise NotImplementedError

    def http_policy(self, rule: NetAllowRule) -> Policy:
        """The runtime's contract policy with ``bomdrift.http_request`` allowed and ``rule``."""
        raise NotImplementedError

    def _run_http(
        self, tmp_path: Path, methods: tuple[str, ...], names: list[str], size: int
    ) -> tuple[PluginOutcome, list[tuple[str, bytes]]]:
        with serve() as server:
            rule = NetAllowRule.model_validate(
                {"id": "echo", "scheme": "http", "host": "127.0.0.1", "port": server.port}
                | {"methods": methods}
            )
            p = self.plugin(tmp_path, 30_000)
            config = {"url": f"http://127.0.0.1:{server.port}/echo"}
            p = dataclasses.replace(p, manifest=p.manifest.model_copy(update={"config": config}))
            if self.invoke == "batch":
                p = batched(p, size)
            changes = ChangeSet(added=tuple(comp(n, f"{i}.0.0") for i, n in enumerate(names)))
            out = run([p], changes, 1, self.http_policy(rule))
            return out, list(server.bodies)

    def test_http_request_post_reaches_the_server(self, tmp_path: Path) -> None:
        out, bodies = self._run_http(tmp_path, ("POST",), ["post", "finding-1", "post"], 1)
        assert out.errors == ()
        sent = [b"pkg:npm/post@0.0.0", b"pkg:npm/post@2.0.0"]
        assert bodies == [("POST", b) for b in sent]
        # The recording server answers "POST <body length>".
        assert [(f.component_purl, f.kind, f.message) for f in out.findings] == [
            ("pkg:npm/post@0.0.0", "http", "POST 18"),
            ("pkg:npm/finding-1@1.0.0", "test", "pkg:npm/finding-1@1.0.0 #0"),
            ("pkg:npm/post@2.0.0", "http", "POST 18"),
        ]
        allowed = [(e.decision, e.rule_id, e.reason_code, e.context["method"]) for e in out.events]
        assert allowed == [("allow", "echo", "net_ok", "POST")] * 2

    def test_http_request_outside_the_rule_is_denied_with_an_event(self, tmp_path: Path) -> None:
        out, bodies = self._run_http(tmp_path, ("GET",), ["post"], 1)
        assert bodies == []  # nothing reached the server
        assert [f.message for f in out.findings] == ["error -1"]
        [event] = out.events
        assert (event.decision, event.rule_id, event.reason_code) == (
            "deny",
            "echo",
            "net_method_denied",
        )
        assert event.context["methods"] == ["GET"]

    def test_http_requests_of_one_batch_call_are_its_events(self, tmp_path: Path) -> None:
        if self.invoke != "batch":
            # Per-component mode: the same requests, one call each (the first case).
            out, _ = self._run_http(tmp_path, ("POST",), ["post", "post"], 2)
            assert [e.component_purl for e in out.events] == [
                "pkg:npm/post@0.0.0",
                "pkg:npm/post@1.0.0",
            ]
            return
        out, bodies = self._run_http(tmp_path, ("POST",), ["post", "none", "post"], 3)
        assert out.stats[next(iter(out.stats))].count == 1
        assert len(bodies) == 2
        assert [e.component_purl for e in out.events] == ["batch:pkg:npm/post@0.0.0+2"] * 2
        assert [f.component_purl for f in out.findings] == [
            "pkg:npm/post@0.0.0",
            "pkg:npm/post@2.0.0",
        ]
