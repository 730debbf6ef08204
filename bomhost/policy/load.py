"""Reading a policy file (TOML) into a validated ``Policy``; the built-in default without one."""

from __future__ import annotations

import os
import tomllib
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from bomhost.errors import PolicyError
from bomhost.policy.model import Policy


def load_policy(path: str | Path | None) -> Policy:
    """The policy in ``path``, or the strict built-in default when ``path`` is None.

    Relative ``[[fs.read]]`` paths are resolved against the policy file's folder, here, once.
    """
    if path is None:
        return Policy()
    p = Path(path)
    raw = read_toml(p)
    try:
        return validate_policy(raw, p)
    except ValidationError as exc:
        where, msg = describe_errors(exc)[0]
        raise PolicyError(f"{p}: {where}: {msg}" if where else f"{p}: {msg}") from exc


def read_toml(p: Path) -> dict[str, Any]:
    """The file's TOML table, or ``PolicyError`` naming the file."""
    try:
        return tomllib.loads(p.read_text(encoding="utf-8"))
    except OSError as exc:
        raise PolicyError(f"{p}: cannot read policy: {exc.strerror or exc}") from exc
    except UnicodeDecodeError as exc:
        raise PolicyError(f"{p}: policy is not UTF-8 text") from exc
    except tomllib.TOMLDecodeError as exc:
        raise PolicyError(f"{p}: invalid TOML: {exc}") from exc


def validate_policy(raw: dict[str, Any], p: Path) -> Policy:
    """Validate a parsed file; raises pydantic's ``ValidationError`` (callers translate it)."""
    if "source" in raw:
        # ``source`` is bookkeeping, not part of the language: refuse it like any unknown key.
        raise PolicyError(f"{p}: source: unknown key")
    base = os.path.dirname(os.path.abspath(p))
    return Policy.model_validate({**raw, "source": str(p)}, context={"base_dir": base})


def describe_errors(exc: ValidationError) -> list[tuple[str, str]]:
    """Every validation error as (TOML location such as ``fs.read[0].port``, one-line message)."""
    out: list[tuple[str, str]] = []
    for err in exc.errors():
        where = ""
        for part in err["loc"]:
            where += f"[{part}]" if isinstance(part, int) else (f".{part}" if where else str(part))
        if err["type"] == "extra_forbidden":
            msg = "unknown key"
        elif err["type"] == "missing":
            msg = "required key is missing"
        else:
            msg = err["msg"].removeprefix("Value error, ")
        out.append((where, msg))
    return out
