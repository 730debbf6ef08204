"""The banned-packages-file-wasm example: its list comes from banned.txt through read_file.

Through the real CLI, as an operator runs it: with the policy shipped next to it the findings
equal the external example's, and every read is an allow event of the policy's rule; with the
default policy the plugin is refused before it runs.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

from bomhost.model import ChangeSet
from bomhost.plugins.manifest import load_manifest
from bomhost.policy.load import load_policy
from tests.plugins.contract import comp, run
from tests.plugins.test_cli import cdx
from tests.plugins.wasm.helpers import ROOT

EXAMPLES = ROOT / "examples/plugins"
FILE_PLUGIN = EXAMPLES / "banned-packages-file-wasm"
BOMHOST = Path(sys.executable).with_name("bomhost")

# The components of test_rust_example's "both examples agree" check, as an SBOM pair.
OLD = ("pkg:npm/lodash@4.17.21", "pkg:npm/event-stream@3.3.5")
NEW = (
    "pkg:npm/lodash@4.17.21",
    "pkg:npm/event-stream@3.3.6",
    "pkg:npm/left-pad@1.0.0",
    "pkg:npm/flatmap-stream@0.1.1",
    "pkg:pypi/request@2.88.0",
    "pkg:npm/left-pad-plus@1.0.0",
)


def diff(tmp_path: Path, *args: str | Path) -> subprocess.CompletedProcess[str]:
    old, new = cdx(tmp_path / "old.json", *OLD), cdx(tmp_path / "new.json", *NEW)
    return subprocess.run(
        [str(BOMHOST), "diff", str(old), str(new), *map(str, args)],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def by_plugin(report: dict[str, Any], name: str) -> list[dict[str, Any]]:
    return [
        {k: v for k, v in f.items() if k != "plugin_name"}
        for f in report["enrichment"]["plugin_findings"]
        if f["plugin_name"] == name
    ]


def test_same_findings_as_external_with_its_policy(tmp_path: Path) -> None:
    res = diff(
        tmp_path,
        "--plugin",
        EXAMPLES / "banned-packages/plugin.toml",
        "--plugin",
        FILE_PLUGIN / "plugin.toml",
        "--policy",
        FILE_PLUGIN / "policy.toml",
        "--output",
        "json",
    )
    assert res.returncode == 0, res.stderr
    report = json.loads(res.stdout)
    assert report["enrichment"]["plugin_errors"] == []
    external = by_plugin(report, "banned-packages")
    assert by_plugin(report, "banned-packages-file-wasm") == external
    # Added components sorted by purl, then the version change (bomdrift's order).
    assert [(f["component_purl"], f["rule_id"]) for f in external] == [
        ("pkg:npm/flatmap-stream@0.1.1", "banned/pkg:npm/flatmap-stream"),
        ("pkg:npm/left-pad@1.0.0", "banned/pkg:npm/left-pad"),
        ("pkg:npm/left-pad-plus@1.0.0", "banned/pkg:npm/left-pad"),
        ("pkg:pypi/request@2.88.0", "banned/pkg:pypi/request@"),
        ("pkg:npm/event-stream@3.3.6", "banned/pkg:npm/event-stream@3.3.6"),
    ]
    reads = [
        e for e in report["sandbox"]["events"] if e["plugin_name"] == "banned-packages-file-wasm"
    ]
    # One read per call (4 added, 1 version change; a fresh instance each), each one granted.
    assert len(reads) == 5
    size = (EXAMPLES / "banned-packages/banned.txt").stat().st_size
    for event in reads:
        assert (event["decision"], event["rule_id"], event["reason_code"]) == (
            "allow",
            "banned-list",
            "fs_read",
        )
        assert event["context"]["result"] == size
        assert event["context"]["resolved"] == str(EXAMPLES / "banned-packages/banned.txt")


def test_refused_at_load_under_the_default_policy(tmp_path: Path) -> None:
    res = diff(tmp_path, "--plugin", FILE_PLUGIN / "plugin.toml")
    assert res.returncode == 1
    assert res.stdout == ""
    lines = res.stderr.strip().splitlines()
    assert len(lines) == 1, res.stderr
    assert "'banned-packages-file-wasm'" in lines[0]
    assert "import bomdrift.read_file is not allowed by the policy" in lines[0]


def test_denied_read_is_one_config_finding_per_component(tmp_path: Path) -> None:
    # The import is granted but no [[fs.read]] rule covers the list: every read is denied.
    policy = tmp_path / "p.toml"
    policy.write_text(
        '[plugins.banned-packages-file-wasm.imports]\nextend = ["bomdrift.read_file"]\n',
        encoding="utf-8",
    )
    res = diff(
        tmp_path,
        "--plugin",
        FILE_PLUGIN / "plugin.toml",
        "--policy",
        policy,
        "--output",
        "json",
        "--fail-on",
        "any",
    )
    assert res.returncode == 2, res.stderr  # a list that cannot load never passes silently
    report = json.loads(res.stdout)
    findings = by_plugin(report, "banned-packages-file-wasm")
    assert len(findings) == 5
    assert {(f["kind"], f["severity"], f["rule_id"]) for f in findings} == {
        ("plugin-config", "error", "banned/config")
    }
    assert findings[0]["message"] == (
        "banned-packages-file-wasm could not load its list: "
        "read_file(../banned-packages/banned.txt) failed: denied by the policy (-1)"
    )
    events = report["sandbox"]["events"]
    assert {(e["decision"], e["rule_id"], e["reason_code"]) for e in events} == {
        ("deny", "fs.default", "fs_path_denied")
    }


def test_list_parsing_matches_check_banned_py(tmp_path: Path) -> None:
    """Same list bytes, same findings: CRLF, a lone CR, indentation, comments, \\x1c padding."""
    ext = tmp_path / "ext"
    shutil.copytree(EXAMPLES / "banned-packages", ext)
    text = (
        "# comment\r\n  pkg:npm/a@1 \r\n\r\n\tpkg:npm/b\rpkg:npm/c@\x1c\n"
        "  # indented comment\n\u00a0pkg:npm/d\u2003\npkg:npm/\n"
    )
    (ext / "banned.txt").write_bytes(text.encode())
    policy = tmp_path / "p.toml"
    policy.write_text(
        "[plugins.banned-packages-file-wasm.imports]\n"
        'extend = ["bomdrift.read_file"]\n'
        "[[fs.read]]\n"
        'id = "list"\n'
        'path = "ext/banned.txt"\n',
        encoding="utf-8",
    )
    wasm_toml = tmp_path / "file.toml"
    wasm_toml.write_text(
        "[plugin]\n"
        'name = "banned-packages-file-wasm"\n'
        f"exec = {json.dumps(str(FILE_PLUGIN / 'banned_packages_file_wasm.wasm'))}\n"
        "[plugin.config]\n"
        'banned_file = "ext/banned.txt"\n',
        encoding="utf-8",
    )
    names = ("a", "b", "c", "d", "bb", "e")
    changes = ChangeSet(added=(*(comp(n, "1") for n in names), comp("a", purl=False)))
    external = run([load_manifest(ext / "plugin.toml")], changes)
    wasm = run([load_manifest(wasm_toml)], changes, policy=load_policy(policy))
    assert external.errors == wasm.errors == ()
    strip = [f.model_dump(exclude={"plugin_name"}) for f in external.findings]
    assert strip == [f.model_dump(exclude={"plugin_name"}) for f in wasm.findings]
    # a@1; b (b and bb); c@; d; and the catch-all pkg:npm/ for every component with a purl.
    assert len(strip) == 5 + len(names)


def test_sdk_grows_its_buffer_for_a_long_list_and_stops_at_its_bound(tmp_path: Path) -> None:
    """The SDK offers 64 KiB, doubles on -4 (each try is an event); the plugin's bound is 1 MiB."""
    policy = tmp_path / "p.toml"
    policy.write_text(
        "[plugins.banned-packages-file-wasm.imports]\n"
        'extend = ["bomdrift.read_file"]\n'
        "[[fs.read]]\n"
        'id = "lists"\n'
        'path = "."\n',
        encoding="utf-8",
    )
    padding = "# " + "x" * 98 + "\n"
    (tmp_path / "long.txt").write_text(padding * 1000 + "pkg:npm/a\n", encoding="utf-8")  # ~100 KB
    (tmp_path / "huge.txt").write_text(padding * 11_000, encoding="utf-8")  # ~1.1 MB
    outcomes = {}
    for name in ("long", "huge"):
        toml = tmp_path / f"{name}.toml"
        toml.write_text(
            "[plugin]\n"
            'name = "banned-packages-file-wasm"\n'
            f"exec = {json.dumps(str(FILE_PLUGIN / 'banned_packages_file_wasm.wasm'))}\n"
            "[plugin.config]\n"
            f'banned_file = "{name}.txt"\n',
            encoding="utf-8",
        )
        outcomes[name] = run(
            [load_manifest(toml)], ChangeSet(added=(comp("a"),)), policy=load_policy(policy)
        )
    long, huge = outcomes["long"], outcomes["huge"]
    assert [f.rule_id for f in long.findings] == ["banned/pkg:npm/a"]
    assert [(e.reason_code, e.context["result"]) for e in long.events] == [
        ("fs_buffer_too_small", -4),  # 64 KiB offered
        ("fs_read", (tmp_path / "long.txt").stat().st_size),  # 128 KiB offered
    ]
    assert [f.message for f in huge.findings] == [
        "banned-packages-file-wasm could not load its list: "
        "read_file(huge.txt) failed: larger than 1048576 bytes (-4)"
    ]
    assert [e.context["buf_cap"] for e in huge.events] == [65536 << i for i in range(5)]
