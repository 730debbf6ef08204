"""A protocol-2 test plugin answering with bomdrift-shaped findings (``data`` as its enrichment entries).

colorama (added): a vulnerability GHSA-test-0001 (alias CVE-2099-0001, HIGH, EPSS 0.7, KEV) and a
typosquat of "colorame"; requests (version change): a version jump 2 -> 2 is not one, so a
licence violation instead. Written into a test's tmp_path with ``install_signals``.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

PLUGIN = """\
import json, sys
req = json.loads(sys.stdin.read())
c = req["component"]
purl = c["purl"]
out = []
if c["name"] == "colorama":
    out.append({"kind": "vulnerability", "message": "GHSA-test-0001", "severity": "error",
                "rule_id": "osv/GHSA-test-0001",
                "data": {"id": "GHSA-test-0001", "severity": "HIGH", "aliases": ["CVE-2099-0001"],
                         "epss_score": 0.7, "kev": True}})
    out.append({"kind": "typosquat", "message": "close to colorame", "severity": "warning",
                "rule_id": "typosquat/colorama",
                "data": {"closest": "colorame", "score": 0.93}})
if c["name"] == "requests":
    out.append({"kind": "license-violation", "message": "Apache-2.0 denied", "severity": "error",
                "rule_id": "license/requests",
                "data": {"license": "Apache-2.0", "matched_rule": "deny: Apache-2.0", "kind": "deny"}})
print(json.dumps({"findings": out}))
"""


def install_signals(tmp_path: Path) -> Path:
    """Write the plugin and its manifest under ``tmp_path``; returns the manifest path."""
    script = tmp_path / "signals.py"
    script.write_text(f"#!{sys.executable} -S\n{PLUGIN}", encoding="utf-8")
    script.chmod(0o755)
    manifest = tmp_path / "signals.toml"
    manifest.write_text(
        f'[plugin]\nname = "signals"\nexec = {json.dumps(str(script))}\nprotocol_version = 2\n',
        encoding="utf-8",
    )
    return manifest
