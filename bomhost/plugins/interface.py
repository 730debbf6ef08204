"""The runtime seam: what a plugin runtime (external process, WASM sandbox) must provide.

A runtime only moves bytes: it takes one encoded request and returns the raw response bytes, or
a ``Failure``. Everything both runtimes share (which components go to which plugin, encoding the
request, decoding and validating the response, turning failures into ``PluginError`` records,
ordering) lives once in ``bomhost.plugins.runner``, so the two runtimes cannot drift apart.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Protocol

from bomhost.model import ErrorKind, SandboxEvent

if TYPE_CHECKING:
    from bomhost.plugins.manifest import LoadedManifest
    from bomhost.policy.model import Policy


@dataclass(frozen=True)
class Failure:
    """Why one call produced no usable output; becomes a ``PluginError`` in the report."""

    kind: ErrorKind
    message: str


@dataclass(frozen=True)
class LogLine:
    """One line a plugin logged (WASM ``bomdrift.log``/fd_write, or external stderr)."""

    level: str
    message: str


@dataclass(frozen=True)
class Usage:
    """What one call consumed; the WASM runtime fills fuel and memory, both fill elapsed."""

    elapsed_ms: float
    fuel: int | None = None
    memory_bytes: int | None = None


@dataclass(frozen=True)
class CallResult:
    """The outcome of one call: output bytes, or a failure, plus what the sandbox saw."""

    output: bytes = b""
    failure: Failure | None = None
    logs: tuple[LogLine, ...] = ()
    events: tuple[SandboxEvent, ...] = ()
    usage: Usage | None = None


@dataclass(frozen=True)
class RunContext:
    """Facts fixed for a whole run, handed to every runtime when a plugin is loaded."""

    bomhost_version: str
    now_ms: int
    policy: Policy
    jobs: int = 1
    cache_dir: str | None = None
    http_cache: bool = True  # False: --no-cache, the broker neither reads nor writes responses
    extra: dict[str, object] = field(default_factory=dict)


class PluginInstance(Protocol):
    """A loaded plugin, ready to be called; ``call`` must be safe to use from several threads."""

    def call(self, request: bytes, subject: str, scale: int = 1) -> CallResult:
        """Send one encoded request; ``subject`` is the component id used in sandbox events.

        ``scale`` is how many components the request carries (a batch call): the per-call
        budgets that grow with the work are multiplied by it (protocol/README.md, section 8).
        """
        ...

    def close(self) -> None:
        """Release processes, threads and compiled code; called once, after the last call."""
        ...


class Runtime(Protocol):
    """A way of running plugins; one module per runtime, listed in ``plugins.registry``."""

    name: str

    def load(self, plugin: LoadedManifest, ctx: RunContext) -> PluginInstance:
        """Prepare a plugin before any component is sent; raise ``PluginLoadError`` if it cannot run."""
        ...
