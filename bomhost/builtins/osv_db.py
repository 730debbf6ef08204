"""``bomhost diff --osv-db PATH``: point ``builtin:osv`` at an OSV dump, and grant exactly it.

The operator names the dump on the command line, so naming it is the grant: the osv plugin's
``[plugins.osv]`` table gains one ``[[fs.read]]`` rule for that path and nothing else, and the
plugin's config gains ``osv_db`` (which switches it to offline mode, no network). The dump is
third-party data, so it is parsed and evaluated only inside the plugin, in the sandbox.

A folder of records (``<ID>.json`` files, e.g. an unpacked ``all.zip``) is copied into one
uncompressed zip in a temporary folder first: the plugin cannot list folders, and one read of
one file keeps the broker's per-call request cap out of the way. The copy moves bytes only; no
record is parsed on this side.
"""

from __future__ import annotations

import os
import zipfile
from collections.abc import Sequence
from dataclasses import replace
from pathlib import Path

from bomhost.errors import UsageError
from bomhost.plugins.manifest import LoadedManifest
from bomhost.policy.model import FsReadRule, FsTable, PluginPolicy, Policy

PLUGIN = "osv"
RULE_ID = "osv-db"


def pack_folder(folder: Path, into: Path) -> Path:
    """Every ``*.json`` below ``folder`` (sorted, paths relative to it) as a stored zip."""
    target = into / "osv-db.zip"
    files = sorted(p for p in folder.rglob("*.json") if p.is_file())
    with zipfile.ZipFile(target, "w", compression=zipfile.ZIP_STORED) as zf:
        for path in files:
            zf.write(path, path.relative_to(folder).as_posix())
    return target


def dump_path(option: str, scratch: Path) -> Path:
    """The file the plugin will read: the zip as given, or a folder packed into ``scratch``."""
    path = Path(option)
    if path.is_dir():
        return pack_folder(path, scratch)
    if not path.is_file():
        raise UsageError(f"--osv-db {option}: no such file or folder")
    if not os.access(path, os.R_OK):
        raise UsageError(f"--osv-db {option}: not readable")
    return path


def apply(
    dump: Path, manifests: Sequence[LoadedManifest], policy: Policy
) -> tuple[list[LoadedManifest], Policy, list[str]]:
    """Manifests with ``osv_db`` in the osv plugin's config, and the policy granting the dump."""
    real = os.path.realpath(dump)
    out: list[LoadedManifest] = []
    found = False
    for m in manifests:
        if m.name == PLUGIN:
            found = True
            config = {**m.manifest.config, "osv_db": real}
            m = replace(m, manifest=m.manifest.model_copy(update={"config": config}))
        out.append(m)
    if not found:
        return out, policy, [f"--osv-db ignored: the {PLUGIN} plugin is not enabled"]
    if policy.find_rule(RULE_ID) is not None:
        raise UsageError(f"--osv-db: the policy already has a rule with id {RULE_ID!r}")
    rule = FsReadRule.model_validate({"id": RULE_ID, "path": real})
    table = policy.plugins.get(PLUGIN, PluginPolicy())
    table = table.model_copy(update={"fs": FsTable(read=(rule, *table.fs.read))})
    policy = policy.model_copy(update={"plugins": {**policy.plugins, PLUGIN: table}})
    return out, policy, []
