"""bomdrift's risk signals as first-party plugins: which run by default, and with what config.

Each signal is an ordinary plugin in ``bomhost/builtins/<name>/`` run by the ordinary runner
under its own policy fragment; this module only decides which of them a run appends after the
user's ``--plugin`` list and what ``[plugin.config]`` each receives from the command line.

Rules (docs/plugins.md, "First-party signals"):

- On by default as in bomdrift: ``osv``, ``typosquat``, ``version-jump``, ``maintainer-age``,
  ``registry``; ``license`` only when a licence policy is configured. ``--no-osv``,
  ``--no-registry`` and ``--no-maintainer-age`` turn theirs off.
- A user plugin (``--plugin`` or ``.bomhost.toml``) whose manifest ``name`` is a signal's name
  replaces that signal: the first-party one is not appended. ``--plugin builtin:NAME`` names the
  first-party plugin itself, which then gets the flags' config like a default one.
- Every signal ships in bomhost/builtins/ (a build without one skips it: `available()`).
- Config keys are the ``.bomdrift.toml`` key names of the flags (``typosquat_similarity_threshold``,
  ``multi_major_delta``, ...; the licence policy uses ``[diff.license]``'s), always present with
  bomdrift's default filled in, so a plugin never needs its own copy of a default. They are laid
  over the manifest's own ``[plugin.config]``.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:  # the engine imports SignalOptions before it knows whether plugins run
    from bomhost.plugins.manifest import LoadedManifest

# bomdrift's enrichment order (src/enrich/mod.rs): the order in which default signals run and
# are listed.
SIGNALS: tuple[str, ...] = (
    "osv",
    "typosquat",
    "version-jump",
    "maintainer-age",
    "license",
    "registry",
)

# Signals that call a service; ``--offline`` leaves them out (osv only without ``--osv-db``).
NETWORK_SIGNALS: frozenset[str] = frozenset({"osv", "registry", "maintainer-age"})

DEFAULT_SIMILARITY_THRESHOLD = 0.92
DEFAULT_MULTI_MAJOR_DELTA = 2
DEFAULT_RECENTLY_PUBLISHED_DAYS = 14
DEFAULT_YOUNG_MAINTAINER_DAYS = 90
DEFAULT_CACHE_TTL_HOURS = 24


# Ecosystems with a compiled-in typosquat list (plugins/typosquat/lists/), bomdrift's set.
TYPOSQUAT_ECOSYSTEMS: tuple[str, ...] = (
    "npm",
    "pypi",
    "cargo",
    "maven",
    "go",
    "gem",
    "nuget",
    "composer",
)


def typosquat_list_path(ecosystem: str) -> Path:
    """Where ``bomhost refresh-typosquat`` keeps ``ecosystem``'s list (bomdrift: its XDG cache)."""
    from bomhost.config import default_cache_dir

    return default_cache_dir() / "typosquat" / f"{ecosystem}.txt"


def refreshed_lists() -> dict[str, Path]:
    """The refreshed lists that exist, by ecosystem: they replace the compiled-in ones."""
    found = {eco: typosquat_list_path(eco) for eco in TYPOSQUAT_ECOSYSTEMS}
    return {eco: path for eco, path in found.items() if path.is_file()}


@dataclass(frozen=True)
class SignalOptions:
    """The signal flags of ``bomhost diff`` (None: not given, bomdrift's default applies)."""

    offline: bool = False
    no_osv: bool = False
    no_osv_cache: bool = False
    no_epss: bool = False
    no_kev: bool = False
    no_registry: bool = False
    no_maintainer_age: bool = False
    osv_db: str | None = None
    typosquat_similarity_threshold: float | None = None
    multi_major_delta: int | None = None
    recently_published_days: int | None = None
    young_maintainer_days: int | None = None
    cache_ttl_hours: int | None = None
    allow_licenses: tuple[str, ...] = ()
    deny_licenses: tuple[str, ...] = ()
    allow_ambiguous_licenses: bool = False
    allow_exception: tuple[str, ...] = ()
    deny_exception: tuple[str, ...] = ()
    # Set by the engine for tests and benchmarks that must not append any signal (bomhost's own
    # plugin tests); never from the command line.
    defaults: bool = True
    extra: Mapping[str, Mapping[str, Any]] = field(default_factory=dict)

    @property
    def license_configured(self) -> bool:
        return bool(
            self.allow_licenses or self.deny_licenses or self.allow_exception or self.deny_exception
        )

    def needs_network(self, name: str) -> bool:
        """Whether signal ``name`` reaches a service (OSV, a registry, GitHub) with these flags."""
        if name == "osv":
            return self.osv_db is None
        return name in NETWORK_SIGNALS

    def enabled(self, name: str) -> bool:
        """Whether signal ``name`` runs by default with these flags."""
        if self.offline and self.needs_network(name):
            return False
        if name == "osv":
            return not self.no_osv
        if name == "registry":
            return not self.no_registry
        if name == "maintainer-age":
            return not self.no_maintainer_age
        if name == "license":
            return self.license_configured
        return True


def _cache_ttl(opts: SignalOptions) -> int:
    return opts.cache_ttl_hours if opts.cache_ttl_hours is not None else DEFAULT_CACHE_TTL_HOURS


def signal_config(name: str, opts: SignalOptions) -> dict[str, Any]:
    """The ``[plugin.config]`` the flags give signal ``name`` (bomdrift key names, defaults filled)."""
    if name == "osv":
        osv: dict[str, Any] = {
            "no_osv_cache": opts.no_osv_cache,
            "no_epss": opts.no_epss,
            "no_kev": opts.no_kev,
            "cache_ttl_hours": _cache_ttl(opts),
        }
        # --osv-db is applied by builtins/osv_db.py, which also grants exactly that file.
        return osv
    if name == "typosquat":
        threshold = opts.typosquat_similarity_threshold
        cfg: dict[str, Any] = {
            "typosquat_similarity_threshold": DEFAULT_SIMILARITY_THRESHOLD
            if threshold is None
            else threshold
        }
        lists = refreshed_lists()
        if lists:
            cfg["lists"] = {eco: str(path) for eco, path in lists.items()}
        return cfg
    if name == "version-jump":
        delta = opts.multi_major_delta
        return {"multi_major_delta": DEFAULT_MULTI_MAJOR_DELTA if delta is None else delta}
    if name == "license":
        return {
            "allow": list(opts.allow_licenses),
            "deny": list(opts.deny_licenses),
            "allow_ambiguous": opts.allow_ambiguous_licenses,
            "allow_exceptions": list(opts.allow_exception),
            "deny_exceptions": list(opts.deny_exception),
        }
    if name == "registry":
        days = opts.recently_published_days
        return {
            "recently_published_days": DEFAULT_RECENTLY_PUBLISHED_DAYS if days is None else days,
            "cache_ttl_hours": _cache_ttl(opts),
        }
    if name == "maintainer-age":
        days = opts.young_maintainer_days
        return {
            "young_maintainer_days": DEFAULT_YOUNG_MAINTAINER_DAYS if days is None else days,
            "cache_ttl_hours": _cache_ttl(opts),
        }
    return {}


def available() -> list[str]:
    """The signals this build ships, in bomdrift's order."""
    from bomhost import builtins

    shipped = set(builtins.names())
    return [s for s in SIGNALS if s in shipped]


def configure(plugin: LoadedManifest, opts: SignalOptions) -> LoadedManifest:
    """A first-party signal's manifest with the flags' config laid over its own."""
    from bomhost import builtins

    if plugin.name not in SIGNALS or not builtins.is_builtin(plugin):
        return plugin
    config = {**plugin.manifest.config, **signal_config(plugin.name, opts)}
    config.update(opts.extra.get(plugin.name, {}))
    return replace(plugin, manifest=plugin.manifest.model_copy(update={"config": config}))


def with_signals(user: Sequence[LoadedManifest], opts: SignalOptions) -> list[LoadedManifest]:
    """The run's plugin list: the user's, then every enabled signal they did not replace."""
    from bomhost import builtins
    from bomhost.plugins.manifest import load_manifest

    taken = {p.name for p in user}
    out = [configure(p, opts) for p in user]
    if not opts.defaults:
        return out
    for name in available():
        if name in taken or not opts.enabled(name):
            continue
        out.append(configure(load_manifest(builtins.resolve(builtins.PREFIX + name)), opts))
    return out


def read_grants(plugin: LoadedManifest) -> list[Path]:
    """Files a signal's config names that its policy fragment must let it read (``--osv-db``)."""
    from bomhost import builtins

    if not builtins.is_builtin(plugin):
        return []
    cfg = plugin.manifest.config
    paths: list[str] = []
    if plugin.name == "typosquat" and isinstance(cfg.get("lists"), dict):
        paths += [v for v in cfg["lists"].values() if isinstance(v, str)]
    return [Path(p) for p in paths]
