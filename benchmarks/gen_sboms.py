"""Deterministic generator of large CycloneDX JSON pairs, built from real component records.

Every generated component is a copy of a real one from tests/assets/sboms (Go, npm and Maven
records with their real hashes, licences, external references and purl shapes: qualifiers,
subpaths, ``%40`` scopes), made unique by a numbered suffix on its name and purl. The new side
mutates the old one with a seeded RNG, so the expected buckets are known exactly:

    removed 1%, added 1%, version upgraded 2%, licence changed (same version) 0.5%,
    hash changed (same version) 0.5%

Usage: ``python benchmarks/gen_sboms.py N OUTDIR [--seed S]`` writes OUTDIR/old.cdx.json,
OUTDIR/new.cdx.json and OUTDIR/expected.json.
"""

from __future__ import annotations

import argparse
import copy
import json
import random
import subprocess
import sys
from pathlib import Path
from typing import Any

SOURCES = Path(__file__).resolve().parent.parent / "tests" / "assets" / "sboms"
REAL_FILES = (
    "cdx12-proton-bridge-v1.6.3.bom.json",
    "cdx12-juice-shop-v11.1.2.bom.json",
    "cdx14-juice-shop-v14.1.1-flat.bom.json",
    "cdx12-dropwizard-1.3.15.bom.json",
)


def real_components(sources: Path = SOURCES) -> list[dict[str, Any]]:
    """Every top-level component of the real CycloneDX JSON files that has a purl, in order."""
    pool: list[dict[str, Any]] = []
    for name in REAL_FILES:
        doc = json.loads((sources / name).read_text(encoding="utf-8"))
        pool.extend(c for c in doc.get("components", []) if isinstance(c.get("purl"), str))
    return pool


def _split_purl(purl: str) -> tuple[str, str, str]:
    """(base, version, tail): ``pkg:t/ns/name``, ``1.2``, ``?q=1#sub`` (tail keeps its marker)."""
    cut = len(purl)
    for marker in "?#":
        pos = purl.find(marker)
        if pos != -1:
            cut = min(cut, pos)
    head, tail = purl[:cut], purl[cut:]
    base, _, version = head.rpartition("@")
    if not base:
        return head, "", tail
    return base, version, tail


def _unique(template: dict[str, Any], number: int) -> dict[str, Any]:
    component = copy.deepcopy(template)
    base, version, tail = _split_purl(template["purl"])
    component["name"] = f"{template['name']}-g{number}"
    purl = f"{base}-g{number}" + (f"@{version}" if version else "") + tail
    component["purl"] = purl
    component["bom-ref"] = purl
    component.pop("components", None)
    return component


def _bump(version: str) -> str:
    """A higher version: the last run of digits plus one, or ``.1`` appended."""
    digits_end = len(version)
    while digits_end > 0 and not version[digits_end - 1].isdigit():
        digits_end -= 1
    start = digits_end
    while start > 0 and version[start - 1].isdigit():
        start -= 1
    if start == digits_end:
        return version + ".1"
    return version[:start] + str(int(version[start:digits_end]) + 1) + version[digits_end:]


def _set_version(component: dict[str, Any], version: str) -> None:
    base, _, tail = _split_purl(component["purl"])
    component["version"] = version
    component["purl"] = f"{base}@{version}{tail}"
    component["bom-ref"] = component["purl"]


def _new_hashes(component: dict[str, Any], rng: random.Random) -> None:
    for h in component.get("hashes", []):
        h["content"] = "".join(rng.choice("0123456789abcdef") for _ in h["content"])


def _document(components: list[dict[str, Any]], serial: int) -> dict[str, Any]:
    root = "pkg:generic/bench-root@1.0.0"
    direct = [c["bom-ref"] for c in components[: max(1, len(components) // 10)]]
    return {
        "bomFormat": "CycloneDX",
        "specVersion": "1.5",
        "serialNumber": f"urn:uuid:00000000-0000-4000-8000-{serial:012d}",
        "version": 1,
        "metadata": {"component": {"type": "application", "name": "bench-root", "bom-ref": root}},
        "components": components,
        "dependencies": [{"ref": root, "dependsOn": direct}],
    }


def generate(
    n: int, seed: int = 1, sources: Path = SOURCES
) -> tuple[dict[str, Any], dict[str, Any], dict[str, int]]:
    """(old document, new document, expected bucket sizes) for ``n`` old components."""
    rng = random.Random(seed)
    pool = real_components(sources)
    old = [_unique(pool[i % len(pool)], i) for i in range(n)]
    indices = list(range(n))
    rng.shuffle(indices)
    counts = {
        "removed": n // 100,
        "version_changed": n // 50,
        "license_changed": n // 200,
        "hash_changed": n // 200,
    }
    cursor = 0
    plan: dict[int, str] = {}
    for bucket, count in counts.items():
        for index in indices[cursor : cursor + count]:
            plan[index] = bucket
        cursor += count
    hash_changed = 0
    new: list[dict[str, Any]] = []
    for index, component in enumerate(old):
        action = plan.get(index)
        if action == "removed":
            continue
        changed = copy.deepcopy(component)
        if action == "version_changed":
            _set_version(changed, _bump(changed.get("version", "0")))
            _new_hashes(changed, rng)
        elif action == "license_changed":
            changed["licenses"] = [{"license": {"id": "GPL-3.0-only"}}]
        elif action == "hash_changed" and changed.get("hashes"):
            _new_hashes(changed, rng)
            hash_changed += 1
        new.append(changed)
    added = n // 100
    new.extend(_unique(pool[(n + i) % len(pool)], n + i) for i in range(added))
    expected = {
        "added": added,
        "removed": counts["removed"],
        "version_changed": counts["version_changed"],
        "license_changed": counts["license_changed"],
        # Some real records carry no hash; those cannot change one.
        "hash_changed": hash_changed,
    }
    return _document(old, 1), _document(new, 2), expected


def write(n: int, outdir: Path, seed: int = 1) -> tuple[Path, Path, dict[str, int]]:
    """Generate a pair and write it under ``outdir``; returns the two paths and the expectation."""
    old, new, expected = generate(n, seed)
    outdir.mkdir(parents=True, exist_ok=True)
    old_path, new_path = outdir / "old.cdx.json", outdir / "new.cdx.json"
    old_path.write_text(json.dumps(old), encoding="utf-8")
    new_path.write_text(json.dumps(new), encoding="utf-8")
    (outdir / "expected.json").write_text(json.dumps(expected, indent=2), encoding="utf-8")
    return old_path, new_path, expected


def write_apart(n: int, outdir: Path, seed: int = 1) -> tuple[Path, Path, dict[str, int]]:
    """``write`` in a child process, so the caller's memory does not grow with the pair.

    Linux copies a process's peak RSS into the children it forks (``ru_maxrss`` of a child is
    at least its parent's peak when it was forked): a harness that built a 500k pair itself
    would report its own peak as every later child's.
    """
    proc = subprocess.run(
        [sys.executable, str(Path(__file__).resolve()), str(n), str(outdir), "--seed", str(seed)],
        check=True,
        capture_output=True,
        text=True,
    )
    expected: dict[str, int] = json.loads(proc.stdout)
    return outdir / "old.cdx.json", outdir / "new.cdx.json", expected


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("n", type=int)
    parser.add_argument("outdir", type=Path)
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()
    _, _, expected = write(args.n, args.outdir, args.seed)
    print(json.dumps(expected))


if __name__ == "__main__":
    main()
