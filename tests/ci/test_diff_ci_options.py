"""bomdrift's CI-facing diff options, as a user runs them: real processes on the example SBOMs."""

from __future__ import annotations

import json
from pathlib import Path

from tests.ci.signals import install_signals
from tests.test_cli import ROOT, bomhost, one_error_line

OLD = ROOT / "examples" / "sboms" / "old.cdx.json"
NEW = ROOT / "examples" / "sboms" / "new.cdx.json"
NO_CI = {
    "GITHUB_SERVER_URL": "",
    "GITHUB_REPOSITORY": "",
    "BOMDRIFT_REPO_URL": "",
    "BOMHOST_REPO_URL": "",
    "CI_PROJECT_URL": "",
    "BITBUCKET_GIT_HTTP_ORIGIN": "",
    "BUILD_REPOSITORY_URI": "",
    "GITLAB_CI": "",
}


def cdx(path: Path, components: list[dict[str, str]]) -> Path:
    doc = {"bomFormat": "CycloneDX", "specVersion": "1.6", "version": 1, "components": components}
    path.write_text(json.dumps(doc), encoding="utf-8")
    return path


def test_file_components_are_dropped_unless_asked_for(tmp_path: Path) -> None:
    lib = {"type": "library", "name": "a", "version": "1", "purl": "pkg:pypi/a@1"}
    old = cdx(tmp_path / "old.json", [lib, {"type": "file", "name": "/src/base/go.mod"}])
    new = cdx(tmp_path / "new.json", [lib, {"type": "file", "name": "/src/head/go.mod"}])
    default = json.loads(bomhost("diff", old, new, "--output", "json").stdout)
    assert default["changes"]["added"] == []
    assert default["changes"]["removed"] == []
    kept = bomhost("diff", old, new, "--output", "json", "--include-file-components").stdout
    assert [c["name"] for c in json.loads(kept)["changes"]["added"]] == ["/src/head/go.mod"]
    (tmp_path / ".bomdrift.toml").write_text("[diff]\ninclude_file_components = true\n")
    from_config = bomhost("diff", old, new, "--output", "json", cwd=tmp_path).stdout
    assert len(json.loads(from_config)["changes"]["removed"]) == 1


def test_footer_follows_repo_url_and_platform(tmp_path: Path) -> None:
    plain = bomhost("diff", OLD, NEW, "--output", "markdown", env=NO_CI).stdout
    assert "False positive?" not in plain  # no repository known: no dead links
    gh = bomhost("diff", OLD, NEW, "--output", "markdown", "--repo-url", "https://github.com/o/r/")
    assert "(<https://github.com/o/r/issues/new?labels=false-positive" in gh.stdout
    assert "/bomdrift suppress <ID>" in gh.stdout
    # bomdrift's environment fallbacks: GitLab CI's project URL and GITLAB_CI=true.
    gl = bomhost(
        "diff", OLD, NEW, "--output", "markdown",
        env={**NO_CI, "CI_PROJECT_URL": "https://gitlab.example/g/p", "GITLAB_CI": "true"},
    ).stdout  # fmt: skip
    assert "https://gitlab.example/g/p/-/issues/new" in gl
    assert "bomhost baseline add <ID>" in gl
    assert "/bomdrift suppress" not in gl
    az = bomhost(
        "diff", OLD, NEW, "--output", "markdown",
        env={**NO_CI, "BUILD_REPOSITORY_URI": "https://dev.azure.com/o/p/_git/r", "TF_BUILD": "True"},
    ).stdout  # fmt: skip
    assert "/_workitems/create?templateName=false-positive" in az
    actions = bomhost(
        "diff", OLD, NEW, "--output", "markdown",
        env={**NO_CI, "GITHUB_SERVER_URL": "https://github.com", "GITHUB_REPOSITORY": "o/r"},
    ).stdout  # fmt: skip
    assert "https://github.com/o/r/issues/new" in actions
    # The config keys, and the command line winning over them.
    (tmp_path / ".bomdrift.toml").write_text(
        '[diff]\nrepo_url = "https://bitbucket.org/t/p"\nplatform = "bitbucket"\n'
    )
    bb = bomhost("diff", OLD, NEW, "--output", "markdown", cwd=tmp_path, env=NO_CI).stdout
    assert "https://bitbucket.org/t/p/issues/new)" in bb.replace(">", "")
    cli = bomhost(
        "diff", OLD, NEW, "--output", "markdown", "--platform", "gitlab", cwd=tmp_path, env=NO_CI
    ).stdout  # fmt: skip
    assert "https://bitbucket.org/t/p/-/issues/new" in cli
    # A URL cannot end the link or inject HTML.
    evil = bomhost(
        "diff", OLD, NEW, "--output", "markdown", "--repo-url", "https://x/y><script>", env=NO_CI
    ).stdout  # fmt: skip
    assert "<script>" not in evil
    (tmp_path / ".bomdrift.toml").write_text('[diff]\nplatform = "gitea"\n')
    assert "diff.platform" in one_error_line(bomhost("diff", OLD, NEW, cwd=tmp_path))


def test_debug_calibration_rows_in_both_formats(tmp_path: Path) -> None:
    plugin = install_signals(tmp_path)
    proc = bomhost("diff", OLD, NEW, "--plugin", plugin, "--debug-calibration", "--output", "json")
    assert proc.returncode == 0, proc.stderr
    rows = [line for line in proc.stderr.splitlines() if "|" in line]
    assert rows == [
        "typosquat|pkg:pypi/colorama@0.4.6|0.9300|0.9200",
        "cve|pkg:pypi/colorama@0.4.6#GHSA-test-0001|HIGH|high+",
        "epss|pkg:pypi/colorama@0.4.6+CVE-2099-0001|0.7000|0.5000",
        "kev|pkg:pypi/colorama@0.4.6+CVE-2099-0001|true|kev",
        "license|pkg:pypi/requests@2.32.3|Apache-2.0|deny: Apache-2.0",
    ]
    assert json.loads(proc.stdout)["enrichment"]["plugin_findings"]  # the report is unchanged
    (tmp_path / ".bomdrift.toml").write_text(
        '[diff]\ndebug_calibration = true\ndebug_calibration_format = "jsonl"\n'
    )
    jsonl = bomhost("diff", OLD, NEW, "--plugin", plugin, "--output", "json", cwd=tmp_path)
    first = json.loads(jsonl.stderr.splitlines()[0])
    assert first == {
        "key": "pkg:pypi/colorama@0.4.6",
        "kind": "typosquat",
        "score": 0.93,
        "threshold": 0.92,
    }
    assert "|" not in bomhost("diff", OLD, NEW, "--plugin", plugin, "--output", "json").stderr
