"""The sandbox policy: budgets and granted host functions for WASM plugins (the operator's file).

Issue #4 needs ``[budgets]`` and ``[imports]``; issue #5 grows this into the full language
(``[[fs.read]]``, ``[[net.allow]]``, ``[plugins.NAME]``). Deny by default: a policy grants,
never the plugin's manifest.
"""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field

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


class Budgets(BaseModel):
    """Per-invocation limits; the strict defaults suit a plugin that only inspects its request."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    fuel: int = Field(default=100_000_000, gt=0)
    timeout_ms: int = Field(default=1_000, gt=0)
    memory_bytes: int = Field(default=64 * 1024 * 1024, gt=0)
    max_output_bytes: int = Field(default=1024 * 1024, gt=0)
    max_log_bytes: int = Field(default=16 * 1024, ge=0)


class Imports(BaseModel):
    """Host functions a plugin may import, as ``module.name`` strings."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    allow: tuple[str, ...] = DEFAULT_IMPORTS


class Policy(BaseModel):
    """A whole policy file. ``source`` is the file it came from (None for the built-in)."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    budgets: Budgets = Budgets()
    imports: Imports = Imports()
    source: str | None = None

    def for_plugin(self, name: str) -> Policy:
        """The effective policy for one plugin (``[plugins.NAME]`` tables refine it, issue #5)."""
        return self
