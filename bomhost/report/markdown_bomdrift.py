"""bomdrift's Markdown PR comment, byte for byte (``--markdown-style bomdrift``).

The layout, wording, tables and ordering of bomdrift v0.9.7's ``render/markdown.rs``: the counts
table (with a row per signal that found something), then Added, Removed, Version changed, License
violations, License changed, Vulnerabilities, Possible typosquats, Multi-major version jumps,
Young maintainers, Recently published, Deprecated upstream, Maintainer set changed and Plugin
findings. bomhost's own buckets (hash changes, downgrades, plugin errors, sandbox denials) and
its size limit are not in this layout: it exists so that a comment, a golden file or a parser
built for bomdrift keeps working. bomdrift has no footer without ``--repo-url``, which bomhost
does not take, so there is none.

One deliberate difference: bomdrift writes SBOM text into the page as it is, so a component
named ``a|b`` splits a table cell and ``<img src=x>`` is HTML. Here the characters that can change
the page's structure (``|``, ``<``, ``>``, ``&``, backticks and line breaks) are escaped; names
without them (every real package name) come out exactly as bomdrift prints them.
"""

from __future__ import annotations

import re

from bomhost.model import Component
from bomhost.report.model import Report
from bomhost.report.signals import Entry, Signals, collect, is_signal, severity_rank

_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f\u2028\u2029]+")
_STRUCTURE = {"|": "\\|", "<": "&lt;", ">": "&gt;", "&": "&amp;", "`": "\\`"}
_STRUCTURE_RE = re.compile(r"[|<>&`]")

_PLUGIN_PREFIX = {"info": "\u2139\ufe0f info", "warning": "⚠️ warning", "error": "❌ error"}


def _t(value: object) -> str:
    """Text as bomdrift prints it, minus anything that would restructure the page."""
    text = _CONTROL.sub(" ", "" if value is None else str(value))
    return _STRUCTURE_RE.sub(lambda m: _STRUCTURE[m.group()], text)


def _code(value: object) -> str:
    """Inside bomdrift's single-backtick code spans: a backtick would close it, so it is dropped."""
    return _CONTROL.sub(" ", "" if value is None else str(value)).replace("`", "'")


def _open(out: list[str], label: str, count: int, teaser: str | None = None) -> None:
    out.append(f"### {label} ({count})\n\n")
    out.append("<details><summary>Show details")
    if teaser:
        out.append(f" · {teaser}")
    out.append("</summary>\n\n")


def _close(out: list[str]) -> None:
    out.append("\n</details>\n\n")


def _license_cell(licenses: tuple[str, ...]) -> str:
    return ", ".join(_t(x) for x in licenses) if licenses else "(none)"


def _fmt2(value: object) -> str:
    """Rust's ``{:.2}`` of an f64 (both round the exact binary value, half to even)."""
    return f"{value:.2f}" if isinstance(value, int | float) else _t(value)


def _row(*cells: object) -> str:
    return "| " + " | ".join(str(c) for c in cells) + " |\n"


def _comp(e: Entry, key: str = "component") -> dict[str, object]:
    value = e.value.get(key)
    return value if isinstance(value, dict) else {}


def _vuln_components(report: Report, signals: Signals) -> list[tuple[Component, list[Entry]]]:
    by_purl = signals.vulns()
    comps: list[tuple[Component, list[Entry]]] = []
    seen: set[str] = set()
    candidates = [*report.changes.added, *(vc.after for vc in report.changes.version_changed)]
    for c in candidates:
        if c.purl and c.purl in by_purl and c.purl not in seen:
            seen.add(c.purl)
            comps.append((c, by_purl[c.purl]))

    def max_sev(item: tuple[Component, list[Entry]]) -> int:
        return max(severity_rank(e.value.get("severity")) for e in item[1])

    # Highest severity first, then ecosystem, then name (bomdrift's vuln_components_sorted).
    comps.sort(key=lambda item: (-max_sev(item), item[0].ecosystem, item[0].name))
    return comps


def _sorted_refs(refs: list[Entry]) -> list[dict[str, object]]:
    values = [e.value for e in refs]
    return sorted(values, key=lambda v: (-severity_rank(v.get("severity")), str(v.get("id"))))


def render_bomdrift_markdown(report: Report, *, view: str = "full") -> str:
    """The Markdown bomdrift would print for this diff and these findings."""
    cs = report.changes
    signals = collect(report)
    plugin = [f for f in report.enrichment.plugin_findings if not is_signal(f)]
    of = signals.of
    out: list[str] = ["## SBOM diff\n\n"]
    has_findings = bool(signals.entries and any(signals.entries.values())) or bool(plugin)
    bomdrift_empty = not (cs.added or cs.removed or cs.version_changed or cs.license_changed)
    if bomdrift_empty and not has_findings:
        out.append("_No dependency changes._\n")
        return "".join(out)

    out.append("| Change | Count |\n|---|---:|\n")
    out.append(f"| Added | {len(cs.added)} |\n")
    out.append(f"| Removed | {len(cs.removed)} |\n")
    out.append(f"| Version changed | {len(cs.version_changed)} |\n")
    out.append(f"| License changed | {len(cs.license_changed)} |\n")
    rows = (
        ("Vulnerabilities", signals.vuln_count()),
        ("Possible typosquats", len(of("typosquats"))),
        ("Multi-major version jumps", len(of("version_jumps"))),
        ("Young maintainers", len(of("maintainer_age"))),
        ("License violations", len(of("license_violations"))),
        ("Recently published", len(of("recently_published"))),
        ("Deprecated", len(of("deprecated"))),
        ("Maintainer set changed", len(of("maintainer_set_changed"))),
        ("Plugin findings", len(plugin)),
    )
    out.extend(f"| {label} | {n} |\n" for label, n in rows if n)
    out.append("\n")

    if view == "summary":
        out.append(
            "_Per-category detail elided (`--summary-only`). The full diff is available as "
            "`bomdrift diff <before> <after> --output markdown` without the flag, or as the "
            "JSON / SARIF artifact attached to the workflow step summary._\n"
        )
        return "".join(out)
    findings_only = view == "findings"
    if findings_only and (cs.added or cs.removed or cs.version_changed):
        out.append(
            "_Raw dependency churn detail elided (`--findings-only`); risk-bearing sections "
            "remain below._\n\n"
        )

    if not findings_only and cs.added:
        _open(out, "Added", len(cs.added))
        out.append("| Ecosystem | Name | Version |\n|---|---|---|\n")
        out.extend(_row(_t(c.ecosystem), _t(c.name), _t(c.version)) for c in cs.added)
        _close(out)
    if not findings_only and cs.removed:
        _open(out, "Removed", len(cs.removed))
        out.append("| Ecosystem | Name | Version |\n|---|---|---|\n")
        out.extend(_row(_t(c.ecosystem), _t(c.name), _t(c.version)) for c in cs.removed)
        _close(out)
    if not findings_only and cs.version_changed:
        _open(out, "Version changed", len(cs.version_changed))
        out.append("| Ecosystem | Name | Before | After |\n|---|---|---|---|\n")
        out.extend(
            _row(
                _t(vc.after.ecosystem),
                _t(vc.after.name),
                _t(vc.before.version),
                _t(vc.after.version),
            )
            for vc in cs.version_changed
        )
        _close(out)

    if of("license_violations"):
        _open(out, "License violations", len(of("license_violations")))
        out.append(
            "One or more changed components have a license that the configured policy "
            "disallows. Review the matched rule and either update the component, exempt it via "
            "an explicit baseline entry, or relax the policy. "
            "[Why this matters](https://metbcy.github.io/bomdrift/license-policy.html)\n\n"
        )
        out.append("| Ecosystem | Name | Version | License | Rule |\n|---|---|---|---|---|\n")
        for e in of("license_violations"):
            c = _comp(e)
            out.append(
                _row(
                    _t(c.get("ecosystem")),
                    _t(c.get("name")),
                    _t(c.get("version")),
                    f"`{_code(e.value.get('license'))}`",
                    _t(e.value.get("matched_rule")),
                )
            )
        _close(out)

    if cs.license_changed:
        _open(out, "License changed (same version)", len(cs.license_changed))
        out.append(
            "Same version, different licenses — investigate. A re-publish under different terms "
            "can indicate a corrected SBOM, a deliberate license change, or a supply-chain swap. "
            "Verify the source matches. "
            "[Why this matters](https://metbcy.github.io/bomdrift/output-formats.html#sarif-v210)\n\n"
        )
        out.append("| Ecosystem | Name | Version | Before | After |\n|---|---|---|---|---|\n")
        out.extend(
            _row(
                _t(lc.after.ecosystem),
                _t(lc.after.name),
                _t(lc.after.version),
                _license_cell(lc.before.licenses),
                _license_cell(lc.after.licenses),
            )
            for lc in cs.license_changed
        )
        _close(out)

    if signals.vuln_count():
        comps = _vuln_components(report, signals)
        teaser = None
        if comps:
            head = _sorted_refs(comps[0][1])[0]
            teaser = f"top severity: {_t(head.get('severity'))} ({_t(head.get('id'))})"
        _open(out, "Vulnerabilities (added/upgraded deps)", signals.vuln_count(), teaser)
        out.append(
            "Advisories per OSV.dev. Click each ID for details. Severity is the highest of "
            "GHSA's `database_specific.severity` for that advisory; advisories that pre-date the "
            "GHSA tagging or weren't reachable at lookup time render as `NONE` and don't trip "
            "`--fail-on critical-cve`. "
            "[Why this matters](https://metbcy.github.io/bomdrift/enrichers/osv-cve.html)\n\n"
        )
        out.append("| Ecosystem | Name | Version | Advisories |\n|---|---|---|---|\n")
        for vc_comp, refs in comps:
            cells = []
            for r in _sorted_refs(refs):
                rid = _t(r.get("id"))
                cell = f"[{rid}](https://osv.dev/vulnerability/{rid}) `{_code(r.get('severity'))}`"
                if r.get("epss_score") is not None:
                    cell += f" · EPSS {_fmt2(r.get('epss_score'))}"
                if r.get("kev") is True:
                    cell += " · **KEV**"
                cells.append(cell)
            out.append(
                _row(_t(vc_comp.ecosystem), _t(vc_comp.name), _t(vc_comp.version), ", ".join(cells))
            )
        _close(out)

    if of("typosquats"):
        squats = of("typosquats")
        top = squats[0]
        for e in squats[1:]:  # Rust's max_by keeps the last of equal maxima
            if _score(e) >= _score(top):
                top = e
        teaser = (
            f"top similarity: {_fmt2(top.value.get('score'))} "
            f"({_t(_comp(top).get('name'))} → {_t(top.value.get('closest'))})"
        )
        _open(out, "Possible typosquats", len(squats), teaser)
        out.append(
            "These newly added dependencies have names similar to popular packages. High "
            "similarity does not prove malicious intent — investigate the package source before "
            "merging. [Why this matters](https://metbcy.github.io/bomdrift/enrichers/typosquat.html)\n\n"
        )
        out.append(
            "| Ecosystem | Name | Version | Similar to | Similarity |\n|---|---|---|---|---:|\n"
        )
        for e in squats:
            c = _comp(e)
            out.append(
                _row(
                    _t(c.get("ecosystem")),
                    _t(c.get("name")),
                    _t(c.get("version")),
                    _t(e.value.get("closest")),
                    _fmt2(e.value.get("score")),
                )
            )
        _close(out)

    if of("version_jumps"):
        _open(out, "Multi-major version jumps", len(of("version_jumps")))
        out.append(
            "These dependencies crossed two or more major versions in a single diff. Multi-major "
            "bumps can hide takeover swaps, namespace reuse, or large refactors that bypass the "
            "SemVer signals reviewers usually rely on. Confirm the upgrade is intentional and "
            "the source matches. "
            "[Why this matters](https://metbcy.github.io/bomdrift/enrichers/version-jump.html)\n\n"
        )
        out.append("| Ecosystem | Name | Before | After | Major bump |\n|---|---|---|---|---:|\n")
        for e in of("version_jumps"):
            a, b = _comp(e, "after"), _comp(e, "before")
            bump = f"{_t(e.value.get('before_major'))} → {_t(e.value.get('after_major'))}"
            out.append(
                _row(
                    _t(a.get("ecosystem")),
                    _t(a.get("name")),
                    _t(b.get("version")),
                    _t(a.get("version")),
                    bump,
                )
            )
        _close(out)

    if of("maintainer_age"):
        _open(out, "Young maintainers (added deps)", len(of("maintainer_age")))
        out.append(
            "The top contributor to each repository below opened their first commit recently. "
            "The xz/liblzma backdoor (CVE-2024-3094) was authored by an identity that took over "
            "maintainership after a sustained ramp-up; a very-recent top contributor on a "
            "newly-introduced dependency is the early signal of that pattern. Investigate the "
            "maintainer's history before merging. "
            "[Why this matters](https://metbcy.github.io/bomdrift/enrichers/maintainer-age.html)\n\n"
        )
        out.append(
            "| Ecosystem | Name | Version | Top contributor | Days since first commit |\n"
            "|---|---|---|---|---:|\n"
        )
        for e in of("maintainer_age"):
            c = _comp(e)
            out.append(
                _row(
                    _t(c.get("ecosystem")),
                    _t(c.get("name")),
                    _t(c.get("version")),
                    _t(e.value.get("top_contributor")),
                    _t(e.value.get("days_old")),
                )
            )
        _close(out)

    if of("recently_published"):
        _open(out, "Recently published (added deps)", len(of("recently_published")))
        out.append(
            "These newly added dependencies were published to their registry within the "
            "configured threshold (default 14 days). Recent publishes correlate with takeover "
            "swaps and namespace-reuse attacks. "
            "[Why this matters](https://metbcy.github.io/bomdrift/enrichers/registry.html)\n\n"
        )
        out.append("| Ecosystem | Name | Version | Published | Days |\n|---|---|---|---|---:|\n")
        for e in of("recently_published"):
            c = _comp(e)
            out.append(
                _row(
                    _t(c.get("ecosystem")),
                    _t(c.get("name")),
                    _t(c.get("version")),
                    _t(e.value.get("published_at")),
                    _t(e.value.get("days_old")),
                )
            )
        _close(out)

    if of("deprecated"):
        _open(out, "Deprecated upstream", len(of("deprecated")))
        out.append(
            "These dependencies are flagged deprecated or yanked by their package registry. "
            "[Why this matters](https://metbcy.github.io/bomdrift/enrichers/registry.html)\n\n"
        )
        out.append("| Ecosystem | Name | Version | Message |\n|---|---|---|---|\n")
        for e in of("deprecated"):
            c = _comp(e)
            message = e.value.get("message")
            out.append(
                _row(
                    _t(c.get("ecosystem")),
                    _t(c.get("name")),
                    _t(c.get("version")),
                    _t(message) if message is not None else "(deprecated upstream)",
                )
            )
        _close(out)

    if of("maintainer_set_changed"):
        _open(out, "Maintainer set changed (npm)", len(of("maintainer_set_changed")))
        out.append(
            "These npm dependencies have a different set of maintainers compared to the previous "
            "version. New publish-rights are a classic takeover-attack precursor. "
            "[Why this matters](https://metbcy.github.io/bomdrift/enrichers/registry.html)\n\n"
        )
        out.append("| Name | Before | After | Added | Removed |\n|---|---|---|---|---|\n")
        for e in of("maintainer_set_changed"):
            a, b = _comp(e, "after"), _comp(e, "before")
            out.append(
                _row(
                    _t(a.get("name")),
                    _t(b.get("version")),
                    _t(a.get("version")),
                    _names(e.value.get("added")),
                    _names(e.value.get("removed")),
                )
            )
        _close(out)

    if plugin:
        by_plugin: dict[str, list[str]] = {}
        for f in plugin:
            by_plugin.setdefault(f.plugin_name, []).append(
                f"- {_PLUGIN_PREFIX[f.severity]} · `{_code(f.component_purl)}` · {_t(f.kind)} — "
                f"{_t(f.message)} (`{_code(f.rule_id)}`)\n"
            )
        _open(out, "Plugin findings", len(plugin))
        out.append(
            "External plugins reported the following findings against added or version-changed "
            "components. Plugin findings are best-effort — runtime failures (timeout, malformed "
            "JSON, non-zero exit) drop findings without failing the diff.\n\n"
        )
        for name in sorted(by_plugin):
            out.append(f"**{_t(name)}** ({len(by_plugin[name])})\n\n")
            out.extend(by_plugin[name])
            out.append("\n")
        _close(out)
    return "".join(out)


def _score(e: Entry) -> float:
    score = e.value.get("score")
    return float(score) if isinstance(score, int | float) else 0.0


def _names(value: object) -> str:
    if isinstance(value, list) and value:
        return ", ".join(_t(v) for v in value)
    return "(none)"
