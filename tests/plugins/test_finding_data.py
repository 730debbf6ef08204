"""Protocol 2 ``data`` on findings: carried to the JSON report, ignored when not an object."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
SBOMS = ROOT / "examples" / "sboms"

PLUGIN = """\
import json, sys
req = json.loads(sys.stdin.read())
name = req["component"]["name"]
print(json.dumps({"findings": [
    {"kind": "vulnerability", "message": "m", "severity": "warning", "rule_id": "r1",
     "data": {"zeta": 1, "aliases": ["CVE-1"], "nested": {"b": 2, "a": None}}},
    {"kind": "note", "message": name, "severity": "info", "rule_id": "r2", "data": "not-an-object"},
]}))
"""


def test_data_reaches_the_json_report_sorted_and_non_objects_are_dropped(tmp_path: Path) -> None:
    script = tmp_path / "plugin.py"
    script.write_text(f"#!{sys.executable} -S\n{PLUGIN}", encoding="utf-8")
    script.chmod(0o755)
    manifest = tmp_path / "plugin.toml"
    manifest.write_text(
        f'[plugin]\nname = "data"\nexec = {json.dumps(str(script))}\nprotocol_version = 2\n',
        encoding="utf-8",
    )
    cmd = [
        sys.executable, "-m", "bomhost", "diff",
        str(SBOMS / "old.cdx.json"), str(SBOMS / "new.cdx.json"),
        "--plugin", str(manifest), "--output", "json",
    ]  # fmt: skip
    out = subprocess.run(cmd, capture_output=True, text=True, timeout=60, check=False)
    assert out.returncode == 0, out.stderr
    findings = json.loads(out.stdout)["enrichment"]["plugin_findings"]
    with_data = [f for f in findings if f["rule_id"] == "r1"]
    without = [f for f in findings if f["rule_id"] == "r2"]
    assert with_data
    assert without
    assert with_data[0]["data"] == {"aliases": ["CVE-1"], "nested": {"a": None, "b": 2}, "zeta": 1}
    assert list(with_data[0]["data"]) == ["aliases", "nested", "zeta"]
    # bomdrift's six fields, nothing more, when a plugin sent no object
    assert set(without[0]) == {
        "plugin_name", "component_purl", "kind", "message", "severity", "rule_id",
    }  # fmt: skip
