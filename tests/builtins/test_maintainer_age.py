"""builtin:maintainer-age against a GitHub-shaped server on 127.0.0.1, with an injected token.

The component repositories come from a real SBOM pair (juice-shop v11.1.2 -> v14.1.1, whose
CycloneDX ``vcs`` references name GitHub repositories); the server answers in GitHub REST
shapes from a table (tests/builtins/netserver.py), since api.github.com is not reachable here.
"""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest

from bomhost import __version__, builtins
from bomhost.model import ChangeSet, Component
from bomhost.plugins.interface import RunContext
from bomhost.plugins.manifest import load_manifest
from bomhost.plugins.runner import run_plugins
from bomhost.policy.model import Policy

from .netserver import SBOMS, Repo, bomhost, closed_port, local_plugin, serve

JUICE_OLD = SBOMS / "cdx12-juice-shop-v11.1.2.bom.json"
JUICE_NEW = SBOMS / "cdx14-juice-shop-v14.1.1-flat.bom.json"
NOW = 1_734_652_800  # 2024-12-20T00:00:00Z
SECRET = "ghp_test-Zq9-not-a-real-token-7Hk2"

REPOS = {
    # chokidar@3.5.3 (added): a top contributor whose first commit is 19 days old.
    "paulmillr/chokidar": Repo(
        top="newcomer", contributors=3, commits=["2024-12-15T10:00:00Z", "2024-12-01T08:30:00Z"]
    ),
    # @npmcli/move-file@1.1.2 (added): 250 commits, the oldest on page 3 of 100, 88 days old.
    "npm/move-file": Repo(
        top="busy",
        contributors=5,
        commits=[f"2024-12-{d:02d}T00:00:00Z" for d in [19] * 249] + ["2024-09-22T12:00:00Z"],
    ),
    # glob (added twice, same repository): an old hand, 2011: no finding.
    "isaacs/node-glob": Repo(top="isaacs", contributors=40, commits=["2011-01-02T03:04:05Z"]),
}


def _run(
    tmp_path: Path, manifest: Path, policy: Path, *extra: str, token: str | None = SECRET
) -> Any:
    tmp_path.mkdir(parents=True, exist_ok=True)
    env = {"SOURCE_DATE_EPOCH": str(NOW), "BOMHOST_CACHE_DIR": str(tmp_path / "cache")}
    if token is not None:
        env["GITHUB_TOKEN"] = token
    return bomhost(
        "diff", JUICE_OLD, JUICE_NEW, "--plugin", manifest, "--policy", policy, "--no-registry",
        *extra,
        cwd=tmp_path, env=env,
    )  # fmt: skip


@pytest.fixture(autouse=True)
def _no_ambient_token(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("GITHUB_TOKEN", raising=False)


def test_young_maintainers_of_the_juice_shop_pair_and_the_token_in_no_output(
    tmp_path: Path,
) -> None:
    with serve(REPOS) as server:
        manifest, policy = local_plugin(
            tmp_path, "maintainer-age", server.port, github_api_url=server.base
        )
        outputs: list[str] = []
        for fmt in ("json", "markdown", "sarif", "terminal"):
            proc = _run(tmp_path / fmt, manifest, policy, "--output", fmt, "--timings")
            assert proc.returncode == 0, proc.stderr
            outputs += [proc.stdout, proc.stderr]
        lint = bomhost("policy", "lint", policy, cwd=tmp_path, env={"GITHUB_TOKEN": SECRET})
        outputs += [lint.stdout, lint.stderr]
        headers = list(server.headers)
        requests = list(server.requests)

    report = json.loads(outputs[0])
    assert report["enrichment"]["plugin_errors"] == []
    found = {
        f["component_purl"]: f
        for f in report["enrichment"]["plugin_findings"]
        if f["plugin_name"] == "maintainer-age"  # typosquat and version-jump run too
    }
    assert sorted(found) == ["pkg:npm/%40npmcli/move-file@1.1.2", "pkg:npm/chokidar@3.5.3"]
    chokidar = found["pkg:npm/chokidar@3.5.3"]
    assert chokidar["kind"] == "maintainer-age"
    assert (chokidar["rule_id"], chokidar["severity"]) == ("bomdrift.young-maintainer", "warning")
    assert chokidar["data"] == {
        "top_contributor": "newcomer",
        "first_commit_at": "2024-12-01T08:30:00Z",
        "days_old": 18,
    }
    assert chokidar["message"] == (
        "`chokidar` top contributor `newcomer` made their first commit 18 day(s) ago "
        "(2024-12-01T08:30:00Z). Investigate maintainer history before merging."
    )
    move = found["pkg:npm/%40npmcli/move-file@1.1.2"]["data"]
    assert move == {
        "top_contributor": "busy",
        "first_commit_at": "2024-09-22T12:00:00Z",
        "days_old": 88,
    }
    # The oldest commit was found by probing pages 1, 2, 4 and bisecting to 3.
    pages = [r for r in requests if r.startswith("/repos/npm/move-file/commits")]
    assert [r.rsplit("page=", 1)[1] for r in pages[:4]] == ["1", "2", "4", "3"]

    # The token reached the server on every request, and appears in no output.
    assert headers
    assert {h.get("Authorization") for h in headers} == {f"Bearer {SECRET}"}
    for text in outputs:
        assert SECRET not in text
    assert '"injected_headers": ["authorization"]' in json.dumps(report)


def test_without_a_token_it_runs_unauthenticated_with_a_warning(tmp_path: Path) -> None:
    with serve(REPOS) as server:
        manifest, policy = local_plugin(
            tmp_path, "maintainer-age", server.port, github_api_url=server.base
        )
        proc = _run(tmp_path, manifest, policy, "--output", "json", token=None)
        headers = list(server.headers)
    assert proc.returncode == 0, proc.stderr
    assert "header Authorization dropped" in proc.stderr
    assert headers
    assert all("Authorization" not in h for h in headers)
    report = json.loads(proc.stdout)
    mine = [
        f for f in report["enrichment"]["plugin_findings"] if f["plugin_name"] == "maintainer-age"
    ]
    assert len(mine) == 2


def test_github_unreachable_is_a_warning_and_plugin_errors(tmp_path: Path) -> None:
    port = closed_port()
    manifest, policy = local_plugin(
        tmp_path, "maintainer-age", port, github_api_url=f"http://127.0.0.1:{port}"
    )
    proc = _run(tmp_path, manifest, policy, "--output", "json")
    assert proc.returncode == 0, proc.stderr
    report = json.loads(proc.stdout)
    errors = report["enrichment"]["plugin_errors"]
    # Every added component with a GitHub repository, none without.
    assert len(errors) == 294
    assert {e["error_kind"] for e in errors} == {"plugin_reported"}
    assert errors[0]["message"].startswith("GitHub lookup failed: GET http://127.0.0.1:")
    assert SECRET not in proc.stdout + proc.stderr


def _component(source_url: str | None, purl: str) -> Component:
    return Component(
        name=purl.split("/")[-1].split("@")[0],
        version="1.0.0",
        ecosystem="npm",
        purl=purl,
        source_url=source_url,
    )


def test_the_shipped_fragment_grants_api_github_com_only(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("GITHUB_TOKEN", SECRET)
    plugin = load_manifest(builtins.resolve("builtin:maintainer-age"))
    with serve(REPOS) as server:
        config = {**plugin.manifest.config, "github_api_url": server.base}
        pointed = replace(plugin, manifest=plugin.manifest.model_copy(update={"config": config}))
        policy = builtins.with_fragments(Policy(), [pointed])
        changes = ChangeSet(
            added=(_component("git+https://github.com/paulmillr/chokidar.git", "pkg:npm/a@1"),)
        )
        ctx = RunContext(
            bomhost_version=__version__, now_ms=NOW * 1000, policy=policy, cache_dir=str(tmp_path)
        )
        outcome = run_plugins([pointed], changes, ctx, jobs=1)
        assert server.requests == []
    assert [(e.decision, e.reason_code) for e in outcome.events] == [("deny", "net_host_denied")]
    assert [e.error_kind for e in outcome.errors] == ["plugin_reported"]
    (rule,) = policy.for_plugin("maintainer-age").net.allow
    assert (rule.scheme, rule.host, rule.port, rule.methods) == (
        "https",
        "api.github.com",
        443,
        ("GET",),
    )
    assert rule.headers == {"Authorization": "Bearer ${env:GITHUB_TOKEN}"}


def test_repository_from_source_url_forms_and_purls(tmp_path: Path) -> None:
    """bomdrift's URL forms, plus purls naming a GitHub repository; other hosts ask nothing."""
    repos = {"o/r": Repo(top="t", contributors=1, commits=["2024-12-10T00:00:00Z"])}
    comps = (
        _component("git@github.com:o/r.git", "pkg:npm/ssh@1"),
        _component("https://www.github.com/o/r/tree/main#readme", "pkg:npm/www@1"),
        _component(None, "pkg:github/o/r@v1"),
        _component(None, "pkg:golang/github.com/o/r/sub@v1.0.0"),
        _component("https://gitlab.com/o/r", "pkg:npm/gitlab@1"),
        _component(None, "pkg:npm/nothing@1"),
    )
    with serve(repos) as server:
        manifest, policy_path = local_plugin(
            tmp_path, "maintainer-age", server.port, github_api_url=server.base
        )
        from bomhost.policy.load import load_policy

        plugin = load_manifest(manifest)
        ctx = RunContext(
            bomhost_version=__version__,
            now_ms=NOW * 1000,
            policy=load_policy(str(policy_path)),
            cache_dir=str(tmp_path / "cache"),
        )
        outcome = run_plugins([plugin], ChangeSet(added=comps), ctx, jobs=1)
        asked = {r.split("/contributors")[0].split("/commits")[0] for r in server.requests}
    assert outcome.errors == ()
    assert [f.component_purl for f in outcome.findings] == [
        "pkg:npm/ssh@1",
        "pkg:npm/www@1",
        "pkg:github/o/r@v1",
        "pkg:golang/github.com/o/r/sub@v1.0.0",
    ]
    assert {f.data["days_old"] for f in outcome.findings if f.data} == {10}
    assert asked == {"/repos/o/r"}
