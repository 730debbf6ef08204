"""End to end: ``bomhost diff --plugin`` with the example plugin as shipped, and a failing one."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

from tests.plugins.util import install, manifest

ROOT = Path(__file__).resolve().parents[2]
EXAMPLE = ROOT / "examples" / "plugins" / "banned-packages" / "plugin.toml"
BOMHOST = Path(sys.executable).with_name("bomhost")


def cdx(path: Path, *purls: str) -> Path:
    comps = []
    for purl in purls:
        name, version = purl.rsplit("/", 1)[1].split("@")
        comps.append({"type": "library", "name": name, "version": version, "purl": purl})
    doc = {"bomFormat": "CycloneDX", "specVersion": "1.5", "version": 1, "components": comps}
    path.write_text(json.dumps(doc), encoding="utf-8")
    return path


def bomhost(*args: str | Path, cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(BOMHOST), "diff", *map(str, args)],
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def test_diff_with_example_and_failing_plugin(tmp_path: Path) -> None:
    old = cdx(tmp_path / "old.json", "pkg:npm/lodash@4.17.21", "pkg:npm/event-stream@3.3.5")
    new = cdx(
        tmp_path / "new.json",
        "pkg:npm/lodash@4.17.21",
        "pkg:npm/event-stream@3.3.6",
        "pkg:npm/left-pad@1.3.0",
        "pkg:npm/crash@1.0.0",
    )
    failing = manifest(tmp_path, install(tmp_path, "behave.py"), name="behave").path
    args = (old, new, "--plugin", EXAMPLE, "--plugin", failing, "--output", "json", "--jobs", "2")
    res = bomhost(*args, cwd=tmp_path)
    assert res.returncode == 0, res.stderr
    report = json.loads(res.stdout)
    findings = report["enrichment"]["plugin_findings"]
    assert [(f["plugin_name"], f["component_purl"], f["rule_id"]) for f in findings] == [
        ("banned-packages", "pkg:npm/left-pad@1.3.0", "banned/pkg:npm/left-pad"),
        ("banned-packages", "pkg:npm/event-stream@3.3.6", "banned/pkg:npm/event-stream@3.3.6"),
    ]
    assert findings[0]["message"] == "pkg:npm/left-pad@1.3.0 matches banned prefix pkg:npm/left-pad"
    assert report["enrichment"]["plugin_errors"] == [
        {
            "plugin_name": "behave",
            "component_purl": "pkg:npm/crash@1.0.0",
            "error_kind": "exit_status",
            "message": "exited with status 3: boom",
        }
    ]
    # One summary line for the failing plugin (the count of calls when the CLI passes it).
    summary = (
        r"^bomhost: plugin behave: 1 (of 3 calls|call) failed \(1 exit_status\); see enrichment"
    )
    assert re.search(summary, res.stderr, re.MULTILINE), res.stderr
    assert "banned-packages" not in res.stderr
    # Same inputs, same bytes.
    assert bomhost(*args, cwd=tmp_path).stdout == res.stdout
    # Failures gate only when asked to.
    assert bomhost(*args, "--fail-on", "plugin-error", cwd=tmp_path).returncode == 2
    assert bomhost(*args, "--fail-on", "any", cwd=tmp_path).returncode == 2


def test_bad_manifest_is_one_line_exit_1(tmp_path: Path) -> None:
    old = cdx(tmp_path / "old.json", "pkg:npm/a@1.0.0")
    bad = tmp_path / "bad.toml"
    bad.write_text('[plugin]\nname = "x"\nexec = "./x"\ntimeout_ms = 0\n', encoding="utf-8")
    res = bomhost(old, old, "--plugin", bad, cwd=tmp_path)
    assert res.returncode == 1
    lines = res.stderr.strip().splitlines()
    assert len(lines) == 1
    assert "bad.toml" in lines[0]
    assert "timeout_ms" in lines[0]
