"""Reading a policy file (TOML) into a validated ``Policy``; the built-in default without one."""

from __future__ import annotations

import tomllib
from pathlib import Path

from pydantic import ValidationError

from bomhost.errors import PolicyError
from bomhost.policy.model import Policy


def load_policy(path: str | Path | None) -> Policy:
    """The policy in ``path``, or the strict built-in default when ``path`` is None."""
    if path is None:
        return Policy()
    p = Path(path)
    try:
        raw = tomllib.loads(p.read_text(encoding="utf-8"))
    except OSError as exc:
        raise PolicyError(f"{p}: cannot read policy: {exc.strerror or exc}") from exc
    except (UnicodeDecodeError, tomllib.TOMLDecodeError) as exc:
        raise PolicyError(f"{p}: invalid TOML: {exc}") from exc
    try:
        return Policy.model_validate({**raw, "source": str(p)})
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(x) for x in first["loc"])
        raise PolicyError(f"{p}: {where}: {first['msg']}") from exc
