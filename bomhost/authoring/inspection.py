"""``bomhost plugin inspect``: what a WASM module is and which policy grants it would need.

The module is compiled by the runtime's own bounded compiler (``WasmRuntime.compile``, the path
a run takes), its imports judged by the runtime's ``audit_imports`` against the built-in
policy and its exports by the ABI's ``check_exports``: the answer cannot differ from a run's.
What this adds is the author's view: for each import beyond the default, the grant an operator
must write, and a policy fragment to start from.
"""

from __future__ import annotations

import hashlib
from pathlib import Path

import wasmtime
from pydantic import BaseModel, ConfigDict

from bomhost import __version__
from bomhost.errors import PluginLoadError
from bomhost.plugins.interface import RunContext
from bomhost.plugins.manifest import LoadedManifest, PluginManifest, load_manifest
from bomhost.policy.model import HTTP_GET, HTTP_REQUEST, NEVER_GRANTED, READ_FILE, Policy

# What each brokered import needs besides the import itself, in policy words.
RULES: dict[str, str] = {
    READ_FILE: "an [[plugins.{name}.fs.read]] rule for each file or folder it reads",
    HTTP_GET: "a [[plugins.{name}.net.allow]] rule (scheme, host, port) per service it calls",
    HTTP_REQUEST: "a [[plugins.{name}.net.allow]] rule per service it calls, `methods` listing what it sends",
}


class Extern(BaseModel):
    """One import or export: name, kind and type as WebAssembly spells them."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    name: str
    kind: str
    type: str
    needs: str | None = None  # imports: default policy, a grant, or why it can never load


class Inspection(BaseModel):
    """``plugin inspect``'s answer; ``loadable`` is False when no policy could run it."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    module: str
    plugin: str | None
    size: int
    sha256: str
    exports: tuple[Extern, ...]
    imports: tuple[Extern, ...]
    abi_problems: tuple[str, ...]
    grants: tuple[str, ...]
    policy_fragment: str
    loadable: bool


def _type(ty: object) -> str:
    if isinstance(ty, wasmtime.FuncType):
        params = ", ".join(str(p) for p in ty.params)
        results = ", ".join(str(r) for r in ty.results) or "()"
        return f"({params}) -> {results}"
    if isinstance(ty, wasmtime.MemoryType):
        limits = ty.limits
        top = "" if limits.max is None else f"..{limits.max}"
        return f"pages {limits.min}{top}"
    if isinstance(ty, wasmtime.GlobalType):
        return f"{ty.content} {'mut' if ty.mutable else 'const'}"
    return type(ty).__name__.removesuffix("Type").lower()


def _kind(ty: object) -> str:
    return {
        wasmtime.FuncType: "func",
        wasmtime.MemoryType: "memory",
        wasmtime.TableType: "table",
        wasmtime.GlobalType: "global",
    }.get(type(ty), "other")


def target(spec: str) -> LoadedManifest:
    """A manifest as given, or a bare module wrapped in one (so it compiles as a run would)."""
    path = Path(spec)
    if path.suffix == ".toml":
        return load_manifest(path)
    manifest = PluginManifest(name="NAME", exec=str(path.absolute()), type="wasm")
    return LoadedManifest(manifest=manifest, path=path, exec_path=path.absolute())


def inspect_module(plugin: LoadedManifest) -> Inspection:
    """Compile and describe the plugin's module; ``PluginLoadError`` if it is not WASM."""
    from bomhost.plugins.wasm import grow, host
    from bomhost.plugins.wasm.abi import check_exports
    from bomhost.plugins.wasm.runtime import WasmRuntime, audit_imports

    if plugin.manifest.runtime != "wasm":
        raise PluginLoadError(f"plugin {plugin.name!r}: {plugin.exec_path} is not a WASM module")
    ctx = RunContext(bomhost_version=__version__, now_ms=0, policy=Policy())
    module = WasmRuntime().compile(plugin, ctx)
    data = plugin.exec_path.read_bytes()
    name = plugin.name
    verdicts = {c.name: c for c in audit_imports(module, Policy().imports.allow)}
    imports: list[Extern] = []
    extend: list[str] = []
    grants: list[str] = []
    loadable = True
    for imp in module.imports:
        full = f"{imp.module}.{imp.name}"
        kind = _kind(imp.type)
        if verdicts[full].allowed:
            needs = "in the default policy"
        elif (
            full in NEVER_GRANTED or kind != "func" or not host.provides(imp.module, imp.name or "")
        ):
            why = (
                "it blocks the host" if full in NEVER_GRANTED else "bomhost provides no such import"
            )
            needs = f"cannot load: {why}"
            loadable = False
        else:
            extend.append(full)
            needs = "needs a grant"
            rule = RULES.get(full)
            grant = f'{full}: [plugins.{name}.imports] extend = ["{full}"]'
            grants.append(grant + (f", and {rule.format(name=name)}" if rule else ""))
        imports.append(Extern(name=full, kind=kind, type=_type(imp.type), needs=needs))
    exports = tuple(
        Extern(name=e.name, kind=_kind(e.type), type=_type(e.type))
        for e in module.exports
        if e.name != grow.REFUSED_EXPORT  # bomhost's own (grow.py), not the author's
    )
    problems = tuple(check_exports(module))
    return Inspection(
        module=str(plugin.exec_path),
        plugin=None if name == "NAME" and plugin.path.suffix != ".toml" else name,
        size=len(data),
        sha256=hashlib.sha256(data).hexdigest(),
        exports=exports,
        imports=tuple(imports),
        abi_problems=problems,
        grants=tuple(grants),
        policy_fragment=fragment(name, extend),
        loadable=loadable and not problems,
    )


def fragment(name: str, extend: list[str]) -> str:
    """A policy fragment granting exactly these imports, with placeholder rules to fill in."""
    if not extend:
        return ""
    quoted = ", ".join(f'"{e}"' for e in extend)
    out = [f"[plugins.{name}.imports]", f"extend = [{quoted}]"]
    if READ_FILE in extend:
        out += [
            "",
            f"[[plugins.{name}.fs.read]]",
            f'id = "{name}-data"',
            'path = "data/"                 # the file or folder it reads (relative to this policy)',
            "max_bytes_per_invocation = 1048576",
        ]
    if HTTP_GET in extend or HTTP_REQUEST in extend:
        methods = '["GET", "POST"]' if HTTP_REQUEST in extend else '["GET"]'
        out += [
            "",
            f"[[plugins.{name}.net.allow]]",
            f'id = "{name}-api"',
            'scheme = "https"',
            'host = "api.example.com"       # the service it calls',
            "port = 443",
            f"methods = {methods}",
            "max_requests = 1000",
        ]
    return "\n".join(out) + "\n"
