"""`bomhost refresh-typosquat`: a reviewed list replaces builtin:typosquat's compiled-in one."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.test_cli import bomhost, one_error_line


def _sboms(tmp: Path) -> tuple[Path, Path]:
    old, new = tmp / "old.json", tmp / "new.json"
    old.write_text('{"bomFormat":"CycloneDX","specVersion":"1.5","components":[]}')
    comps = [
        {"type": "library", "name": n, "version": "1.0.0", "purl": f"pkg:npm/{n}@1.0.0"}
        for n in ("lodahs", "crossenv")
    ]
    new.write_text(
        json.dumps({"bomFormat": "CycloneDX", "specVersion": "1.5", "components": comps})
    )
    return old, new


def _similar(tmp: Path, env: dict[str, str]) -> dict[str, str]:
    old, new = _sboms(tmp)
    proc = bomhost("diff", old, new, "--offline", "--output", "json", cwd=tmp, env=env)
    assert proc.returncode == 0, proc.stderr
    report = json.loads(proc.stdout)
    return {t["component"]["name"]: t["closest"] for t in report["enrichment"]["typosquats"]}


def test_a_refreshed_list_is_used_granted_by_path_and_reset(tmp_path: Path) -> None:
    env = {"BOMHOST_CACHE_DIR": str(tmp_path / "cache")}
    assert _similar(tmp_path, env) == {"lodahs": "lodash", "crossenv": "cross-env"}
    mine = tmp_path / "npm-top.txt"
    mine.write_text("# reviewed 2026-12-04\nlodash\nexpress\n", encoding="utf-8")
    proc = bomhost("refresh-typosquat", "--ecosystem", "npm", "--from", mine, env=env)
    assert proc.returncode == 0, proc.stderr
    target = tmp_path / "cache" / "typosquat" / "npm.txt"
    assert proc.stdout == f"npm: 2 names written to {target}\n"
    assert target.read_bytes() == mine.read_bytes()
    # cross-env is not on the refreshed list, so crossenv resembles nothing now.
    assert _similar(tmp_path, env) == {"lodahs": "lodash"}
    # The run granted exactly that file, to that plugin alone.
    old, new = _sboms(tmp_path)
    proc = bomhost("diff", old, new, "--offline", "--output", "json", cwd=tmp_path, env=env)
    reads = [
        (e["plugin_name"], e["context"]["path"])
        for e in json.loads(proc.stdout)["sandbox"]["events"]
        if e["reason_code"] == "fs_read"
    ]
    assert reads == [("typosquat", str(target))]
    proc = bomhost("refresh-typosquat", "--ecosystem", "npm", "--reset", env=env)
    assert proc.returncode == 0, proc.stderr
    assert not target.exists()
    assert _similar(tmp_path, env) == {"lodahs": "lodash", "crossenv": "cross-env"}


@pytest.mark.parametrize(
    ("args", "message"),
    [
        ((), "refresh-typosquat: give --from FILE (one package name per line)"),
        (
            ("--from", "/nonexistent/list.txt"),
            "refresh-typosquat: cannot read /nonexistent/list.txt",
        ),
        (("--from", "EMPTY"), "holds no package names"),
    ],
)
def test_bad_input_is_one_line(tmp_path: Path, args: tuple[str, ...], message: str) -> None:
    empty = tmp_path / "empty.txt"
    empty.write_text("# nothing\n\n", encoding="utf-8")
    args = tuple(str(empty) if a == "EMPTY" else a for a in args)
    env = {"BOMHOST_CACHE_DIR": str(tmp_path / "cache")}
    proc = bomhost("refresh-typosquat", "--ecosystem", "npm", *args, env=env)
    assert message in one_error_line(proc)
    assert not (tmp_path / "cache" / "typosquat" / "npm.txt").exists()
