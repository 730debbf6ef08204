"""The shipped policy presets (strict, balanced, dev): commented TOML files to start from.

The canonical copies are package data in ``bomhost/policy/templates/``, so ``bomhost policy
template`` works from an installed wheel; ``policies/`` at the repository root holds the same
bytes for people browsing the source (a test keeps the two identical).
"""

from __future__ import annotations

from importlib import resources
from typing import Literal, get_args

from bomhost.errors import UsageError

PresetName = Literal["strict", "balanced", "dev"]
PRESETS: tuple[str, ...] = get_args(PresetName)


def preset_text(name: str) -> str:
    """The commented TOML of one preset."""
    if name not in PRESETS:
        raise UsageError(f"unknown preset {name!r} (choose from {', '.join(PRESETS)})")
    return (resources.files("bomhost.policy") / "templates" / f"{name}.toml").read_text("utf-8")
