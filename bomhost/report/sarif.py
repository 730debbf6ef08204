"""The SARIF 2.1.0 report, for GitHub Code Scanning and other SARIF consumers.

Rule ids are public API (Code Scanning keys suppressions on them), so they never change. The
first ten are bomdrift's (render/sarif/rules.rs), in its order, with its results' messages,
levels, properties and fingerprints:

- ``bomdrift.cve``: one result per advisory (level error for HIGH/CRITICAL, else warning);
  ``bomdrift.typosquat``, ``bomdrift.version-jump``, ``bomdrift.young-maintainer``,
  ``bomdrift.license-change``, ``bomdrift.license-violation``, ``bomdrift.recently-published``,
  ``bomdrift.deprecated`` (error), ``bomdrift.maintainer-set-changed``: one per entry of the
  signal section (:mod:`bomhost.report.signals`).
- ``bomdrift.plugin`` (plugin-chosen level): every plugin finding that is not a signal finding:
  level info->note, warning->warning, error->error; message ``"<plugin> (<kind>): <message>"``;
  fingerprint sha256 of ``bomdrift.plugin|<plugin>|<purl>|<rule_id>``.

Then bomhost's own:

- ``bomhost.hash-changed`` (warning): same version, a digest of the same algorithm differs.
- ``bomhost.downgrade`` (warning): a version change that goes down (bomdrift does not report it).
- ``bomhost.plugin-error`` (warning): a plugin call failed, so its findings for that component
  are missing (bomdrift drops these silently).

Every result points at the after SBOM as given on the command line (a relative path stays
relative, so Code Scanning resolves it against the checkout; bomdrift writes the placeholder
``sbom``). An SBOM-derived finding has no source line, so there is no region. Additions, removals
and upgrades are not results (they are the diff, not findings); sandbox decisions stay in the
JSON report. ``partialFingerprints."primaryHash/v1"`` is the hex sha256 of a ``|``-joined identity
that excludes anything run-dependent (timings, error text), so an alert keeps its state.
"""

from __future__ import annotations

import hashlib
import json
import os
from pathlib import PurePosixPath, PureWindowsPath
from typing import Any
from urllib.parse import quote

from bomhost.model import Finding, HashChange, LicenseChange, PluginError, Severity, VersionChange
from bomhost.report.json import dumps_pretty
from bomhost.report.model import Report
from bomhost.report.signals import Entry, Signals, collect, is_signal, severity_rank

SARIF_SCHEMA = (
    "https://raw.githubusercontent.com/oasis-tcs/sarif-spec/master/Schemata/sarif-schema-2.1.0.json"
)
SARIF_VERSION = "2.1.0"

RULE_CVE = "bomdrift.cve"
RULE_TYPOSQUAT = "bomdrift.typosquat"
RULE_VERSION_JUMP = "bomdrift.version-jump"
RULE_YOUNG_MAINTAINER = "bomdrift.young-maintainer"
RULE_LICENSE_CHANGE = "bomdrift.license-change"
RULE_LICENSE_VIOLATION = "bomdrift.license-violation"
RULE_RECENTLY_PUBLISHED = "bomdrift.recently-published"
RULE_DEPRECATED = "bomdrift.deprecated"
RULE_MAINTAINER_SET_CHANGED = "bomdrift.maintainer-set-changed"
RULE_PLUGIN = "bomdrift.plugin"
RULE_HASH_CHANGED = "bomhost.hash-changed"
RULE_DOWNGRADE = "bomhost.downgrade"
RULE_PLUGIN_ERROR = "bomhost.plugin-error"

_PLUGIN_LEVEL: dict[Severity, str] = {"info": "note", "warning": "warning", "error": "error"}
_DOCS = "https://metbcy.github.io/bomdrift/"

# (id, name, short description, full description, helpUri or None). Order fixes ruleIndex.
_RULES: tuple[tuple[str, str, str, str, str | None], ...] = (
    (
        RULE_CVE,
        "cve",
        "Known CVE / advisory affects this component",
        "OSV returned one or more advisory IDs (CVE, GHSA, MAL, etc.) for the component at this "
        "version. Severity is the advisory's GHSA label, else its highest CVSS score; results "
        "map Critical/High to SARIF `error`, lower buckets to `warning`. Advisories with no "
        "resolvable severity surface as `warning` and don't trip `--fail-on critical-cve`.",
        _DOCS + "enrichers/osv-cve.html",
    ),
    (
        RULE_TYPOSQUAT,
        "typosquat",
        "Newly added component name is similar to a popular package",
        "The added component's name is suspiciously close to a popular package in the same "
        "ecosystem. High similarity does not prove malicious intent — investigate the package "
        "source before merging. Always informational severity (`warning`).",
        _DOCS + "enrichers/typosquat.html",
    ),
    (
        RULE_VERSION_JUMP,
        "version-jump",
        "Multi-major version bump detected",
        "The component's major version increased by 2 or more (--multi-major-delta) in a single "
        "diff (e.g. 1.x to 4.x). Multi-major bumps correlate with takeover swaps and namespace "
        "reuse, not just legitimate refactors. Always informational severity (`warning`).",
        _DOCS + "enrichers/version-jump.html",
    ),
    (
        RULE_YOUNG_MAINTAINER,
        "young-maintainer",
        "Top contributor's first commit is recent",
        "The newly added component's top contributor made their first commit less than 90 days "
        "ago (--young-maintainer-days). The xz / Jia Tan supply-chain-takeover pattern. Always "
        "informational severity (`warning`).",
        _DOCS + "enrichers/maintainer-age.html",
    ),
    (
        RULE_LICENSE_CHANGE,
        "license-change",
        "License changed without a version bump",
        "The component's license set differs between before and after at the same version. "
        "Could be a corrected SBOM, a license rug-pull, or a supply-chain swap.",
        _DOCS + "output-formats.html#sarif-v210",
    ),
    (
        RULE_LICENSE_VIOLATION,
        "license-violation",
        "Component license violates configured allow/deny policy",
        "The component's declared license is on the deny list, is not on the allow list, or is "
        "an expression that cannot be decided against the policy. Configure it with "
        "`--allow-licenses` / `--deny-licenses` or `[diff.license]` in `.bomdrift.toml`.",
        _DOCS + "license-policy.html",
    ),
    (
        RULE_RECENTLY_PUBLISHED,
        "recently-published",
        "Newly added component was published to its registry recently",
        "The component's registry publish timestamp is younger than the configured threshold "
        "(default 14 days). Recent publishes correlate with takeover swaps and namespace-reuse "
        "attacks. Always informational severity (`warning`).",
        _DOCS + "enrichers/registry.html",
    ),
    (
        RULE_DEPRECATED,
        "deprecated",
        "Component is deprecated or yanked upstream",
        "The component's package registry marks this version (or the package) as deprecated, "
        "yanked, or inactive. Severity `error` because the upstream signal is unambiguous.",
        _DOCS + "enrichers/registry.html",
    ),
    (
        RULE_MAINTAINER_SET_CHANGED,
        "maintainer-set-changed",
        "npm package's maintainer set changed across the version bump",
        "The set of npm maintainers of the new version differs from the old version's. New "
        "maintainers gaining publish rights is a classic takeover-attack precursor.",
        _DOCS + "enrichers/registry.html",
    ),
    (
        RULE_PLUGIN,
        "plugin",
        "External plugin reported a finding",
        "A plugin (loaded via --plugin) reported a finding against an added or version-changed "
        "component. Severity is plugin-controlled (info -> note, warning -> warning, "
        "error -> error); the plugin name and finding kind are in the result's properties.",
        _DOCS + "plugins.html",
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
        RULE_DOWNGRADE,
        "downgrade",
        "Component version went down",
        "The component moved to a lower version. A downgrade can reintroduce fixed "
        "vulnerabilities or be the trace of a dependency-confusion or rollback attack.",
        None,
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


def artifact_uri(path: str) -> str:
    """The SBOM path as a SARIF artifact URI: relative stays relative, absolute becomes file://."""
    if os.sep != "/" and PureWindowsPath(path).is_absolute():  # pragma: no cover - Windows
        return PureWindowsPath(path).as_uri()
    posix = PurePosixPath(path.replace(os.sep, "/"))
    if posix.is_absolute():
        return posix.as_uri()
    return quote(str(posix), safe="/-._~")


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
    rule_id: str, level: str, text: str, fp: str, properties: dict[str, Any], uri: str
) -> dict[str, Any]:
    return {
        "ruleId": rule_id,
        "ruleIndex": _RULE_INDEX[rule_id],
        "level": level,
        "message": {"text": text},
        "locations": [{"physicalLocation": {"artifactLocation": {"uri": uri}}}],
        "partialFingerprints": {"primaryHash/v1": fp},
        "properties": properties,
    }


def _license_change(lc: LicenseChange, uri: str) -> dict[str, Any]:
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
        uri,
    )


def _debug_list(items: tuple[str, ...]) -> str:
    return json.dumps(list(items), ensure_ascii=False)


def _hash_change(hc: HashChange, uri: str) -> dict[str, Any]:
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
        uri,
    )


def _plugin_finding(f: Finding, uri: str) -> dict[str, Any]:
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
        uri,
    )


def _plugin_error(e: PluginError, uri: str) -> dict[str, Any]:
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
        uri,
    )


def _downgrade(vc: VersionChange, uri: str) -> dict[str, Any]:
    after = vc.after
    return _result(
        RULE_DOWNGRADE,
        "warning",
        f"`{after.name}` went down from {vc.before.version} to {after.version}. Confirm the "
        "downgrade is intended: it can reintroduce fixed vulnerabilities.",
        fingerprint(RULE_DOWNGRADE, after.display_id, vc.before.version, after.version),
        {
            "purl": after.purl,
            "name": after.name,
            "beforeVersion": vc.before.version,
            "afterVersion": after.version,
        },
        uri,
    )


def _two(value: Any) -> str:
    return f"{value:.2f}" if isinstance(value, int | float) else str(value)


def _signal_results(signals: Signals, key: str, uri: str) -> list[dict[str, Any]]:
    """bomdrift's results for one signal section (render/sarif/results.rs, same order)."""
    if key == "vulns":
        out = []
        for purl, refs in signals.vulns().items():
            values = sorted(
                (e.value for e in refs),
                key=lambda v: (-severity_rank(v.get("severity")), str(v.get("id"))),
            )
            for v in values:
                props: dict[str, Any] = {
                    "purl": purl,
                    "advisoryId": v.get("id"),
                    "severity": v.get("severity"),
                }
                if v.get("epss_score") is not None:
                    props["epssScore"] = v["epss_score"]
                if v.get("kev") is True:
                    props["kev"] = True
                level = "error" if v.get("severity") in ("HIGH", "CRITICAL") else "warning"
                text = (
                    f"{v.get('id')} ({v.get('severity')}) affects {purl}. Review the advisory and "
                    "update or pin a patched version."
                )
                fp = fingerprint(RULE_CVE, purl, str(v.get("id")))
                out.append(_result(RULE_CVE, level, text, fp, props, uri))
        return out
    return [_signal_result(key, e, uri) for e in signals.of(key)]


def _signal_result(key: str, e: Entry, uri: str) -> dict[str, Any]:
    c, d = e.component, e.value
    ident = c.purl or c.name
    if key == "typosquats":
        closest = str(d.get("closest"))
        return _result(
            RULE_TYPOSQUAT,
            "warning",
            f"`{c.name}` is similar to popular package `{closest}` (similarity "
            f"{_two(d.get('score'))}). Verify the package source before merging.",
            fingerprint(RULE_TYPOSQUAT, ident, closest),
            {
                "purl": c.purl,
                "name": c.name,
                "version": c.version,
                "closest": closest,
                "similarity": d.get("score"),
            },
            uri,
        )
    if key == "version_jumps":
        before = e.before.version if e.before else ""
        return _result(
            RULE_VERSION_JUMP,
            "warning",
            f"`{c.name}` jumped from {before} to {c.version} (major {d.get('before_major')} -> "
            f"{d.get('after_major')}). Multi-major bumps deserve extra scrutiny.",
            fingerprint(RULE_VERSION_JUMP, ident, before, c.version),
            {
                "purl": c.purl,
                "name": c.name,
                "beforeVersion": before,
                "afterVersion": c.version,
                "beforeMajor": d.get("before_major"),
                "afterMajor": d.get("after_major"),
            },
            uri,
        )
    if key == "maintainer_age":
        top = str(d.get("top_contributor"))
        return _result(
            RULE_YOUNG_MAINTAINER,
            "warning",
            f"`{c.name}` top contributor `{top}` made their first commit {d.get('days_old')} "
            f"day(s) ago ({d.get('first_commit_at')}). Investigate maintainer history before "
            "merging.",
            fingerprint(RULE_YOUNG_MAINTAINER, ident, top),
            {
                "purl": c.purl,
                "name": c.name,
                "topContributor": top,
                "firstCommitAt": d.get("first_commit_at"),
                "daysOld": d.get("days_old"),
            },
            uri,
        )
    if key == "license_violations":
        lic = str(d.get("license"))
        return _result(
            RULE_LICENSE_VIOLATION,
            "warning",
            f"`{c.name}` license `{lic}` violates policy ({d.get('matched_rule')}).",
            fingerprint(RULE_LICENSE_VIOLATION, ident, lic),
            {
                "purl": c.purl,
                "name": c.name,
                "version": c.version,
                "license": lic,
                "matchedRule": d.get("matched_rule"),
                "kind": d.get("kind"),
            },
            uri,
        )
    if key == "recently_published":
        published = str(d.get("published_at"))
        return _result(
            RULE_RECENTLY_PUBLISHED,
            "warning",
            f"`{c.name}` was published {d.get('days_old')} day(s) ago ({published}). Recent "
            "publishes correlate with takeover swaps.",
            fingerprint(RULE_RECENTLY_PUBLISHED, ident, published),
            {
                "purl": c.purl,
                "name": c.name,
                "version": c.version,
                "publishedAt": published,
                "daysOld": d.get("days_old"),
            },
            uri,
        )
    if key == "deprecated":
        message = d.get("message")
        msg = str(message) if message is not None else "(deprecated upstream)"
        return _result(
            RULE_DEPRECATED,
            "error",
            f"`{c.name}` is deprecated upstream: {msg}",
            fingerprint(RULE_DEPRECATED, ident, msg),
            {"purl": c.purl, "name": c.name, "version": c.version, "message": msg},
            uri,
        )
    added_list = [str(x) for x in d.get("added") or []]
    removed_list = [str(x) for x in d.get("removed") or []]
    added, removed = ",".join(added_list), ",".join(removed_list)
    before = e.before.version if e.before else ""
    return _result(
        RULE_MAINTAINER_SET_CHANGED,
        "warning",
        f"`{c.name}` maintainer set changed: +{added or '(none)'} / -{removed or '(none)'}.",
        fingerprint(RULE_MAINTAINER_SET_CHANGED, ident, added, removed),
        {
            "purl": c.purl,
            "name": c.name,
            "before": before,
            "after": c.version,
            "added": added_list,
            "removed": removed_list,
        },
        uri,
    )


def sarif_document(report: Report) -> dict[str, Any]:
    """The SARIF log as Python data."""
    uri = artifact_uri(report.new.path)
    signals = collect(report)
    results = [
        *_signal_results(signals, "vulns", uri),
        *_signal_results(signals, "typosquats", uri),
        *_signal_results(signals, "version_jumps", uri),
        *_signal_results(signals, "maintainer_age", uri),
        *(_license_change(lc, uri) for lc in report.changes.license_changed),
        *_signal_results(signals, "license_violations", uri),
        *_signal_results(signals, "recently_published", uri),
        *_signal_results(signals, "deprecated", uri),
        *_signal_results(signals, "maintainer_set_changed", uri),
        *(_plugin_finding(f, uri) for f in report.enrichment.plugin_findings if not is_signal(f)),
        *(_hash_change(hc, uri) for hc in report.changes.hash_changed),
        *(
            _downgrade(vc, uri)
            for vc in report.changes.version_changed
            if vc.direction == "downgrade"
        ),
        *(_plugin_error(e, uri) for e in report.enrichment.plugin_errors),
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
