"""``bomhost init`` writes a working, lint-clean setup, and never overwrites without --force."""

from __future__ import annotations

import sys
import tomllib
from pathlib import Path

from bomhost.bomdrift_config import DIFF_KEYS
from bomhost.cli.init import init_fail_on
from tests.ci.test_action_lint import run
from tests.test_cli import ROOT, bomhost, one_error_line

BIN = Path(sys.executable).parent
OLD = ROOT / "examples" / "sboms" / "old.cdx.json"
NEW = ROOT / "examples" / "sboms" / "new.cdx.json"
WORKFLOWS = ("sbom-diff.yml", "bomhost-suppress.yml")


def test_init_writes_config_and_workflows_that_lint_clean(tmp_path: Path) -> None:
    proc = bomhost("init", cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    config = tomllib.loads((tmp_path / ".bomdrift.toml").read_text(encoding="utf-8"))
    # bomdrift's keys only, so bomdrift reads the same file during a switch-over.
    assert set(config) == {"diff"}
    assert set(config["diff"]) <= set(DIFF_KEYS)
    assert config["diff"]["fail_on"] == init_fail_on()
    workflows = [tmp_path / ".github" / "workflows" / name for name in WORKFLOWS]
    lint = run(BIN / "check-jsonschema", "--builtin-schema", "vendor.github-workflows", *workflows)
    assert lint.returncode == 0, lint.stdout + lint.stderr
    audit = run(BIN / "zizmor", "--offline", "--no-progress", "--persona=pedantic", *workflows)
    assert audit.returncode == 0, audit.stdout + audit.stderr
    # The written config is one bomhost runs with (its baseline does not exist yet: a warning).
    diff = bomhost("diff", OLD, NEW, cwd=tmp_path)
    assert diff.returncode == 0, diff.stderr
    assert "does not exist yet" in diff.stderr


def test_init_refuses_to_overwrite_and_config_only(tmp_path: Path) -> None:
    (tmp_path / ".bomdrift.toml").write_text("[diff]\nmax_added = 1\n")
    line = one_error_line(bomhost("init", cwd=tmp_path))
    assert ".bomdrift.toml already exists; re-run with --force" in line
    # Nothing was written: every target is checked first.
    assert not (tmp_path / ".github").exists()
    assert (tmp_path / ".bomdrift.toml").read_text() == "[diff]\nmax_added = 1\n"
    assert bomhost("init", "--force", "--config-only", cwd=tmp_path).returncode == 0
    assert "fail_on" in (tmp_path / ".bomdrift.toml").read_text()
    assert not (tmp_path / ".github").exists()
