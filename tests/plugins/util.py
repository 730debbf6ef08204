"""Helpers for plugin tests: install a test plugin into a temp dir and write its manifest."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

from bomhost.plugins.manifest import LoadedManifest, load_manifest

ASSETS = Path(__file__).resolve().parent.parent / "assets" / "plugins"


def install(tmp_path: Path, script: str) -> Path:
    """Copy a test plugin (and its helper module) into ``tmp_path``, executable.

    The shebang is pointed at this interpreter with ``-S``: the committed ``/usr/bin/env
    python3`` may resolve to a slow shim, and start-up time is not what these tests measure.
    """
    for name in ("behave.py", script):
        src = (ASSETS / name).read_text(encoding="utf-8")
        body = src.split("\n", 1)[1]
        dst = tmp_path / name
        dst.write_text(f"#!{sys.executable} -S\n{body}", encoding="utf-8")
        dst.chmod(0o755)
    return tmp_path / script


def toml_value(value: Any) -> str:
    # JSON strings, numbers, booleans and arrays are valid TOML for the values used here.
    return json.dumps(value)


def manifest(
    tmp_path: Path, exec_: str | Path, name: str = "behave", **fields: Any
) -> LoadedManifest:
    """Write ``plugin.toml`` in ``tmp_path`` (``config`` becomes ``[plugin.config]``) and load it."""
    config = fields.pop("config", None)
    lines = ["[plugin]", f"name = {toml_value(name)}", f"exec = {toml_value(str(exec_))}"]
    lines += [f"{k} = {toml_value(v)}" for k, v in fields.items()]
    if config is not None:
        lines.append("[plugin.config]")
        lines += [f"{k} = {toml_value(v)}" for k, v in config.items()]
    path = tmp_path / f"{name}.toml"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return load_manifest(path)
