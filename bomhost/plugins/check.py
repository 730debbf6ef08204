"""``bomhost plugin check``: what a plugin would be refused for, without running a diff.

For a WASM plugin this runs exactly the load-time checks of a real run (sha256 pin, compile,
every import against the policy, the ABI exports) through ``WasmRuntime.load``, so the answer
cannot differ from what ``bomhost diff`` would do; it also lists every import with its verdict.
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
from bomhost.policy.model import Policy


class ImportVerdict(BaseModel):
    """One import of a WASM module and whether the policy lets it in."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    name: str
    kind: str
    allowed: bool
    reason: str | None = None


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
    return CheckResult(**base, ok=problem is None, problem=problem, imports=imports)
