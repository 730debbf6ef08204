"""First-party plugins: ordinary plugins that ship inside the package, addressed as ``builtin:NAME``.

Each is a folder here holding ``plugin.toml`` (a manifest with a sha256 pin), the module, and
``policy.toml``, a policy fragment for that plugin alone. They run through the same runner,
budgets and policy checks as any user's plugin: this module only finds the files and scopes the
fragment to ``[plugins.NAME]``, so a first-party plugin can never widen another's grants.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, ValidationError

from bomhost import __version__
from bomhost.errors import ManifestError, PolicyError
from bomhost.plugins.manifest import LoadedManifest, load_manifest
from bomhost.policy.load import validate_policy
from bomhost.policy.model import NetAllowRule, PluginPolicy, Policy
from bomhost.tomlfile import first_error, read_toml

PREFIX = "builtin:"
ROOT = Path(__file__).resolve().parent


def names() -> list[str]:
    """Every first-party plugin, sorted."""
    return sorted(p.parent.name for p in ROOT.glob("*/plugin.toml"))


def resolve(spec: str) -> str:
    """``builtin:NAME`` -> the path of its manifest; any other ``--plugin`` value unchanged."""
    if not spec.startswith(PREFIX):
        return spec
    name = spec.removeprefix(PREFIX)
    if name not in names():
        raise ManifestError(
            f"{spec}: no such first-party plugin (known: {', '.join(names()) or 'none'})"
        )
    return str(ROOT / name / "plugin.toml")


def is_builtin(plugin: LoadedManifest) -> bool:
    return plugin.path.resolve().parent.parent == ROOT


def fragment(plugin: LoadedManifest, reads: Sequence[Path] = ()) -> PluginPolicy:
    """The plugin's ``policy.toml``, validated as a ``[plugins.NAME]`` table.

    ``reads``: files the run's own flags name for this plugin (``--osv-db``, a refreshed
    typosquat list), granted to it alone as extra ``[[fs.read]]`` rules, each for exactly that
    path; the shipped fragment cannot know them in advance.
    """
    path = plugin.path.resolve().parent / "policy.toml"
    raw: dict[str, Any] = read_toml(path, "policy", PolicyError)
    if reads:
        fs = dict(raw.get("fs", {}))
        rules = list(fs.get("read", []))
        rules += [{"id": f"flag-{i}", "path": str(p.absolute())} for i, p in enumerate(reads, 1)]
        raw = {**raw, "fs": {**fs, "read": rules}}
    try:
        return validate_policy({"plugins": {plugin.name: raw}}, path).plugins[plugin.name]
    except ValidationError as exc:
        raise PolicyError(f"{path}: {first_error(exc)}") from exc


def with_fragments(
    policy: Policy,
    plugins: Sequence[LoadedManifest],
    reads: Callable[[LoadedManifest], Sequence[Path]] = lambda _p: (),
) -> Policy:
    """``policy`` plus each first-party plugin's fragment as its ``[plugins.NAME]`` table.

    The operator's own ``[plugins.NAME]`` table, when there is one, is kept as written and the
    fragment is not used: the operator has the last word on what a plugin may do.
    """
    extra = {
        p.name: fragment(p, reads(p))
        for p in plugins
        if is_builtin(p) and p.name not in policy.plugins
    }
    if not extra:
        return policy
    merged = policy.model_copy(update={"plugins": {**policy.plugins, **extra}})
    return merged


class Builtin(BaseModel):
    """One row of ``bomhost plugin list``."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    name: str
    version: str  # first-party plugins are versioned with bomhost
    description: str
    sha256: str
    runtime: str
    protocol: int
    invoke: str
    grants: tuple[str, ...]  # what the policy fragment grants beyond the default policy


def _net_grant(rule: NetAllowRule) -> str:
    """One net rule as ``plugin list`` shows it: injected header names, never their values."""
    text = f"{'/'.join(rule.methods)} {rule.scheme}://{rule.host}:{rule.port}"
    if rule.cache_ttl_s:
        text += f" (cached {rule.cache_ttl_s} s)"
    if rule.headers:
        text += f" (injects {', '.join(sorted(k.lower() for k in rule.headers))})"
    return text


def describe(name: str) -> Builtin:
    """What ``plugin list`` shows for one first-party plugin (its pin is checked here)."""
    plugin = load_manifest(resolve(PREFIX + name))
    plugin.verify_pin()
    frag = fragment(plugin)
    grants = [f"import {i}" for i in (frag.imports.allow or ()) + frag.imports.extend]
    grants += [f"read {r.path}" for r in frag.fs.read]
    grants += [_net_grant(r) for r in frag.net.allow]
    grants += [f"budget {k} = {v}" for k, v in frag.budgets.model_dump(exclude_none=True).items()]
    m = plugin.manifest
    return Builtin(
        name=name,
        version=__version__,
        description=m.description or "",
        sha256=(m.sha256 or "").lower(),
        runtime=m.runtime,
        protocol=m.protocol,
        invoke=m.invoke,
        grants=tuple(grants),
    )
