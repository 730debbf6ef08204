"""The sandbox policy language: budgets, granted imports, file and network rules (the operator's file).

Deny by default: a WASM plugin gets only what a policy grants, never what its manifest asks for.
A policy has top-level ``[budgets]``, ``[imports]``, ``[[fs.read]]`` and ``[[net.allow]]``, and
``[plugins.NAME]`` tables that refine them for one plugin. ``Policy.for_plugin(name)`` folds a
plugin's table into the top level, so the broker and the runtime only ever see flat policies.
"""

from __future__ import annotations

import os
import re
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, PrivateAttr, field_validator, model_validator

# The inert WASI preview-1 functions an ordinary Rust wasm32-wasi build imports. With nothing
# preopened and no environment or arguments configured, they grant no authority.
INERT_WASI: tuple[str, ...] = (
    "wasi_snapshot_preview1.fd_write",
    "wasi_snapshot_preview1.environ_get",
    "wasi_snapshot_preview1.environ_sizes_get",
    "wasi_snapshot_preview1.args_get",
    "wasi_snapshot_preview1.args_sizes_get",
    "wasi_snapshot_preview1.proc_exit",
    "wasi_snapshot_preview1.clock_time_get",
    "wasi_snapshot_preview1.random_get",
    "wasi_snapshot_preview1.fd_close",
    "wasi_snapshot_preview1.fd_seek",
    "wasi_snapshot_preview1.fd_fdstat_get",
    "wasi_snapshot_preview1.fd_prestat_get",
    "wasi_snapshot_preview1.fd_prestat_dir_name",
    "wasi_snapshot_preview1.sched_yield",
)

DEFAULT_IMPORTS: tuple[str, ...] = ("bomdrift.log", "bomdrift.now_ms", *INERT_WASI)

# Every function the ``bomdrift`` host module provides; an import outside this set is a typo.
BOMDRIFT_FUNCTIONS: tuple[str, ...] = (
    "bomdrift.log",
    "bomdrift.now_ms",
    "bomdrift.read_file",
    "bomdrift.http_get",
    "bomdrift.http_request",
)
READ_FILE = "bomdrift.read_file"
HTTP_GET = "bomdrift.http_get"
HTTP_REQUEST = "bomdrift.http_request"
HttpMethod = Literal["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE"]

# WASI functions that block the calling thread (poll_oneoff sleeps). An epoch deadline cannot
# interrupt a host call, so no policy may grant them: a grant is an error, not a silent no-op.
NEVER_GRANTED: frozenset[str] = frozenset({"wasi_snapshot_preview1.poll_oneoff"})

# Rule ids go into every event and are how ``explain`` finds a rule again: keep them plain.
_RULE_ID = r"^[A-Za-z0-9][A-Za-z0-9_.\-]*$"
_IMPORT = r"^[A-Za-z_][A-Za-z0-9_]*\.[A-Za-z_][A-Za-z0-9_]*$"
# A DNS name or an IPv4/IPv6 literal (no brackets, no port): what urllib's ``hostname`` yields.
_HOST_LABELS = re.compile(
    r"^[a-z0-9_]([a-z0-9_\-]*[a-z0-9_])?(\.[a-z0-9_]([a-z0-9_\-]*[a-z0-9_])?)*$"
)
_HOST_V6 = re.compile(r"^[0-9a-f:.]+$")
_ENV_REF = re.compile(r"\$\{env:([A-Za-z_][A-Za-z0-9_]*)\}")


def valid_host(host: str) -> bool:
    """A lower-case DNS name or IP literal, as ``urllib.parse`` yields it (no port, no brackets)."""
    return bool(_HOST_LABELS.match(host) or (":" in host and _HOST_V6.match(host)))


class _Strict(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


# Upper bounds: what wasmtime and a 32-bit guest can honour. Beyond them a value would be
# truncated silently in the C API (fuel is a u64; guest memory is at most 4 GiB).
Fuel = Annotated[int, Field(gt=0, le=2**63 - 1)]
TimeoutMs = Annotated[int, Field(gt=0, le=86_400_000)]  # a day
GuestBytes = Annotated[int, Field(gt=0, le=2**32)]
LogBytes = Annotated[int, Field(ge=0, le=2**32)]


class Budgets(_Strict):
    """Per-invocation limits; the strict defaults suit a plugin that only inspects its request."""

    fuel: Fuel = Field(default=100_000_000, description="WASM operators per invocation.")
    timeout_ms: TimeoutMs = Field(default=1_000, description="Wall clock per invocation.")
    memory_bytes: GuestBytes = Field(default=64 * 1024 * 1024, description="Linear memory ceiling.")
    max_output_bytes: GuestBytes = Field(default=1024 * 1024, description="Response size cap.")
    max_log_bytes: LogBytes = Field(default=16 * 1024, description="Log bytes kept per invocation.")


class PluginBudgets(_Strict):
    """``[plugins.NAME.budgets]``: any field given replaces the top-level value for that plugin."""

    fuel: Fuel | None = None
    timeout_ms: TimeoutMs | None = None
    memory_bytes: GuestBytes | None = None
    max_output_bytes: GuestBytes | None = None
    max_log_bytes: LogBytes | None = None


class Imports(_Strict):
    """Host functions a plugin may import, as ``module.name`` strings."""

    allow: tuple[str, ...] = DEFAULT_IMPORTS

    @field_validator("allow")
    @classmethod
    def _names(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        return _check_imports(value)


class PluginImports(_Strict):
    """``[plugins.NAME.imports]``: ``allow`` replaces the top-level list, ``extend`` adds to it."""

    allow: tuple[str, ...] | None = None
    extend: tuple[str, ...] = ()

    @field_validator("allow", "extend")
    @classmethod
    def _names(cls, value: tuple[str, ...] | None) -> tuple[str, ...] | None:
        return None if value is None else _check_imports(value)


def _check_imports(names: tuple[str, ...]) -> tuple[str, ...]:
    for name in names:
        if not re.match(_IMPORT, name):
            raise ValueError(f"{name!r} is not a module.name import")
        if name in NEVER_GRANTED:
            raise ValueError(
                f"{name!r} can block the host beyond any timeout; bomhost never provides it"
            )
        if name.startswith("bomdrift.") and name not in BOMDRIFT_FUNCTIONS:
            raise ValueError(
                f"{name!r} is not a bomdrift host function (known: {', '.join(BOMDRIFT_FUNCTIONS)})"
            )
    return names


class FsReadRule(_Strict):
    """``[[fs.read]]``: a file, or a folder and everything below it, that plugins may read.

    ``path`` is kept as written; ``resolved`` is the absolute, symlink-free path it named when
    the policy was loaded (relative paths start at the policy file's folder).
    """

    id: str = Field(pattern=_RULE_ID)
    path: str = Field(min_length=1)
    max_bytes_per_invocation: int | None = Field(default=None, gt=0)
    max_bytes_per_run: int | None = Field(default=None, gt=0)

    _resolved: str = PrivateAttr(default="")

    @field_validator("path")
    @classmethod
    def _no_nul(cls, value: str) -> str:
        if "\0" in value:
            raise ValueError("path contains a NUL byte")
        return value

    def model_post_init(self, context: Any) -> None:
        # Resolved once, at load time, against the folder the loader passes as context: a
        # symlink swapped in later cannot widen the rule.
        base = context.get("base_dir") if isinstance(context, dict) else None
        full = os.path.join(base or os.getcwd(), os.path.expanduser(self.path))
        self._resolved = os.path.realpath(full)

    @property
    def resolved(self) -> str:
        return self._resolved

    def covers(self, real_path: str) -> bool:
        """Whether an already-resolved path is this rule's file or lies inside its folder."""
        root = self._resolved
        if real_path == root:
            return True
        return real_path.startswith(root.rstrip(os.sep) + os.sep)


class NetAllowRule(_Strict):
    """``[[net.allow]]``: one scheme, host (exact or ``*.suffix``) and port plugins may reach.

    The quotas are per plugin and per run; ``timeout_ms`` bounds each request, and never beyond
    the time the invocation has left. ``methods`` lists what ``bomdrift.http_request`` may send
    (``http_get`` is a GET); ``max_egress_bytes`` counts request heads and bodies.
    """

    id: str = Field(pattern=_RULE_ID)
    scheme: Literal["http", "https"]
    host: str = Field(min_length=1)
    port: int = Field(ge=1, le=65535)
    max_requests: int | None = Field(default=None, gt=0)
    max_response_bytes: int | None = Field(default=None, gt=0)
    max_egress_bytes: int | None = Field(default=None, gt=0)
    timeout_ms: int = Field(default=1_000, gt=0)
    methods: tuple[HttpMethod, ...] = Field(default=("GET",), min_length=1)
    # Injected credentials: values may name ``${env:VAR}``; kept here as written (never the
    # secret), expanded once at load into a private field only the broker reads.
    headers: dict[str, str] = Field(default_factory=dict)
    on_missing_env: Literal["error", "drop"] = "error"
    cache_ttl_s: int = Field(default=0, ge=0, le=30 * 86_400)  # 0: not cached
    _injected: tuple[tuple[str, str], ...] = PrivateAttr(default=())
    _dropped: tuple[str, ...] = PrivateAttr(default=())

    @model_validator(mode="after")
    def _expand_headers(self) -> NetAllowRule:
        injected: list[tuple[str, str]] = []
        dropped: list[str] = []
        for name, template in self.headers.items():
            if not re.match(r"^[!#$%&'*+\-.^_`|~0-9A-Za-z]{1,128}$", name):
                raise ValueError(f"header name {name!r} is not an HTTP token")
            missing = [v for v in _ENV_REF.findall(template) if v not in os.environ]
            if missing and self.on_missing_env == "error":
                raise ValueError(
                    f"header {name}: environment variable {missing[0]} is not set"
                    ' (set it, or on_missing_env = "drop")'
                )
            if missing:
                dropped.append(name)
                continue
            value = _ENV_REF.sub(lambda m: os.environ[m.group(1)], template)
            if not re.match(r"^[\x20-\x7e]*$", value):
                # Says which header, never the value: it may be a secret.
                raise ValueError(f"header {name}: value has characters an HTTP header cannot carry")
            injected.append((name, value))
        self._injected = tuple(injected)
        self._dropped = tuple(dropped)
        return self

    @property
    def injected_headers(self) -> tuple[tuple[str, str], ...]:
        """The headers the host adds to this rule's requests, with secrets expanded."""
        return self._injected

    @property
    def dropped_headers(self) -> tuple[str, ...]:
        """Header names dropped because an ``${env:VAR}`` they use is not set."""
        return self._dropped

    @field_validator("host")
    @classmethod
    def _host(cls, value: str) -> str:
        host = value.lower()
        if host == "*":
            return host
        if not valid_host(host[2:] if host.startswith("*.") else host):
            raise ValueError(
                f"{value!r} is not a host name, an IP address, '*.suffix' or '*' (no scheme, port or path)"
            )
        return host

    def host_matches(self, host: str) -> bool:
        """Exact match, or any name strictly below ``*.suffix``; ``host`` is already lower-case."""
        if self.host == "*":
            return True
        if self.host.startswith("*."):
            return host.endswith(self.host[1:])
        return host == self.host

    def covers_host_pattern(self, other: str) -> bool:
        """Whether every host that the pattern ``other`` matches is also matched by this rule."""
        if self.host == "*" or self.host == other:
            return True
        if other == "*" or not self.host.startswith("*."):
            return False
        # "*.example.com" covers "a.example.com", "*.a.example.com", but not "*.example.com"'s
        # parent "example.com" (handled by equality above only when identical).
        return other.removeprefix("*.").endswith(self.host[1:])


class FsTable(_Strict):
    """``[fs]``: ``[[fs.read]]`` rules, first match wins."""

    read: tuple[FsReadRule, ...] = ()


class NetTable(_Strict):
    """``[net]``: ``[[net.allow]]`` rules, first match wins."""

    allow: tuple[NetAllowRule, ...] = ()


class PluginPolicy(_Strict):
    """``[plugins.NAME]``: refines the top level for one plugin.

    Its own rules are checked before the top-level ones (so a narrower rule with smaller quotas
    tightens, a new rule extends); ``inherit = false`` drops the top-level rules for this plugin.
    """

    inherit: bool = True
    budgets: PluginBudgets = PluginBudgets()
    imports: PluginImports = PluginImports()
    fs: FsTable = FsTable()
    net: NetTable = NetTable()


class Policy(_Strict):
    """A whole policy file. ``source`` is the file it came from (None for the built-in)."""

    budgets: Budgets = Budgets()
    imports: Imports = Imports()
    fs: FsTable = FsTable()
    net: NetTable = NetTable()
    plugins: dict[str, PluginPolicy] = Field(default_factory=dict)
    source: str | None = None

    @model_validator(mode="after")
    def _unique_ids(self) -> Policy:
        # Events carry only the rule id, so an id must name one rule in the whole file.
        seen: set[str] = set()
        for where, rule in self.all_rules():
            if rule.id in seen:
                raise ValueError(f"rule id {rule.id!r} is used twice (again at {where})")
            seen.add(rule.id)
        return self

    def all_rules(self) -> list[tuple[str, FsReadRule | NetAllowRule]]:
        """Every rule with its location in the file (``fs.read[0]``, ``plugins.x.net.allow[1]``)."""
        out: list[tuple[str, FsReadRule | NetAllowRule]] = []
        tables = [("", self.fs, self.net)]
        tables += [(f"plugins.{n}.", p.fs, p.net) for n, p in self.plugins.items()]
        for prefix, fs, net in tables:
            out += [(f"{prefix}fs.read[{i}]", r) for i, r in enumerate(fs.read)]
            out += [(f"{prefix}net.allow[{i}]", r) for i, r in enumerate(net.allow)]
        return out

    def for_plugin(self, name: str) -> Policy:
        """The effective, flat policy for one plugin: its ``[plugins.NAME]`` table folded in."""
        table = self.plugins.get(name)
        if table is None:
            return self if not self.plugins else self.model_copy(update={"plugins": {}})
        overrides = table.budgets.model_dump(exclude_none=True)
        budgets = self.budgets.model_copy(update=overrides)
        allow = table.imports.allow if table.imports.allow is not None else self.imports.allow
        allow = allow + tuple(n for n in table.imports.extend if n not in allow)
        fs_rules = table.fs.read + (self.fs.read if table.inherit else ())
        net_rules = table.net.allow + (self.net.allow if table.inherit else ())
        return self.model_copy(
            update={
                "budgets": budgets,
                "imports": Imports.model_construct(allow=allow),
                "fs": FsTable.model_construct(read=fs_rules),
                "net": NetTable.model_construct(allow=net_rules),
                "plugins": {},
            }
        )

    def find_rule(self, rule_id: str) -> tuple[str, FsReadRule | NetAllowRule] | None:
        """The rule with this id and where it is written, if the policy has one."""
        return next(((w, r) for w, r in self.all_rules() if r.id == rule_id), None)
