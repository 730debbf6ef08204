"""Reading the TOML files a user writes (manifests, policies, .bomhost.toml), with one-line errors.

One place turns tomllib and pydantic failures into messages that name the file and the key, so a
manifest, a policy and the project config report mistakes the same way.
"""

from __future__ import annotations

import tomllib
from collections.abc import Callable
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from bomhost.errors import BomhostError


def read_toml(path: Path, what: str, error: Callable[[str], BomhostError]) -> dict[str, Any]:
    """The file's top-level table; ``error`` builds the exception (``what`` names the file's role)."""
    try:
        return tomllib.loads(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise error(f"{path}: cannot read {what}: {exc.strerror or exc}") from exc
    except UnicodeDecodeError as exc:
        raise error(f"{path}: {what} is not UTF-8 text") from exc
    except tomllib.TOMLDecodeError as exc:
        raise error(f"{path}: invalid TOML: {exc}") from exc


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


def first_error(exc: ValidationError) -> str:
    """The first validation error as ``location: message`` (or just the message)."""
    where, msg = describe_errors(exc)[0]
    return f"{where}: {msg}" if where else msg
