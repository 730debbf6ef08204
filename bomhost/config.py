"""The project config ``.bomhost.toml``: operator defaults that travel with the repository.

Looked up from the working directory upwards, stopping at the repository root (a folder with
``.git``). Paths in it are relative to the file. Command-line options always win.
"""

from __future__ import annotations

import os
from pathlib import Path

from pydantic import BaseModel, ConfigDict, ValidationError

from bomhost.errors import UsageError
from bomhost.tomlfile import first_error, read_toml

CONFIG_NAME = ".bomhost.toml"


def default_cache_dir() -> Path:
    """``$BOMHOST_CACHE_DIR``, else the user cache dir (e.g. ~/.cache/bomhost).

    Everything bomhost caches lives under it: compiled modules (``wasm/``), HTTP answers
    (``http/``) and refreshed typosquat lists (``typosquat/``).
    """
    env = os.environ.get("BOMHOST_CACHE_DIR")
    if env:
        return Path(env)
    import platformdirs

    return Path(platformdirs.user_cache_dir("bomhost"))


class ProjectConfig(BaseModel):
    """Keys of ``.bomhost.toml``; every one optional."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    policy: str | None = None
    plugins: tuple[str, ...] = ()
    source: str | None = None

    def resolve(self, value: str) -> str:
        """A path from the config, made relative to the config file's folder."""
        base = Path(self.source).parent if self.source else Path()
        return str(base / value)

    def policy_path(self, explicit: str | None) -> str | None:
        """The policy in force: ``--policy`` when given, else this config's, else None."""
        if explicit is not None or self.policy is None:
            return explicit
        return self.resolve(self.policy)


def find_config(start: Path | None = None) -> Path | None:
    """The nearest ``.bomhost.toml`` from ``start`` up to the repository root, if any."""
    here = (start or Path.cwd()).resolve()
    for folder in (here, *here.parents):
        candidate = folder / CONFIG_NAME
        if candidate.is_file():
            return candidate
        if (folder / ".git").exists():
            return None
    return None


def load_config(path: Path | None) -> ProjectConfig:
    """Parse a project config; an absent file is the empty config."""
    if path is None:
        return ProjectConfig()
    raw = read_toml(path, "config", UsageError)
    try:
        return ProjectConfig.model_validate({**raw, "source": str(path)})
    except ValidationError as exc:
        raise UsageError(f"{path}: {first_error(exc)}") from exc
