"""The SARIF 2.1.0 report, for GitHub Code Scanning and other SARIF consumers.

Rule ids are public API (Code Scanning keys suppressions on them), so they never change:

- ``bomdrift.license-change`` (warning): same version, different licences, as bomdrift emits it.
- ``bomdrift.plugin`` (plugin-chosen level): one result per plugin finding, byte-compatible with
  bomdrift: level info->note, warning->warning, error->error; message
  ``"<plugin> (<kind>): <message>"``; fingerprint sha256 of ``bomdrift.plugin|<plugin>|<purl>|<rule_id>``.
- ``bomhost.hash-changed`` (warning): same version, a digest of the same algorithm differs.
- ``bomhost.plugin-error`` (warning): a plugin call failed, so its findings for that component
  are missing (bomdrift drops these silently).

Like bomdrift, additions, removals and version bumps are not results (they are the diff, not
findings), and every result points at the synthetic artifact ``sbom``: an SBOM-derived finding has
no source line. Sandbox decisions stay in the JSON report. ``partialFingerprints."primaryHash/v1"``
is the hex sha256 of a ``|``-joined identity that excludes anything run-dependent (timings, error
text), so an alert keeps its state across runs.
"""

from __future__ import annotations

import hashlib
import json
from typing import Any

from bomhost.model import Finding, HashChange, LicenseChange, PluginError, Severity
from bomhost.report.json import dumps_pretty
from bomhost.report.model import Report

SARIF_SCHEMA = (
    "https://raw.githubusercontent.com/oasis-tcs/sarif-spec/master/Schemata/sarif-schema-2.1.0.json"
)
SARIF_VERSION = "2.1.0"
ARTIFACT_URI = "sbom"

RULE_LICENSE_CHANGE = "bomdrift.license-change"
RULE_PLUGIN = "bomdrift.plugin"
RULE_HASH_CHANGED = "bomhost.hash-changed"
RULE_PLUGIN_ERROR = "bomhost.plugin-error"

_PLUGIN_LEVEL: dict[Severity, str] = {"info": "note", "warning": "warning", "error": "error"}

# (id, name, short description, full description, helpUri or None). Order fixes ruleIndex.
_RULES: tuple[tuple[str, str, str, str, str | None], ...] = (
    (
        RULE_LICENSE_CHANGE,
        "license-change",
        "License changed without a version bump",
        "The component's license set differs between before and after at the same version. "
        "Could be a corrected SBOM, a license rug-pull, or a supply-chain swap.",
        "https://metbcy.github.io/bomdrift/output-formats.html#sarif-v210",
    ),
    (
        RULE_HASH_CHANGED,
        "hash-changed",
        "Digest changed without a version bump",
        "A digest of the same algorithm differs between before and after at the same version. "
        "Re-published or tampered artifacts look like this; verify the package source.",
        None,
    ),
    (
        RULE_PLUGIN,
        "plugin",
        "External plugin reported a finding",
        "A plugin (loaded via --plugin) reported a finding against an added or version-changed "
        "component. Severity is plugin-controlled (info -> note, warning -> warning, "
        "error -> error); the plugin name and finding kind are in the result's properties.",
        "https://metbcy.github.io/bomdrift/plugins.html",
    ),
    (
        RULE_PLUGIN_ERROR,
        "plugin-error",
        "A plugin failed on a component",
        "A plugin call failed (spawn error, non-zero exit, timeout, bad output, or a sandbox "
        "limit), so any findings it would have reported for this component are missing.",
        None,
    ),
)
_RULE_INDEX = {rule[0]: i for i, rule in enumerate(_RULES)}


def fingerprint(*parts: str) -> str:
    """Hex sha256 of ``parts`` joined with ``|`` (bomdrift's identity hash)."""
    return hashlib.sha256("|".join(parts).encode("utf-8")).hexdigest()


def _rule(rule_id: str, name: str, short: str, full: str, help_uri: str | None) -> dict[str, Any]:
    rule: dict[str, Any] = {
        "id": rule_id,
        "name": name,
        "shortDescription": {"text": short},
        "fullDescription": {"text": full},
    }
    if help_uri is not None:
        rule["helpUri"] = help_uri
    rule["defaultConfiguration"] = {"level": "warning"}
    return rule


def _result(
    rule_id: str, level: str, text: str, fp: str, properties: dict[str, Any]
) -> dict[str, Any]:
    return {
        "ruleId": rule_id,
        "ruleIndex": _RULE_INDEX[rule_id],
        "level": level,
        "message": {"text": text},
        "locations": [{"physicalLocation": {"artifactLocation": {"uri": ARTIFACT_URI}}}],
        "partialFingerprints": {"primaryHash/v1": fp},
        "properties": properties,
    }


def _license_change(lc: LicenseChange) -> dict[str, Any]:
    after = lc.after
    ident = after.display_id
    before_join = ",".join(sorted(lc.before.licenses))
    after_join = ",".join(sorted(after.licenses))
    # bomdrift formats the lists with Rust's {:?}; JSON lists of strings read the same.
    text = (
        f"`{after.name}` license changed at the same version: "
        f"{_debug_list(lc.before.licenses)} -> {_debug_list(after.licenses)}. "
        "Could be a corrected SBOM, a license rug-pull, or a swap."
    )
    return _result(
        RULE_LICENSE_CHANGE,
        "warning",
        text,
        fingerprint(RULE_LICENSE_CHANGE, ident, before_join, after_join),
        {
            "purl": after.purl,
            "name": after.name,
            "version": after.version,
            "beforeLicenses": list(lc.before.licenses),
            "afterLicenses": list(after.licenses),
        },
    )


def _debug_list(items: tuple[str, ...]) -> str:
    return json.dumps(list(items), ensure_ascii=False)


def _hash_change(hc: HashChange) -> dict[str, Any]:
    after = hc.after
    new_digests = sorted(f"{h.alg}:{h.value}" for h in after.hashes if h.alg in hc.algorithms)
    algs = ", ".join(hc.algorithms)
    text = (
        f"`{after.name}` {after.version}: {algs} digest changed at the same version. "
        "The artifact was re-published or tampered with; verify its source before merging."
    )
    return _result(
        RULE_HASH_CHANGED,
        "warning",
        text,
        # The new digests are part of the identity: a second swap at the same version is a
        # new event and must open a new alert rather than stay hidden under a dismissed one.
        fingerprint(RULE_HASH_CHANGED, after.display_id, after.version, ",".join(new_digests)),
        {
            "purl": after.purl,
            "name": after.name,
            "version": after.version,
            "algorithms": list(hc.algorithms),
            "beforeHashes": [h.model_dump(mode="json") for h in hc.before.hashes],
            "afterHashes": [h.model_dump(mode="json") for h in after.hashes],
        },
    )


def _plugin_finding(f: Finding) -> dict[str, Any]:
    return _result(
        RULE_PLUGIN,
        _PLUGIN_LEVEL[f.severity],
        f"{f.plugin_name} ({f.kind}): {f.message}",
        fingerprint(RULE_PLUGIN, f.plugin_name, f.component_purl, f.rule_id),
        {
            "pluginName": f.plugin_name,
            "findingKind": f.kind,
            "ruleId": f.rule_id,
            "purl": f.component_purl,
            "severity": f.severity,
        },
    )


def _plugin_error(e: PluginError) -> dict[str, Any]:
    return _result(
        RULE_PLUGIN_ERROR,
        "warning",
        f"{e.plugin_name} failed on {e.component_purl} ({e.error_kind}): {e.message}",
        # The message is left out: it carries timings and byte counts that vary run to run.
        fingerprint(RULE_PLUGIN_ERROR, e.plugin_name, e.component_purl, e.error_kind),
        {
            "pluginName": e.plugin_name,
            "purl": e.component_purl,
            "errorKind": e.error_kind,
        },
    )


def sarif_document(report: Report) -> dict[str, Any]:
    """The SARIF log as Python data."""
    results = [
        *(_license_change(lc) for lc in report.changes.license_changed),
        *(_hash_change(hc) for hc in report.changes.hash_changed),
        *(_plugin_finding(f) for f in report.enrichment.plugin_findings),
        *(_plugin_error(e) for e in report.enrichment.plugin_errors),
    ]
    return {
        "$schema": SARIF_SCHEMA,
        "version": SARIF_VERSION,
        "runs": [
            {
                "tool": {
                    "driver": {
                        "name": "bomhost",
                        "semanticVersion": report.bomhost_version,
                        "rules": [_rule(*rule) for rule in _RULES],
                    }
                },
                "results": results,
            }
        ],
    }


def render_sarif(report: Report) -> str:
    """The SARIF 2.1.0 report text."""
    return dumps_pretty(sarif_document(report))
