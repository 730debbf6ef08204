"""Record the registry fixtures of tests/builtins/test_registry.py from the real registries.

Run from the repository root (needs network): ``python tests/assets/registry/record.py``.
For every npm and PyPI component the plugins are sent for the two real SBOM pairs (juice-shop
v11.1.2 -> v14.1.1, tests/assets/sboms/pyenv-old -> pyenv-new), it fetches the same document
the plugin fetches and keeps only what the plugin reads (publish times, deprecation, yanked
flags, maintainers) for the versions involved, so the fixtures stay small.
"""

from __future__ import annotations

import json
import sys
import urllib.parse
import urllib.request
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[3]
sys.path.insert(0, str(ROOT))

from bomhost.diff import diff  # noqa: E402
from bomhost.sbom import load  # noqa: E402

HERE = Path(__file__).resolve().parent
SBOMS = ROOT / "tests/assets/sboms"
PAIRS = {
    "npm": (
        SBOMS / "cdx12-juice-shop-v11.1.2.bom.json",
        SBOMS / "cdx14-juice-shop-v14.1.1-flat.bom.json",
    ),
    "pypi": (SBOMS / "pyenv-old.cdx1.6.json", SBOMS / "pyenv-new.cdx1.6.json"),
}
EXTRA = {"pypi": {"requests": {"2.32.0"}}}  # a yanked release, for the yanked test


def npm_name(purl: str | None, name: str) -> str:
    if not purl or not purl.startswith("pkg:npm/"):
        return name
    path = purl[len("pkg:npm/") :].split("?")[0].split("#")[0].rsplit("@", 1)[0]
    return "/".join(urllib.parse.unquote(s) for s in path.split("/") if s)


def wanted(eco: str) -> dict[str, set[str]]:
    old, new = (load(str(p), "auto") for p in PAIRS[eco])
    changes = diff(old.components, new.components)
    out: dict[str, set[str]] = {}
    pairs = [(c, None) for c in changes.added] + [
        (v.after, v.before) for v in changes.version_changed
    ]
    for comp, before in pairs:
        if comp.ecosystem != eco:
            continue
        name = npm_name(comp.purl, comp.name) if eco == "npm" else comp.name.lower()
        out.setdefault(name, set()).add(comp.version)
        if before is not None:
            out[name].add(before.version)
    for name, versions in EXTRA.get(eco, {}).items():
        out.setdefault(name, set()).update(versions)
    return out


def get(url: str) -> dict[str, Any]:
    with urllib.request.urlopen(url, timeout=60) as resp:
        doc: dict[str, Any] = json.load(resp)
        return doc


def npm_doc(name: str, versions: set[str]) -> dict[str, Any]:
    doc = get("https://registry.npmjs.org/" + urllib.parse.quote(name, safe=""))
    time = doc.get("time", {})
    keep_time = {k: time[k] for k in ("created", "modified") if k in time}
    keep_time.update({v: time[v] for v in sorted(versions) if v in time})
    keep_versions = {}
    for v in sorted(versions):
        meta = doc.get("versions", {}).get(v)
        if meta is None:
            continue
        keep_versions[v] = {
            k: meta[k] for k in ("name", "version", "deprecated", "maintainers") if k in meta
        }
    return {"name": doc.get("name", name), "time": keep_time, "versions": keep_versions}


def pypi_doc(name: str, versions: set[str]) -> dict[str, Any]:
    doc = get(f"https://pypi.org/pypi/{name}/json")
    info = {
        k: doc["info"].get(k) for k in ("name", "version", "classifiers", "yanked", "yanked_reason")
    }
    file_keys = ("filename", "upload_time_iso_8601", "yanked", "yanked_reason")
    releases = {
        v: [{k: f.get(k) for k in file_keys} for f in doc["releases"][v]]
        for v in sorted(versions)
        if v in doc.get("releases", {})
    }
    return {"info": info, "releases": releases}


def main() -> None:
    for eco, fetch in (("npm", npm_doc), ("pypi", pypi_doc)):
        names = wanted(eco)
        order = sorted(names)
        with ThreadPoolExecutor(4) as pool:
            got = pool.map(fetch, order, [names[n] for n in order])
            docs = dict(zip(order, got, strict=True))
        out = HERE / f"{eco}.json"
        out.write_text(json.dumps(docs, indent=1, sort_keys=True) + "\n", encoding="utf-8")
        print(f"{out}: {len(docs)} packages")


if __name__ == "__main__":
    main()
