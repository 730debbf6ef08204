"""Gates: which report contents trip which --fail-on / --max-* options."""

from __future__ import annotations

import pytest

from bomhost.errors import UsageError
from bomhost.gates import GateOptions, evaluate, parse_fail_on
from bomhost.model import ChangeSet, Component, Finding, LicenseChange, PluginError, VersionChange
from bomhost.report.model import Enrichment


def _c(name: str, version: str, licenses: tuple[str, ...] = ()) -> Component:
    return Component(
        name=name,
        version=version,
        ecosystem="npm",
        purl=f"pkg:npm/{name}@{version}",
        licenses=licenses,
    )


def _finding(severity: str) -> Finding:
    return Finding(
        plugin_name="p",
        component_purl="pkg:npm/a@1",
        kind="k",
        message="m",
        severity=severity,
        rule_id="r",
    )


CHANGES = ChangeSet(
    added=(_c("a", "1"), _c("b", "1")),
    version_changed=(
        VersionChange(before=_c("c", "2"), after=_c("c", "1"), direction="downgrade"),
    ),
    license_changed=(
        LicenseChange(before=_c("d", "1", ("MIT",)), after=_c("d", "1", ("GPL-3.0",))),
    ),
)


def test_fail_on_accepts_repeats_and_commas_and_drops_none() -> None:
    assert parse_fail_on(["license-change,downgrade", "none", "error"]) == {
        "license-change",
        "downgrade",
        "error",
    }


def test_fail_on_unknown_value_names_it_and_the_choices() -> None:
    with pytest.raises(UsageError, match=r"unknown value 'licence-change'.*license-change"):
        parse_fail_on(["licence-change"])


def test_no_gates_requested_nothing_trips() -> None:
    assert evaluate(CHANGES, Enrichment(plugin_findings=(_finding("error"),)), GateOptions()) == ()


def test_any_trips_on_each_risk_signal_but_not_plain_additions() -> None:
    gates = evaluate(CHANGES, Enrichment(), GateOptions(fail_on=frozenset({"any"})))
    assert [g.option for g in gates] == ["--fail-on license-change", "--fail-on downgrade"]
    plain = ChangeSet(added=(_c("a", "1"),))
    assert evaluate(plain, Enrichment(), GateOptions(fail_on=frozenset({"any"}))) == ()


def test_severity_thresholds() -> None:
    warn_only = Enrichment(plugin_findings=(_finding("warning"), _finding("info")))
    assert evaluate(ChangeSet(), warn_only, GateOptions(fail_on=frozenset({"error"}))) == ()
    gates = evaluate(ChangeSet(), warn_only, GateOptions(fail_on=frozenset({"warning"})))
    assert [g.reason for g in gates] == ["1 plugin finding(s) of severity warning or higher"]


def test_plugin_errors_trip_only_when_asked() -> None:
    errors = Enrichment(
        plugin_errors=(
            PluginError(plugin_name="p", component_purl="x", error_kind="timeout", message="t"),
        )
    )
    assert evaluate(ChangeSet(), errors, GateOptions(fail_on=frozenset({"any"}))) == ()
    gates = evaluate(ChangeSet(), errors, GateOptions(fail_on=frozenset({"plugin-error"})))
    assert [g.option for g in gates] == ["--fail-on plugin-error"]


def test_max_limits_trip_strictly_above() -> None:
    opts = GateOptions(max_added=2, max_removed=0, max_version_changed=0)
    gates = evaluate(CHANGES, Enrichment(), opts)
    assert [(g.option, g.reason) for g in gates] == [
        ("--max-version-changed 0", "1 version changes (limit 0)")
    ]
