"""typosquat and version-jump on a real pair: OWASP juice-shop 11.1.2 -> 14.1.1 (cyclonedx-npm).

298 components are added and hundreds change version between the two releases; what the two
signals report there is what a user of that project would see in the PR comment.
"""

from __future__ import annotations

import json
from pathlib import Path

from tests.test_cli import ROOT, bomhost

SBOMS = ROOT / "tests" / "assets" / "sboms"
OLD = SBOMS / "cdx12-juice-shop-v11.1.2.bom.json"
NEW = SBOMS / "cdx14-juice-shop-v14.1.1-flat.bom.json"


def test_typosquats_and_version_jumps_of_juice_shop(tmp_path: Path) -> None:
    proc = bomhost("diff", OLD, NEW, "--offline", "--output", "json", cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    enrichment = json.loads(proc.stdout)["enrichment"]
    squats = [(t["component"]["name"], t["closest"]) for t in enrichment["typosquats"]]
    # Three look-alikes by bomdrift's rules; no @types/x or @scope/x copy of a popular name.
    assert squats == [
        ("foreachasync", "async"),
        ("string.prototype.codepointat", "string.prototype.repeat"),
        ("walk", "walker"),
    ]
    jumps = {
        (j["after"]["name"], j["before_major"], j["after_major"])
        for j in enrichment["version_jumps"]
    }
    assert ("sequelize-pool", 2, 7) in jumps
    assert ("validator", 10, 13) in jumps
    assert all(after - before >= 2 for _, before, after in jumps)
    assert len(jumps) == 9
