"""Reading a policy file (TOML) into a validated ``Policy``; the built-in default without one."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from bomhost.errors import PolicyError
from bomhost.policy.model import Policy
from bomhost.tomlfile import first_error, read_toml


def load_policy(path: str | Path | None) -> Policy:
    """The policy in ``path``, or the strict built-in default when ``path`` is None.

    Relative ``[[fs.read]]`` paths are resolved against the policy file's folder, here, once.
    """
    if path is None:
        return Policy()
    p = Path(path)
    raw = read_toml(p, "policy", PolicyError)
    try:
        return validate_policy(raw, p)
    except ValidationError as exc:
        raise PolicyError(f"{p}: {first_error(exc)}") from exc


def validate_policy(raw: dict[str, Any], p: Path) -> Policy:
    """Validate a parsed file; raises pydantic's ``ValidationError`` (callers translate it)."""
    if "source" in raw:
        # ``source`` is bookkeeping, not part of the language: refuse it like any unknown key.
        raise PolicyError(f"{p}: source: unknown key")
    base = os.path.dirname(os.path.abspath(p))
    return Policy.model_validate({**raw, "source": str(p)}, context={"base_dir": base})
