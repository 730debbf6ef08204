"""Small, realistic Reports for the renderer tests, built straight from the models."""

from __future__ import annotations

from bomhost.model import (
    ChangeSet,
    Component,
    Finding,
    Hash,
    HashChange,
    LicenseChange,
    PluginError,
    SandboxEvent,
    VersionChange,
)
from bomhost.report.model import (
    Distribution,
    Enrichment,
    Gate,
    PluginLog,
    PluginStats,
    Report,
    Sandbox,
    SbomInfo,
)

SHA_A = "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08"
SHA_B = "60303ae22b998861bce3b28f33eec1be758a213c86c93c076dbe9f558c11c752"


def npm(name: str, version: str, *, licenses: tuple[str, ...] = ("MIT",)) -> Component:
    return Component(
        name=name,
        version=version,
        ecosystem="npm",
        purl=f"pkg:npm/{name}@{version}",
        licenses=licenses,
        hashes=(Hash(alg="sha1", value="0f3a8b8c5e9d0a1b2c3d4e5f60718293a4b5c6d7"),),
        relationship="direct",
    )


def pypi(name: str, version: str, *, sha256: str = SHA_A) -> Component:
    return Component(
        name=name,
        version=version,
        ecosystem="pypi",
        purl=f"pkg:pypi/{name}@{version}",
        licenses=("Apache-2.0",),
        hashes=(Hash(alg="sha256", value=sha256),),
    )


def golang(path: str, version: str) -> Component:
    return Component(
        name=path,
        version=version,
        ecosystem="go",
        purl=f"pkg:golang/{path}@{version}",
        bom_ref=f"pkg:golang/{path}@{version}",
    )


def sbom_info(path: str, components: int) -> SbomInfo:
    return SbomInfo(path=path, format="cyclonedx-json", spec_version="1.5", components=components)


def rich_report() -> Report:
    """One of everything: every bucket, findings of each severity, an error, sandbox data."""
    changes = ChangeSet(
        added=(npm("left-pad", "1.3.0"), golang("github.com/miekg/dns", "v1.1.41")),
        removed=(pypi("six", "1.16.0"),),
        version_changed=(
            VersionChange(
                before=golang("github.com/go-resty/resty/v2", "v2.3.0"),
                after=golang("github.com/go-resty/resty/v2", "v2.6.0"),
                direction="upgrade",
            ),
            VersionChange(
                before=npm("lodash", "4.17.21"),
                after=npm("lodash", "4.17.20"),
                direction="downgrade",
            ),
        ),
        license_changed=(
            LicenseChange(
                before=npm("axios", "1.14.0"),
                after=npm("axios", "1.14.0", licenses=("GPL-3.0-only",)),
            ),
        ),
        hash_changed=(
            HashChange(
                before=pypi("requests", "2.32.3", sha256=SHA_A),
                after=pypi("requests", "2.32.3", sha256=SHA_B),
                algorithms=("sha256",),
            ),
        ),
    )
    findings = (
        Finding(
            plugin_name="banned-packages",
            component_purl="pkg:npm/left-pad@1.3.0",
            kind="banned",
            message="left-pad is banned",
            severity="error",
            rule_id="banned/left-pad",
        ),
        Finding(
            plugin_name="age-check",
            component_purl="pkg:golang/github.com/miekg/dns@v1.1.41",
            kind="fresh",
            message="published 3 days ago",
            severity="warning",
            rule_id="age/fresh",
        ),
        Finding(
            plugin_name="banned-packages",
            component_purl="pkg:npm/lodash@4.17.20",
            kind="note",
            message="lodash is discouraged",
            severity="info",
            rule_id="banned/lodash",
        ),
    )
    errors = (
        PluginError(
            plugin_name="slow-scanner",
            component_purl="pkg:npm/left-pad@1.3.0",
            error_kind="timeout",
            message="no answer within 5000 ms; killed",
        ),
    )
    sandbox = Sandbox(
        events=(
            SandboxEvent(
                plugin_name="age-check",
                component_purl="pkg:golang/github.com/miekg/dns@v1.1.41",
                decision="deny",
                rule_id="net.allow",
                reason_code="host_not_allowed",
                context={"port": 443, "host": "proxy.golang.org"},
            ),
            SandboxEvent(
                plugin_name="age-check",
                component_purl="pkg:npm/left-pad@1.3.0",
                decision="allow",
                rule_id="imports.allow",
                reason_code="granted",
            ),
        ),
        # Inserted out of order on purpose: the output must not depend on insertion order.
        stats={
            "slow-scanner": PluginStats(
                count=2, elapsed_ms=Distribution(p50=5000.0, p95=5000.0, max=5001.5)
            ),
            "age-check": PluginStats(
                count=3,
                elapsed_ms=Distribution(p50=1.5, p95=2.25, max=3.0),
                fuel=Distribution(p50=1000.0, p95=2000.0, max=2500.0),
                memory_bytes=Distribution(p50=65536.0, p95=65536.0, max=131072.0),
            ),
        },
        logs=(
            PluginLog(
                plugin_name="age-check",
                component_purl="pkg:npm/left-pad@1.3.0",
                level="info",
                message="checked",
            ),
        ),
    )
    return Report(
        bomhost_version="0.1.0",
        generated_at="2024-01-02T03:04:05Z",
        old=sbom_info("old.cdx.json", 201),
        new=sbom_info("new.cdx.json", 202),
        changes=changes,
        enrichment=Enrichment(plugin_findings=findings, plugin_errors=errors),
        sandbox=sandbox,
        warnings=("plugin banned-packages: unknown manifest key 'timeout' ignored",),
        gates=(Gate(option="--fail-on any", reason="3 plugin findings"),),
    )


def empty_report() -> Report:
    return Report(
        bomhost_version="0.1.0",
        generated_at="2024-01-02T03:04:05Z",
        old=sbom_info("old.cdx.json", 10),
        new=sbom_info("new.cdx.json", 10),
        changes=ChangeSet(),
    )
