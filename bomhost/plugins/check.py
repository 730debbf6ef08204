"""``bomhost plugin check``: what a plugin would be refused for, without running a diff.

For a WASM plugin this runs exactly the load-time checks of a real run (sha256 pin, compile,
every import against the policy, the ABI exports) through ``WasmRuntime.load``, so the answer
cannot differ from what ``bomhost diff`` would do; it also lists every import with its verdict
and what the effective policy lets the plugin reach: its ``[[net.allow]]`` rules (scheme, host,
port, methods, cache TTL, the NAMES of injected headers, never their values) and ``[[fs.read]]``
rules.
External plugins run as the CI user and are trusted: the check only covers the manifest and the
exec file.
"""

from __future__ import annotations

import hashlib
import os
from pathlib import Path

from pydantic import BaseModel, ConfigDict

from bomhost import __version__
from bomhost.errors import PluginLoadError
from bomhost.plugins.interface import RunContext
from bomhost.plugins.manifest import load_manifest
from bomhost.policy.model import HttpMethod, Policy


class ImportVerdict(BaseModel):
    """One import of a WASM module and whether the policy lets it in."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    name: str
    kind: str
    allowed: bool
    reason: str | None = None


class NetGrant(BaseModel):
    """One ``[[net.allow]]`` rule the plugin's effective policy has, as ``plugin check`` shows it."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    id: str
    scheme: str
    host: str
    port: int
    methods: tuple[HttpMethod, ...]
    cache_ttl_s: int  # 0: not cached
    injected_headers: tuple[str, ...] = ()  # names only: the values are the operator's secrets
    dropped_headers: tuple[str, ...] = ()  # injected headers left out (a variable is not set)
    max_requests: int | None = None
    timeout_ms: int = 1_000


class FileGrant(BaseModel):
    """One ``[[fs.read]]`` rule the plugin's effective policy has."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    id: str
    path: str
    max_bytes_per_invocation: int | None = None
    max_bytes_per_run: int | None = None


def grants(policy: Policy, name: str) -> tuple[tuple[NetGrant, ...], tuple[FileGrant, ...]]:
    """What plugin ``name`` may reach under ``policy``, its own rules first (first match wins)."""
    eff = policy.for_plugin(name)
    net = tuple(
        NetGrant(
            id=r.id,
            scheme=r.scheme,
            host=r.host,
            port=r.port,
            methods=r.methods,
            cache_ttl_s=r.cache_ttl_s,
            injected_headers=tuple(sorted(k.lower() for k, _ in r.injected_headers)),
            dropped_headers=tuple(sorted(k.lower() for k in r.dropped_headers)),
            max_requests=r.max_requests,
            timeout_ms=r.timeout_ms,
        )
        for r in eff.net.allow
    )
    files = tuple(
        FileGrant(
            id=r.id,
            path=r.path,
            max_bytes_per_invocation=r.max_bytes_per_invocation,
            max_bytes_per_run=r.max_bytes_per_run,
        )
        for r in eff.fs.read
    )
    return net, files


class CheckResult(BaseModel):
    """The outcome of checking one manifest; ``ok`` is False when a run would stop (exit 1)."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    manifest: str
    name: str
    runtime: str
    exec: str
    sha256: str | None
    ok: bool
    problem: str | None = None
    imports: tuple[ImportVerdict, ...] = ()
    warnings: tuple[str, ...] = ()
    protocol: int = 1
    invoke: str = "per-component"
    batch_size: int | None = None  # components per call, for invoke = "batch"
    # What the policy grants a WASM plugin (external plugins are trusted: nothing is brokered).
    net: tuple[NetGrant, ...] = ()
    files: tuple[FileGrant, ...] = ()


def check_plugin(manifest_path: str | Path, policy: Policy) -> CheckResult:
    """Check one manifest under ``policy``; ``ManifestError`` if the manifest itself is invalid."""
    plugin = load_manifest(manifest_path)
    try:
        data = plugin.exec_path.read_bytes()
        digest: str | None = hashlib.sha256(data).hexdigest()
    except OSError:
        digest = None
    base = {
        "manifest": str(manifest_path),
        "name": plugin.name,
        "runtime": plugin.manifest.runtime,
        "exec": str(plugin.exec_path),
        "sha256": digest,
        "warnings": plugin.warnings,
        "protocol": plugin.manifest.protocol,
        "invoke": plugin.manifest.invoke,
        "batch_size": plugin.manifest.batch_size if plugin.manifest.invoke == "batch" else None,
    }
    problem: str | None = None
    imports: tuple[ImportVerdict, ...] = ()
    net: tuple[NetGrant, ...] = ()
    files: tuple[FileGrant, ...] = ()
    if plugin.manifest.runtime == "wasm":
        net, files = grants(policy, plugin.name)
    try:
        if plugin.manifest.runtime == "wasm":
            from bomhost.plugins.wasm.runtime import WasmRuntime, audit_imports

            runtime = WasmRuntime()
            ctx = RunContext(bomhost_version=__version__, now_ms=0, policy=policy)
            module = runtime.compile(plugin, ctx)
            allow = policy.for_plugin(plugin.name).imports.allow
            imports = tuple(
                ImportVerdict(name=c.name, kind=c.kind, allowed=c.allowed, reason=c.reason)
                for c in audit_imports(module, allow)
            )
            runtime.load(plugin, ctx).close()
        else:
            plugin.verify_pin()
            if digest is None:
                raise PluginLoadError(f"plugin {plugin.name!r}: cannot read {plugin.exec_path}")
            if not os.access(plugin.exec_path, os.X_OK):
                raise PluginLoadError(
                    f"plugin {plugin.name!r}: {plugin.exec_path} is not executable"
                )
    except PluginLoadError as exc:
        problem = str(exc)
    return CheckResult(
        **base, ok=problem is None, problem=problem, imports=imports, net=net, files=files
    )
