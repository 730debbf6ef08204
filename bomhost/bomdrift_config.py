"""bomdrift's ``.bomdrift.toml``: read with bomdrift's merge rules, so a repository switches over.

bomdrift reads ``.bomdrift.toml`` from the working directory (or ``--config PATH``) and fills in
every ``bomdrift diff`` option the command line left unset: the command line wins, and boolean
keys are OR-ed with their flag (a config can turn a switch on, never off). ``[diff.license]`` is
the licence policy; its lists replace, not extend, an empty command-line list.

Unlike bomdrift (whose serde model ignores unknown keys), an unknown key is an error: a typo such
as ``max_aded`` would otherwise stop gating and turn CI green. A known key whose option this build
does not have is an error too, naming the option, for the same reason.

The mapping is one table, key -> click parameter name, applied generically over whatever options
``bomhost diff`` declares: when an option is added (for example the signal flags), its config key
starts flowing into it with no change here.

bomhost's own settings (plugins, policy) live in ``.bomhost.toml`` (:mod:`bomhost.config`); the two
files coexist and neither reads the other's keys.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import click
from click.core import ParameterSource

from bomhost.errors import UsageError
from bomhost.tomlfile import read_toml

CONFIG_NAME = ".bomdrift.toml"

# Every key of bomdrift's [diff] table -> the click parameter name of the option it configures.
# Kept in bomdrift's order (src/config.rs, v0.9.7).
DIFF_KEYS: dict[str, str] = {
    "output": "output",
    "format": "fmt",
    "no_osv": "no_osv",
    "no_osv_cache": "no_osv_cache",
    "no_epss": "no_epss",
    "no_kev": "no_kev",
    "fail_on_epss": "fail_on_epss",
    "baseline": "baseline",
    "no_maintainer_age": "no_maintainer_age",
    "fail_on": "fail_on",
    "summary_only": "summary_only",
    "findings_only": "findings_only",
    "include_file_components": "include_file_components",
    "repo_url": "repo_url",
    "platform": "platform",
    "max_added": "max_added",
    "max_removed": "max_removed",
    "max_version_changed": "max_version_changed",
    "debug_calibration": "debug_calibration",
    "debug_calibration_format": "debug_calibration_format",
    "output_file": "output_file",
    "vex_author": "vex_author",
    "vex_default_justification": "vex_default_justification",
    "no_registry": "no_registry",
    "recently_published_days": "recently_published_days",
    "typosquat_similarity_threshold": "typosquat_similarity_threshold",
    "young_maintainer_days": "young_maintainer_days",
    "cache_ttl_hours": "cache_ttl_hours",
    "multi_major_delta": "multi_major_delta",
}

# [diff.license] -> click parameter names (bomdrift's --allow-licenses, --deny-licenses,
# --allow-ambiguous-licenses, --allow-exception, --deny-exception).
LICENSE_KEYS: dict[str, str] = {
    "allow": "allow_licenses",
    "deny": "deny_licenses",
    "allow_ambiguous": "allow_ambiguous_licenses",
    "allow_exceptions": "allow_exception",
    "deny_exceptions": "deny_exception",
}

# Keys whose string value bomdrift drops when empty (`repo_url = ""` means unset).
_EMPTY_IS_UNSET = frozenset({"repo_url", "vex_author", "vex_default_justification"})


@dataclass(frozen=True)
class BomdriftConfig:
    """A parsed ``.bomdrift.toml``: its ``[diff]`` values by key, and where it came from."""

    source: str | None = None
    diff: Mapping[str, Any] = field(default_factory=dict)
    license: Mapping[str, Any] = field(default_factory=dict)


def find_bomdrift_config(explicit: str | None, cwd: Path | None = None) -> Path | None:
    """``--config PATH`` (which must exist), else ``.bomdrift.toml`` in the working directory."""
    if explicit is not None:
        path = Path(explicit)
        if not path.is_file():
            raise UsageError(f"--config {explicit}: no such file")
        return path
    default = (cwd or Path.cwd()) / CONFIG_NAME
    return default if default.is_file() else None


def load_bomdrift_config(path: Path | None) -> BomdriftConfig:
    """Parse the file's tables; any key bomdrift does not define is a one-line error."""
    if path is None:
        return BomdriftConfig()
    raw = read_toml(path, "bomdrift config", UsageError)
    for key in raw:
        if key != "diff":
            raise UsageError(f"{path}: unknown key {key!r} (bomdrift's config has only [diff])")
    diff = raw.get("diff", {})
    if not isinstance(diff, dict):
        raise UsageError(f"{path}: diff: expected a table")
    license_table = diff.get("license", {})
    if not isinstance(license_table, dict):
        raise UsageError(f"{path}: diff.license: expected a table")
    for key in diff:
        if key != "license" and key not in DIFF_KEYS:
            raise UsageError(f"{path}: diff.{key}: unknown key")
    for key in license_table:
        if key not in LICENSE_KEYS:
            raise UsageError(f"{path}: diff.license.{key}: unknown key")
    values = {k: v for k, v in diff.items() if k != "license"}
    return BomdriftConfig(source=str(path), diff=values, license=dict(license_table))


def _from_command_line(ctx: click.Context, name: str) -> bool:
    source = ctx.get_parameter_source(name)
    return source in (ParameterSource.COMMANDLINE, ParameterSource.ENVIRONMENT)


def merge_into(
    ctx: click.Context,
    params: dict[str, Any],
    config: BomdriftConfig,
) -> dict[str, Any]:
    """``params`` with the config's values filled in by bomdrift's rules; returns what was set."""
    by_name = {p.name: p for p in ctx.command.params if p.name}
    applied: dict[str, Any] = {}
    entries = [(f"diff.{k}", DIFF_KEYS[k], v) for k, v in config.diff.items()]
    entries += [(f"diff.license.{k}", LICENSE_KEYS[k], v) for k, v in config.license.items()]
    for where, name, value in entries:
        key = where.rsplit(".", 1)[1]
        param = by_name.get(name)
        if param is None or name not in params:
            flag = "--" + name.replace("_", "-")
            raise UsageError(
                f"{config.source}: {where}: bomdrift's {flag} is not supported by this bomhost"
            )
        if key in _EMPTY_IS_UNSET and value == "":
            continue
        converted = _convert(ctx, param, value, f"{config.source}: {where}")
        if isinstance(param, click.Option) and param.is_flag and not param.multiple:
            # Booleans are OR-ed: the config turns a switch on, never off.
            merged = bool(params[name]) or bool(converted)
        elif _from_command_line(ctx, name):
            continue
        else:
            merged = converted
        params[name] = merged
        applied[name] = merged
    return applied


def _convert(ctx: click.Context, param: click.Parameter, value: Any, where: str) -> Any:
    """A config value checked by the option's own click type (same choices, same ranges)."""
    if getattr(param, "multiple", False) and not isinstance(value, list):
        value = [value]
    if isinstance(param, click.Option) and param.is_flag and not isinstance(value, bool):
        raise UsageError(f"{where}: expected true or false")
    try:
        return param.type_cast_value(ctx, value)
    except click.BadParameter as exc:
        raise UsageError(f"{where}: {exc.format_message()}") from exc
