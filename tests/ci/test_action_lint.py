"""The Action lints clean: GitHub's schema (check-jsonschema's vendored copy) and zizmor, offline."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent
WORKFLOWS = sorted((ROOT / "ci-templates" / "github").glob("*.yml"))


def run(*args: str | Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(a) for a in args], capture_output=True, text=True, timeout=120, check=False
    )


def test_action_matches_githubs_schema() -> None:
    proc = run(
        BIN / "check-jsonschema", "--builtin-schema", "vendor.github-actions", ROOT / "action.yml"
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr


def test_workflow_templates_match_githubs_schema() -> None:
    assert WORKFLOWS, "the GitHub workflow template is missing"
    proc = run(BIN / "check-jsonschema", "--builtin-schema", "vendor.github-workflows", *WORKFLOWS)
    assert proc.returncode == 0, proc.stdout + proc.stderr


def test_action_and_workflows_have_no_zizmor_findings() -> None:
    proc = run(BIN / "zizmor", "--offline", "--no-progress", ROOT / "action.yml", *WORKFLOWS)
    assert proc.returncode == 0, proc.stdout + proc.stderr


def test_a_bad_action_is_caught(tmp_path: Path) -> None:
    bad = tmp_path / "action.yml"
    bad.write_text(
        "name: x\ndescription: x\nruns:\n  using: composite\n  steps:\n"
        "    - run: echo ${{ github.event.pull_request.title }}\n      shell: bash\n"
    )
    assert run(BIN / "zizmor", "--offline", "--no-progress", bad).returncode != 0


def test_gitlab_and_azure_templates_match_their_schemas(tmp_path: Path) -> None:
    gitlab = ROOT / "ci-templates" / "gitlab" / ".gitlab-ci.yml"
    azure = ROOT / "ci-templates" / "azure" / "azure-pipelines.yml"
    proc = run(BIN / "check-jsonschema", "--builtin-schema", "vendor.gitlab-ci", gitlab)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    # The vendored Azure schema has patterns only the non-unicode regex engine compiles.
    azure_lint = (BIN / "check-jsonschema", "--regex-variant", "nonunicode")
    proc = run(*azure_lint, "--builtin-schema", "vendor.azure-pipelines", azure)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    # Both carry the merge-request/pull-request note variant with bomhost's marker.
    for template in (gitlab, azure):
        text = template.read_text(encoding="utf-8")
        assert "<!-- bomhost:sbom-diff -->" in text
        assert "bomhost diff before.json after.json --platform" in text
    # The checks catch a broken template.
    bad = tmp_path / "bad.yml"
    bad.write_text("bomhost:diff:\n  scriptt: [x]\n")
    assert run(BIN / "check-jsonschema", "--builtin-schema", "vendor.gitlab-ci", bad).returncode
    bad.write_text("steps:\n  - scrip: x\n")
    assert run(*azure_lint, "--builtin-schema", "vendor.azure-pipelines", bad).returncode
