"""``bomhost plugin pin``: write the exec file's sha256 into its manifest, changing nothing else.

The manifest is edited with tomlkit, which keeps comments, order and formatting: authors
write these files by hand and commit them, so a pin must be a one-line diff. The result is
loaded again before it replaces the original, so a pin can never leave an invalid manifest.
"""

from __future__ import annotations

import hashlib
import os
import tempfile
from dataclasses import dataclass
from pathlib import Path

import tomlkit
from tomlkit.exceptions import TOMLKitError

from bomhost.errors import ManifestError, PluginLoadError
from bomhost.plugins.manifest import load_manifest


@dataclass(frozen=True)
class Pin:
    """The outcome: the digest, the file it is of, and what the manifest said before."""

    manifest: Path
    exec_path: Path
    size: int
    sha256: str
    previous: str | None

    @property
    def changed(self) -> bool:
        return self.previous != self.sha256


def digest(path: Path, plugin: str) -> tuple[str, int]:
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise PluginLoadError(
            f"plugin {plugin!r}: cannot read {path}: {exc.strerror or exc} (build it first)"
        ) from exc
    return hashlib.sha256(data).hexdigest(), len(data)


def pin(manifest: Path, *, write: bool = True) -> Pin:
    """Pin ``manifest``'s exec (``write=False``: only compute, for ``--check``)."""
    plugin = load_manifest(manifest)  # a manifest that does not load is not pinned
    sha, size = digest(plugin.exec_path, plugin.name)
    previous = plugin.manifest.sha256.lower() if plugin.manifest.sha256 else None
    result = Pin(manifest, plugin.exec_path, size, sha, previous)
    if not write or not result.changed:
        return result
    try:
        text = manifest.read_text(encoding="utf-8")
        doc = tomlkit.parse(text)
        table = doc["plugin"]
        table["sha256"] = sha
        new_text = tomlkit.dumps(doc)
    except (OSError, TOMLKitError, KeyError, TypeError) as exc:
        raise ManifestError(f"{manifest}: cannot rewrite the manifest: {exc}") from exc
    folder = manifest.parent
    fd, tmp = tempfile.mkstemp(prefix=".pin-", suffix=".toml", dir=folder)
    try:
        with os.fdopen(fd, "w", encoding="utf-8", newline="") as fh:
            fh.write(new_text)
        os.chmod(tmp, manifest.stat().st_mode & 0o7777)
        check = load_manifest(tmp)
        if check.manifest.sha256 != sha or check.exec_path != plugin.exec_path:
            raise ManifestError(f"{manifest}: the pinned manifest does not load as expected")
        os.replace(tmp, manifest)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return result
