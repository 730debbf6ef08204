"""Shared pieces of the bomdrift compatibility tests: small SBOMs, manifests, the bomhost CLI."""

from __future__ import annotations

import json
import shutil
import sys
from pathlib import Path
from typing import Any

from tests.test_cli import bomhost

ASSETS = Path(__file__).resolve().parent.parent / "assets" / "compat"

__all__ = ["ASSETS", "bomhost", "cdx", "install", "write_manifest", "write_pair"]


def cdx(*components: dict[str, Any]) -> str:
    """A CycloneDX 1.5 JSON document, the input bomdrift reads."""
    return json.dumps({"bomFormat": "CycloneDX", "specVersion": "1.5", "components": components})


def write_pair(tmp_path: Path) -> tuple[Path, Path]:
    """old/new SBOMs: lodash upgraded, left-pad added (golang purl), a no-purl added, one removed."""
    old = tmp_path / "old.json"
    new = tmp_path / "new.json"
    old.write_text(
        cdx(
            {
                "type": "library",
                "name": "lodash",
                "version": "4.17.20",
                "purl": "pkg:npm/lodash@4.17.20",
                "licenses": [{"license": {"id": "MIT"}}],
            },
            {"type": "library", "name": "gone", "version": "1.0.0", "purl": "pkg:npm/gone@1.0.0"},
        )
    )
    new.write_text(
        cdx(
            {
                "type": "library",
                "name": "lodash",
                "version": "4.17.21",
                "purl": "pkg:npm/lodash@4.17.21",
                "licenses": [{"license": {"id": "MIT"}}],
                "hashes": [{"alg": "SHA-256", "content": "abcd"}],
            },
            {
                "type": "library",
                "name": "left-pad",
                "version": "1.0.0",
                "purl": "pkg:golang/github.com/x/left-pad@1.0.0",
                "supplier": {"name": "ACME"},
            },
            {"type": "library", "name": "nopurl", "version": "2.0"},
        )
    )
    return old, new


def install(tmp_path: Path, name: str) -> Path:
    """Copy a compat plugin next to its manifest; Python ones run on this interpreter."""
    dst = tmp_path / name
    shutil.copy2(ASSETS / name, dst)
    if name.endswith(".py"):
        body = dst.read_text(encoding="utf-8").split("\n", 1)[1]
        dst.write_text(f"#!{sys.executable} -S\n{body}", encoding="utf-8")
    dst.chmod(0o755)
    return dst


def write_manifest(tmp_path: Path, body: str, name: str = "plugin.toml") -> Path:
    """A manifest exactly as a bomdrift user writes it (TOML text, not generated)."""
    path = tmp_path / name
    path.write_text(body, encoding="utf-8")
    return path
