"""builtin:osv scores CVSS v4.0 vectors as the `cvss` package does (plugins/osv/src/cvss4.rs).

The PyPA dump holds no v4 vector yet, so the records here are made for the test: random valid
vectors (seeded), chosen so that every rating boundary (0.1, 4.0, 7.0, 9.0) is met from both
sides, each in a record with no GHSA label, read offline with --osv-db. The plugin's rating must
be the rating of the library's score for every one.
"""

from __future__ import annotations

import json
import random
import zipfile
from pathlib import Path

from cvss import CVSS4

from tests.test_cli import bomhost

BASE = {
    "AV": "NALP", "AC": "LH", "AT": "NP", "PR": "NLH", "UI": "NPA",
    "VC": "HLN", "VI": "HLN", "VA": "HLN", "SC": "HLN", "SI": "HLN", "SA": "HLN",
}  # fmt: skip
OPTIONAL = {
    "E": "XAPU", "CR": "XHML", "IR": "XHML", "AR": "XHML", "MAV": "XNALP", "MAC": "XLH",
    "MAT": "XNP", "MPR": "XNLH", "MUI": "XNPA", "MVC": "XHLN", "MVI": "XHLN", "MVA": "XHLN",
    "MSC": "XHLN", "MSI": "XSHLN", "MSA": "XSHLN",
}  # fmt: skip
EDGES = {0.0, 0.1, 3.9, 4.0, 6.9, 7.0, 8.9, 9.0}


def rating(score: float) -> str:
    for floor, name in ((9.0, "CRITICAL"), (7.0, "HIGH"), (4.0, "MEDIUM"), (0.1, "LOW")):
        if score >= floor:
            return name
    return "NONE"


def vectors(n: int, seed: int = 4) -> list[tuple[str, float]]:
    rng = random.Random(seed)
    edge: list[tuple[str, float]] = []
    other: list[tuple[str, float]] = []
    while len(edge) < n // 2 or len(other) < n // 2:
        parts = [f"{k}:{rng.choice(v)}" for k, v in BASE.items()]
        parts += [f"{k}:{rng.choice(v)}" for k, v in OPTIONAL.items() if rng.random() < 0.3]
        text = "CVSS:4.0/" + "/".join(parts)
        score = float(CVSS4(text).base_score)
        bucket = edge if score in EDGES else other
        if len(bucket) < n // 2:
            bucket.append((text, score))
    return edge + other


def test_v4_scores_rate_as_the_cvss_library(tmp_path: Path) -> None:
    cases = vectors(300)
    dump = tmp_path / "all.zip"
    with zipfile.ZipFile(dump, "w") as zf:
        for i, (vector, _) in enumerate(cases):
            record = {
                "id": f"TEST-CVSS4-{i}",
                "modified": "2026-01-01T00:00:00Z",
                "severity": [{"type": "CVSS_V4", "score": vector}],
                "affected": [
                    {"package": {"ecosystem": "PyPI", "name": f"pkg{i}"}, "versions": ["1.0.0"]}
                ],
            }
            zf.writestr(f"TEST-CVSS4-{i}.json", json.dumps(record))
    old, new = tmp_path / "old.json", tmp_path / "new.json"
    old.write_text('{"bomFormat":"CycloneDX","specVersion":"1.6","components":[]}')
    comps = [
        {"type": "library", "name": f"pkg{i}", "version": "1.0.0", "purl": f"pkg:pypi/pkg{i}@1.0.0"}
        for i in range(len(cases))
    ]
    new.write_text(
        json.dumps({"bomFormat": "CycloneDX", "specVersion": "1.6", "components": comps})
    )
    proc = bomhost(
        "diff", old, new, "--plugin", "builtin:osv", "--osv-db", dump, "--output", "json",
        "--no-registry", "--no-maintainer-age", cwd=tmp_path,
    )  # fmt: skip
    assert proc.returncode == 0, proc.stderr
    got = {
        f["data"]["id"]: f["data"]["severity"]
        for f in json.loads(proc.stdout)["enrichment"]["plugin_findings"]
        if f["plugin_name"] == "osv"
    }
    want = {f"TEST-CVSS4-{i}": rating(score) for i, (_, score) in enumerate(cases)}
    wrong = {
        k: (got.get(k), v, cases[int(k.rsplit("-", 1)[1])])
        for k, v in want.items()
        if got.get(k) != v
    }
    assert wrong == {}
    assert {rating(s) for _, s in cases} == {"NONE", "LOW", "MEDIUM", "HIGH", "CRITICAL"}
