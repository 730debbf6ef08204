"""builtin:registry against a real HTTP server on 127.0.0.1 serving recorded npm/PyPI documents.

Each test runs the plugin as a user does (a whole ``bomhost diff`` process, real wasmtime) from a
copy of the first-party manifest pointed at the local server, under the shipped policy fragment
with only the endpoint swapped (tests/builtins/netserver.py); the last one runs the first-party
plugin itself under its own fragment to show the fragment grants the real hosts only.
"""

from __future__ import annotations

import json
from dataclasses import replace
from datetime import datetime
from pathlib import Path
from typing import Any

from bomhost import __version__, builtins
from bomhost.diff import diff
from bomhost.plugins.interface import RunContext
from bomhost.plugins.manifest import load_manifest
from bomhost.plugins.runner import run_plugins
from bomhost.policy.model import Policy
from bomhost.sbom import load

from .netserver import SBOMS, bomhost, closed_port, load_npm, local_plugin, serve

JUICE_OLD = SBOMS / "cdx12-juice-shop-v11.1.2.bom.json"
JUICE_NEW = SBOMS / "cdx14-juice-shop-v14.1.1-flat.bom.json"
PY_OLD = SBOMS / "pyenv-old.cdx1.6.json"
PY_NEW = SBOMS / "pyenv-new.cdx1.6.json"

# 2024-12-20T00:00:00Z: a week after the npm mirror's 2024-12-12/13 re-stamps (see the README).
JUICE_NOW = 1_734_652_800
# 2024-06-05T00:00:00Z: requests 2.32.3 was uploaded on 2024-05-29.
PY_NOW = 1_717_545_600


def _diff(
    tmp_path: Path, old: Path, new: Path, manifest: Path, policy: Path, now: int, *extra: str
) -> tuple[dict[str, Any], str]:
    env = {"SOURCE_DATE_EPOCH": str(now), "BOMHOST_CACHE_DIR": str(tmp_path / "cache")}
    proc = bomhost(
        "diff", old, new, "--plugin", manifest, "--policy", policy, "--output", "json",
        "--no-maintainer-age", *extra, cwd=tmp_path, env=env,
    )  # fmt: skip
    assert proc.returncode == 0, proc.stderr
    report: dict[str, Any] = json.loads(proc.stdout)
    return report, proc.stderr


def _by_kind(report: dict[str, Any], kind: str) -> dict[str, dict[str, Any]]:
    found = [f for f in report["enrichment"]["plugin_findings"] if f["kind"] == kind]
    assert all(f["plugin_name"] == "registry" for f in found)
    return {f["component_purl"]: f for f in found}


def _npm_name(purl: str) -> str:
    from urllib.parse import unquote

    path = purl.removeprefix("pkg:npm/").split("#")[0].rsplit("@", 1)[0]
    return "/".join(unquote(s) for s in path.split("/"))


def _iso_ns(stamp: str) -> int:
    parsed = datetime.fromisoformat(stamp.replace("Z", "+00:00"))
    return int(parsed.timestamp()) * 10**9 + parsed.microsecond * 1000


def test_the_juice_shop_pair_gets_bomdrifts_registry_findings(tmp_path: Path) -> None:
    with serve() as server:
        manifest, policy = local_plugin(
            tmp_path, "registry", server.port, npm_base_url=server.base, pypi_base_url=server.base
        )
        report, stderr = _diff(tmp_path, JUICE_OLD, JUICE_NEW, manifest, policy, JUICE_NOW)
    assert report["enrichment"]["plugin_errors"] == [], stderr
    changes = report["changes"]
    sent = list(changes["added"]) + [pair[1] for pair in changes["version_changed"]]
    assert len(sent) == 298 + 176

    # Recently published: the version's own time, whole days before the run's fixed now.
    npm = load_npm()
    expected = {}
    for comp in sent:
        stamp = npm[_npm_name(comp["purl"])]["time"].get(comp["version"])
        if stamp is None:
            continue
        days = int((JUICE_NOW * 10**9 - _iso_ns(stamp)) / (86_400 * 10**9))
        if days < 14:
            expected[comp["purl"]] = {"published_at": stamp, "days_old": days}
    recent = _by_kind(report, "recently-published")
    assert {p: f["data"] for p, f in recent.items()} == expected
    assert len(recent) > 10  # the mirror's December re-stamps, and its later dates
    minimist = recent["pkg:npm/minimist@0.2.3"]
    assert minimist["data"] == {"published_at": "2024-12-13T00:05:08.533000+00:00", "days_old": 6}
    assert minimist["rule_id"] == "bomdrift.recently-published"
    assert minimist["severity"] == "warning"
    assert minimist["message"] == (
        "`minimist` was published 6 day(s) ago (2024-12-13T00:05:08.533000+00:00). "
        "Recent publishes correlate with takeover swaps."
    )

    # Deprecated: the component's own version's notice (added and version-changed alike).
    deprecated = _by_kind(report, "deprecated")
    assert {p: f["data"]["message"] for p, f in deprecated.items()} == {
        "pkg:npm/%40npmcli/move-file@1.1.2": "This functionality has been moved to @npmcli/fs",
        "pkg:npm/are-we-there-yet@1.1.7": "This package is no longer supported.",
        "pkg:npm/are-we-there-yet@2.0.0": "This package is no longer supported.",
        "pkg:npm/are-we-there-yet@3.0.1": "This package is no longer supported.",
        "pkg:npm/gauge@3.0.2": "This package is no longer supported.",
        "pkg:npm/gauge@4.0.4": "This package is no longer supported.",
        "pkg:npm/glob@7.1.7": "Glob versions prior to v9 are no longer supported",
        "pkg:npm/glob@7.2.3": "Glob versions prior to v9 are no longer supported",
        "pkg:npm/har-validator@5.1.5": "this library is no longer supported",
        "pkg:npm/npmlog@5.0.1": "This package is no longer supported.",
        "pkg:npm/npmlog@6.0.2": "This package is no longer supported.",
    }
    har = deprecated["pkg:npm/har-validator@5.1.5"]
    assert (har["rule_id"], har["severity"]) == ("bomdrift.deprecated", "error")
    assert (
        har["message"]
        == "`har-validator` is deprecated upstream: this library is no longer supported"
    )

    # Maintainer set changed: npm version changes only, bomdrift's sorted set differences.
    changed = _by_kind(report, "maintainer-set-changed")
    assert list(changed) == ["pkg:npm/express@4.18.2"]
    assert changed["pkg:npm/express@4.18.2"]["data"] == {"added": ["mallory"], "removed": ["bob"]}
    assert changed["pkg:npm/express@4.18.2"]["message"] == (
        "`express` maintainer set changed: +mallory / -bob."
    )
    # Every request went to the granted endpoint, one document per package at most.
    assert len(server.requests) <= len(sent)
    assert "/%40npmcli%2Fmove-file" in server.requests


def test_pypi_recently_published_and_yanked(tmp_path: Path) -> None:
    yanked = tmp_path / "yanked.json"
    yanked.write_text(PY_NEW.read_text(encoding="utf-8").replace("2.32.3", "2.32.0"), "utf-8")
    with serve() as server:
        manifest, policy = local_plugin(
            tmp_path, "registry", server.port, npm_base_url=server.base, pypi_base_url=server.base
        )
        report, _ = _diff(tmp_path, PY_OLD, PY_NEW, manifest, policy, PY_NOW)
        assert sorted(server.requests) == ["/pypi/colorama/json", "/pypi/requests/json"]
        yank, _ = _diff(tmp_path, PY_OLD, yanked, manifest, policy, PY_NOW)
        # The threshold (--recently-published-days): 6 days old is not younger than 6.
        six, _ = local_plugin(
            tmp_path / "six", "registry", server.port, npm_base_url=server.base,
            pypi_base_url=server.base, recently_published_days=6,
        )  # fmt: skip
        strict, _ = _diff(tmp_path, PY_OLD, PY_NEW, six, policy, PY_NOW)
    assert _by_kind(strict, "recently-published") == {}
    recent = _by_kind(report, "recently-published")
    assert {p: f["data"] for p, f in recent.items()} == {
        "pkg:pypi/requests@2.32.3": {"published_at": "2024-05-29T15:37:47.027275Z", "days_old": 6}
    }
    assert _by_kind(report, "deprecated") == {}
    gone = _by_kind(yank, "deprecated")["pkg:pypi/requests@2.32.0"]
    assert gone["data"] == {
        "message": "PyPI yanked: Yanked due to conflicts with CVE-2024-35195 mitigation"
    }


def test_a_second_run_within_the_ttl_makes_no_request(tmp_path: Path) -> None:
    with serve() as server:
        manifest, policy = local_plugin(
            tmp_path, "registry", server.port, npm_base_url=server.base, pypi_base_url=server.base
        )
        first, _ = _diff(tmp_path, PY_OLD, PY_NEW, manifest, policy, PY_NOW)
        asked = len(server.requests)
        second, _ = _diff(tmp_path, PY_OLD, PY_NEW, manifest, policy, PY_NOW)
        assert len(server.requests) == asked == 2
        # --no-cache goes to the server again.
        _diff(tmp_path, PY_OLD, PY_NEW, manifest, policy, PY_NOW, "--no-cache")
        assert len(server.requests) == 4
    assert second["enrichment"] == first["enrichment"]
    events = [e for e in second["sandbox"]["events"] if e["reason_code"] == "net_ok"]
    assert len(events) == 2
    assert all(e["context"]["cached"] is True for e in events)
    assert not any(e["context"].get("cached") for e in first["sandbox"]["events"])


def test_offline_is_a_warning_and_plugin_errors_not_a_failed_run(tmp_path: Path) -> None:
    dead = f"http://127.0.0.1:{closed_port()}"
    manifest, policy = local_plugin(
        tmp_path, "registry", int(dead.rsplit(":", 1)[1]), npm_base_url=dead, pypi_base_url=dead
    )
    report, stderr = _diff(tmp_path, PY_OLD, PY_NEW, manifest, policy, PY_NOW)
    errors = report["enrichment"]["plugin_errors"]
    assert [(e["component_purl"], e["error_kind"]) for e in errors] == [
        ("pkg:pypi/colorama@0.4.6", "plugin_reported"),
        ("pkg:pypi/requests@2.32.3", "plugin_reported"),
    ]
    assert errors[0]["message"] == (
        f"registry metadata unavailable: GET {dead}/pypi/colorama/json failed: "
        "not found or not readable (-2)"
    )
    assert report["enrichment"]["plugin_findings"] == []
    assert "registry" in stderr
    assert "plugin_reported" in stderr
    reasons = {e["reason_code"] for e in report["sandbox"]["events"]}
    assert reasons == {"net_connect_failed"}
    # Only --fail-on plugin-error turns it into a failed run.
    env = {"SOURCE_DATE_EPOCH": str(PY_NOW), "BOMHOST_CACHE_DIR": str(tmp_path / "cache")}
    gated = bomhost(
        "diff", PY_OLD, PY_NEW, "--plugin", manifest, "--policy", policy,
        "--no-maintainer-age", "--fail-on", "plugin-error", cwd=tmp_path, env=env,
    )  # fmt: skip
    assert gated.returncode == 2, gated.stderr


def test_the_shipped_fragment_grants_the_real_registries_only(tmp_path: Path) -> None:
    """The first-party plugin under its own policy: a base URL elsewhere is denied, with events."""
    plugin = load_manifest(builtins.resolve("builtin:registry"))
    with serve() as server:
        config = {**plugin.manifest.config, "pypi_base_url": server.base}
        pointed = replace(plugin, manifest=plugin.manifest.model_copy(update={"config": config}))
        policy = builtins.with_fragments(Policy(), [pointed])
        changes = diff(load(str(PY_OLD), "auto").components, load(str(PY_NEW), "auto").components)
        ctx = RunContext(
            bomhost_version=__version__,
            now_ms=PY_NOW * 1000,
            policy=policy,
            cache_dir=str(tmp_path),
        )
        outcome = run_plugins([pointed], changes, ctx, jobs=1)
        assert server.requests == []
    assert [(e.decision, e.rule_id, e.reason_code) for e in outcome.events] == [
        ("deny", "net.default", "net_host_denied"),
        ("deny", "net.default", "net_host_denied"),
    ]
    assert outcome.events[0].context["host"] == "127.0.0.1"
    assert [e.error_kind for e in outcome.errors] == ["plugin_reported", "plugin_reported"]
    assert "denied by the policy (-1)" in outcome.errors[0].message
    granted = {
        (r.scheme, r.host, r.port, r.methods) for r in policy.for_plugin("registry").net.allow
    }
    assert granted == {
        ("https", "registry.npmjs.org", 443, ("GET",)),
        ("https", "pypi.org", 443, ("GET",)),
    }
