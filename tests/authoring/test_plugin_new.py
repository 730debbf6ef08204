"""``bomhost plugin new``: what it writes builds offline and passes its own cases as written,
then runs in ``bomhost diff``; in every language, from a whole process, as an author does."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest

from tests.authoring.toolchains import require
from tests.test_cli import ROOT, bomhost, one_error_line

BUILD = {"rust": ["./build.sh"], "c": ["make"], "python": []}


def _sbom(path: Path, *purls: str) -> Path:
    comps = []
    for purl in purls:
        name, version = purl.split("/", 1)[1].split("@")
        comps.append({"type": "library", "name": name, "version": version, "purl": purl})
    doc = {"bomFormat": "CycloneDX", "specVersion": "1.5", "version": 1, "components": comps}
    path.write_text(json.dumps(doc), encoding="utf-8")
    return path


@pytest.mark.parametrize("lang", ["rust", "c", "python"])
def test_a_new_plugin_builds_passes_its_cases_and_runs_in_diff(tmp_path: Path, lang: str) -> None:
    require(lang)
    made = bomhost("plugin", "new", "my-check", "--lang", lang, cwd=tmp_path)
    assert made.returncode == 0, made.stderr
    assert f"created {lang} plugin my-check in my-check/" in made.stdout
    plugin = tmp_path / "my-check"
    for rel in ("plugin.toml", "cases/basic.toml"):
        assert (plugin / rel).is_file()
    if lang != "python":
        assert (plugin / "policy.toml").is_file()
    if BUILD[lang]:
        subprocess.run(
            BUILD[lang], cwd=plugin, check=True, capture_output=True, timeout=600, text=True
        )
    tested = bomhost("plugin", "test", "plugin.toml", cwd=plugin)
    assert tested.returncode == 0, tested.stdout + tested.stderr
    cases = 5 if lang != "python" else 4
    assert f"{cases} cases: {cases} passed, 0 failed" in tested.stdout
    old = _sbom(tmp_path / "old.json", "pkg:npm/lodash@4.17.21")
    new = _sbom(tmp_path / "new.json", "pkg:npm/lodash@4.17.21", "pkg:npm/left-pad@1.3.0")
    policy: list[str | Path] = ["--policy", plugin / "policy.toml"] if lang != "python" else []
    diff = bomhost(
        "diff", old, new, "--plugin", plugin / "plugin.toml", *policy, "--output", "json"
    )
    assert diff.returncode == 0, diff.stderr
    findings = json.loads(diff.stdout)["enrichment"]["plugin_findings"]
    assert [(f["plugin_name"], f["component_purl"], f["rule_id"]) for f in findings] == [
        ("my-check", "pkg:npm/left-pad@1.3.0", "my-check/pkg:npm/left-pad")
    ]


def test_the_rust_and_c_plugins_are_reproducible_from_any_folder(tmp_path: Path) -> None:
    """The same sources give the same bytes wherever they are built, so a pin stays valid."""
    require("c")
    built = []
    for where in ("a", "deeper/b"):
        folder = tmp_path / where / "p"
        assert bomhost("plugin", "new", "p", "--lang", "c", "--dir", folder).returncode == 0
        subprocess.run(["make", "-s"], cwd=folder, check=True, capture_output=True, timeout=120)
        built.append((folder / "p.wasm").read_bytes())
    assert built[0] == built[1]


def test_the_packaged_sdks_are_the_examples_sdks() -> None:
    """plugin new vendors bomhost/authoring/sdk/; it must be the SDK the examples build with."""
    pairs = [
        (ROOT / "examples/plugins/bomhost-plugin-sdk", ROOT / "bomhost/authoring/sdk/rust"),
        (ROOT / "examples/plugins/bomhost-plugin-sdk-c", ROOT / "bomhost/authoring/sdk/c"),
    ]
    for src, copy in pairs:
        want = {
            p.relative_to(src): p.read_bytes()
            for p in src.rglob("*")
            if p.is_file() and "target" not in p.parts
        }
        got = {p.relative_to(copy): p.read_bytes() for p in copy.rglob("*") if p.is_file()}
        assert sorted(got) == sorted(want), "run scripts/sync-sdk.sh"
        assert got == want, "run scripts/sync-sdk.sh"


@pytest.mark.parametrize("name", ["My-Check", "1check", "a--b", "a_b", "x" * 65, "a-"])
def test_a_bad_name_is_one_line(tmp_path: Path, name: str) -> None:
    line = one_error_line(bomhost("plugin", "new", name, cwd=tmp_path))
    assert "lower-case letters, digits and single dashes" in line
    assert list(tmp_path.iterdir()) == []


def test_an_existing_folder_is_not_overwritten(tmp_path: Path) -> None:
    (tmp_path / "p").mkdir()
    (tmp_path / "p" / "mine.txt").write_text("keep", encoding="utf-8")
    line = one_error_line(bomhost("plugin", "new", "p", "--dir", tmp_path / "p"))
    assert "already exists and is not an empty folder" in line
    assert [x.name for x in (tmp_path / "p").iterdir()] == ["mine.txt"]
