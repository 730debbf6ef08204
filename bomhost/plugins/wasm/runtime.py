"""``WasmRuntime``: load a WASM plugin under a policy, and run each call in a fresh sandbox.

Load (before any component is sent): read the module (sha256 pin checked), compile it (cached),
refuse every import the policy does not allow or bomhost does not provide, check the ABI
exports, and pre-link it. A refusal is a ``PluginLoadError`` naming the plugin and the import:
the run stops with exit 1.

Call: a fresh Store and Instance (no state survives from one component to the next) with the
policy's budgets: fuel, a wall-clock deadline (epoch ticks), a memory ceiling (one memory,
``set_limits``), caps on output and log bytes. Every way a call can fail becomes a ``Failure``
with its ``error_kind`` plus one deny ``SandboxEvent`` naming the budget or rule and the
numbers; nothing a guest does raises out of ``call``.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from pathlib import Path

import wasmtime

from bomhost.config import default_cache_dir
from bomhost.errors import PluginLoadError
from bomhost.model import ErrorKind, SandboxEvent
from bomhost.plugins.interface import CallResult, Failure, RunContext, Usage
from bomhost.plugins.manifest import LoadedManifest
from bomhost.plugins.wasm import abi, host
from bomhost.plugins.wasm.compiler import CompileError, CompileLimitError
from bomhost.plugins.wasm.engine import POOL_TABLE_ELEMENTS, SandboxEngine, pool_slots
from bomhost.policy.broker import Broker
from bomhost.policy.cache import ResponseCache
from bomhost.policy.model import Budgets, Policy

WASM_PAGE = abi.WASM_PAGE
MAX_TABLE_ELEMENTS = POOL_TABLE_ELEMENTS  # tables live outside linear memory: bound them too
# Compile time grows with module size (about 9 ms per KiB for a module of tiny functions, i.e.
# 3.5 s for 400 KiB on the review machine) and cannot be interrupted; a real Rust plugin is
# 0.1-5 MiB. Larger files are refused before they are read or compiled.
MAX_MODULE_BYTES = 16 << 20


@dataclass(frozen=True)
class ImportCheck:
    """One import of a module and the policy's verdict on it."""

    name: str  # "module.name"
    kind: str  # func, memory, table, global
    allowed: bool
    reason: str | None = None  # why it is refused


def audit_imports(module: wasmtime.Module, allow: tuple[str, ...]) -> list[ImportCheck]:
    """Every import of ``module``, judged against the policy's ``imports.allow``."""
    allowed = set(allow)
    checks: list[ImportCheck] = []
    for imp in module.imports:
        name = f"{imp.module}.{imp.name}"
        kind = {
            wasmtime.FuncType: "func",
            wasmtime.MemoryType: "memory",
            wasmtime.TableType: "table",
            wasmtime.GlobalType: "global",
        }.get(type(imp.type), "other")
        reason = None
        if name not in allowed:
            reason = "is not allowed by the policy"
        elif kind != "func" or not host.provides(imp.module, imp.name or ""):
            reason = "is not provided by bomhost"
        checks.append(ImportCheck(name, kind, reason is None, reason))
    return checks


def effective_timeout_ms(plugin: LoadedManifest, budgets: Budgets) -> int:
    """The policy's timeout; a manifest's explicit ``timeout_ms`` may only lower it."""
    if "timeout_ms" in plugin.manifest.model_fields_set:
        return min(budgets.timeout_ms, plugin.manifest.timeout_ms)
    return budgets.timeout_ms


# Ceilings a scaled budget may not pass (what wasmtime and a 32-bit guest can honour).
FUEL_CEILING = 2**63 - 1
TIMEOUT_CEILING = 86_400_000
BYTES_CEILING = 2**32


def scaled(budgets: Budgets, scale: int) -> Budgets:
    """A batch call's budgets: n times the per-component ones, memory excepted (section 8)."""
    if scale <= 1:
        return budgets
    return budgets.model_copy(
        update={
            "fuel": min(budgets.fuel * scale, FUEL_CEILING),
            "max_output_bytes": min(budgets.max_output_bytes * scale, BYTES_CEILING),
            "max_log_bytes": min(budgets.max_log_bytes * scale, BYTES_CEILING),
        }
    )


def _policy_label(policy: Policy) -> str:
    return f"policy {policy.source}" if policy.source else "built-in default policy"


class WasmRuntime:
    """Runs ``type = "wasm"`` plugins in wasmtime, with no ambient authority."""

    name = "wasm"

    def __init__(self) -> None:
        self._engine: SandboxEngine | None = None
        self._unpooled: SandboxEngine | None = None  # for modules too big for a pool slot

    def engine(self, ctx: RunContext) -> SandboxEngine:
        """The run's engine, created on first use (its cache dir comes from the context)."""
        if self._engine is None:
            # Every memory budget the policy can hand a plugin of this run: the pool serves
            # them all or none (engine.pool_slots).
            policy = ctx.policy
            budgets = [policy.budgets.memory_bytes] + [
                t.budgets.memory_bytes for t in policy.plugins.values() if t.budgets.memory_bytes
            ]
            self._engine = SandboxEngine(
                Path(ctx.cache_dir) if ctx.cache_dir else None,
                pool_slots=pool_slots(ctx.jobs, budgets),
            )
        return self._engine

    def http_cache(self, ctx: RunContext) -> ResponseCache | None:
        """The broker's response cache (one folder for the run's plugins), unless --no-cache."""
        if not ctx.http_cache:
            return None
        root = Path(ctx.cache_dir) if ctx.cache_dir else default_cache_dir()
        return ResponseCache(root / "http")

    def compile(self, plugin: LoadedManifest, ctx: RunContext) -> wasmtime.Module:
        """The plugin's compiled module, or ``PluginLoadError`` if it is not valid WASM."""
        return self._compiled(plugin, ctx)[0]

    def _compiled(
        self, plugin: LoadedManifest, ctx: RunContext
    ) -> tuple[wasmtime.Module, SandboxEngine]:
        """The compiled module and the engine it belongs to.

        A module whose memory, table or instance state at start does not fit a pool slot is
        still a valid plugin: it goes to an engine without the pool, where each call meets its
        budgets as before (a memory it may not have is a ``memory_limit`` failure per call).
        """
        try:
            size = plugin.exec_path.stat().st_size
        except OSError:
            size = 0  # reported by the read below
        if size > MAX_MODULE_BYTES:
            raise PluginLoadError(
                f"plugin {plugin.name!r}: {plugin.exec_path} is {size} bytes, more than the"
                f" {MAX_MODULE_BYTES} a WASM module may have"
            )
        source = plugin.read_exec_verified()
        text = plugin.exec_path.suffix == ".wat"
        try:
            engine = self.engine(ctx)
            try:
                return engine.compile(source, text=text), engine
            except wasmtime.WasmtimeError as exc:
                if not engine.pool_slots or "pooling allocator" not in str(exc):
                    raise
            if self._unpooled is None:
                self._unpooled = SandboxEngine(engine.cache_dir.parent)
            return self._unpooled.compile(source, text=text), self._unpooled
        except CompileLimitError as exc:
            raise PluginLoadError(
                f"plugin {plugin.name!r}: {plugin.exec_path} was refused: {exc}"
            ) from exc
        except CompileError as exc:
            raise PluginLoadError(
                f"plugin {plugin.name!r}: {plugin.exec_path} is not a valid WASM module: {exc}"
            ) from exc
        except wasmtime.WasmtimeError as exc:
            raise PluginLoadError(
                f"plugin {plugin.name!r}: {plugin.exec_path} is not a valid WASM module:"
                f" {_why(exc)}"
            ) from exc
        except UnicodeDecodeError as exc:
            raise PluginLoadError(
                f"plugin {plugin.name!r}: {plugin.exec_path} is not a valid WASM module:"
                f" {_why(exc)}"
            ) from exc

    def load(self, plugin: LoadedManifest, ctx: RunContext) -> WasmPlugin:
        policy = ctx.policy.for_plugin(plugin.name)
        module, engine = self._compiled(plugin, ctx)
        for check in audit_imports(module, policy.imports.allow):
            if not check.allowed:
                raise PluginLoadError(
                    f"plugin {plugin.name!r}: import {check.name} {check.reason}"
                    f" ({_policy_label(policy)}); the plugin was not run"
                )
        problems = abi.check_exports(module)
        if problems:
            raise PluginLoadError(
                f"plugin {plugin.name!r}: {'; '.join(problems)} (see the WASM ABI in protocol/README.md)"
            )
        imports = [(imp.module, imp.name or "") for imp in module.imports]
        try:
            pre = host.make_linker(engine.engine, imports).instantiate_pre(module)
        except wasmtime.WasmtimeError as exc:
            raise PluginLoadError(f"plugin {plugin.name!r}: cannot link: {_why(exc)}") from exc
        timeout_ms = effective_timeout_ms(plugin, policy.budgets)
        engine.plan_timeout(timeout_ms)
        engine.hold()
        host.defer_interrupts()
        return WasmPlugin(
            name=plugin.name,
            engine=engine,
            pre=pre,
            budgets=policy.budgets,
            timeout_ms=timeout_ms,
            broker=Broker(policy, cache=self.http_cache(ctx)),
            now_ms=ctx.now_ms,
            uses_wasi=any(m == host.WASI for m, _ in imports),
            has_initialize=abi.has_initialize(module),
        )


@dataclass
class WasmPlugin:
    """A loaded WASM plugin; ``call`` is thread-safe (each call owns its Store)."""

    name: str
    engine: SandboxEngine
    pre: wasmtime.InstancePre
    budgets: Budgets
    timeout_ms: int
    broker: Broker
    now_ms: int
    uses_wasi: bool
    has_initialize: bool

    _closed: bool = field(default=False, init=False, repr=False)

    def close(self) -> None:
        """Let the epoch ticker idle; stores die with each call, the engine with the runtime."""
        if not self._closed:
            self._closed = True
            self.engine.release()

    def call(self, request: bytes, subject: str, scale: int = 1) -> CallResult:
        slot = self.engine.slot
        if slot is None:
            return self._call(request, subject, scale)
        # A Store holds one pool slot from creation to deletion (engine.SandboxEngine.slot):
        # taken before the call's clocks start, so waiting for one costs none of its budgets.
        with slot:
            return self._call(request, subject, scale)

    def _call(self, request: bytes, subject: str, scale: int) -> CallResult:
        b = scaled(self.budgets, scale)
        timeout_ms = min(self.timeout_ms * scale, TIMEOUT_CEILING)
        started = time.perf_counter()
        inv = host.Invocation(
            plugin_name=self.name,
            subject=subject,
            now_ms=self.now_ms,
            max_log_bytes=b.max_log_bytes,
            max_broker_requests=host.MAX_BROKER_REQUESTS * max(scale, 1),
            broker=self.broker.for_invocation(
                self.name, subject, time.monotonic() + timeout_ms / 1000
            ),
        )
        store = abi.CallStore(
            self.engine.engine,
            memory_bytes=b.memory_bytes,
            table_elements=MAX_TABLE_ELEMENTS,
            fuel=b.fuel,
        )
        inv.context = store.context
        guest: abi.Guest | None = None
        output = b""
        failure: tuple[ErrorKind, str, str, str, dict[str, object]] | None = None
        host.CURRENT.invocation = inv
        try:
            if self.uses_wasi:
                store.set_wasi(host.wasi_config(inv))  # a WASI call on a store without it aborts
            store.set_epoch_deadline(self.engine.deadline_ticks(timeout_ms))
            instance = store.instantiate(self.pre)
            guest = abi.Guest.bind(store, instance)
            inv.memory = guest.memory
            if self.has_initialize:
                abi.invoke(store, abi.export(store, instance, "_initialize"), result=None)
            ptr = guest.write_request(request)
            out_ptr, out_len = guest.enrich_call(ptr, len(request))
            guest.check_range("response", out_ptr, out_len)
            if out_len <= b.max_output_bytes:
                output = guest.read_response(out_ptr, out_len)
            else:
                failure = (
                    "output_too_large",
                    f"response of {out_len} bytes exceeds max_output_bytes ({b.max_output_bytes})",
                    "budgets.max_output_bytes",
                    "output_too_large",
                    {"limit": b.max_output_bytes, "used": out_len},
                )
        except abi.AbiViolation as exc:
            failure = ("bad_output", str(exc), "abi.bounds", "pointer_out_of_bounds", {})
        except wasmtime.Trap as exc:
            failure = self._classify_trap(exc, store, guest, b, timeout_ms)
        except wasmtime.WasmtimeError as exc:  # ExitTrap (proc_exit), instantiation failures
            failure = self._classify_error(exc, guest)
        finally:
            host.CURRENT.invocation = None
            left = store.fuel()
            memory_bytes = guest.memory_size() if guest is not None else None
            store.close()
        if inv.interrupted is not None:
            raise inv.interrupted  # Ctrl-C inside a host call: the guest has unwound (host._dispatch)
        elapsed_ms = (time.perf_counter() - started) * 1000
        if inv.fuel_exhausted and (failure is None or failure[0] == "trap"):
            # A host call could not pay (host.charge_host_call): the fuel budget, whatever the
            # guest did with the error code it got.
            failure = self._fuel_failure(b, 0)
        if inv.fault is not None and failure is None:
            failure = ("trap", inv.fault, "abi.bounds", "host_call_fault", {})
        usage = Usage(
            elapsed_ms=elapsed_ms,
            fuel=b.fuel - left,
            memory_bytes=memory_bytes,
        )
        events = inv.events()
        if failure is None:
            return CallResult(
                output=output, logs=tuple(inv.logs), events=tuple(events), usage=usage
            )
        kind, message, rule_id, reason, context = failure
        if kind == "trap" and inv.logs:
            # As an external plugin's failure ends with its last stderr line: a plugin that
            # gives up (Rust: log the reason, then abort) says why in plugin_errors.
            message = f"{message}; last log line: {inv.logs[-1].message}"
        if kind == "timeout":
            context = {**context, "elapsed": round(elapsed_ms)}
        events.append(
            SandboxEvent(
                plugin_name=self.name,
                component_purl=subject,
                decision="deny",
                rule_id=rule_id,
                reason_code=reason,
                context=context,
            )
        )
        return CallResult(
            failure=Failure(kind, message), logs=tuple(inv.logs), events=tuple(events), usage=usage
        )

    def _at_memory_ceiling(self, guest: abi.Guest | None) -> bool:
        # Only for a module grow.py could not rewrite (its reader did not understand it): a
        # refused grow returns -1 and the guest traps later, so memory within one page of the
        # limit is taken as the ceiling. Every module grow.py guards is classified exactly.
        return guest is not None and guest.memory_size() + WASM_PAGE > self.budgets.memory_bytes

    def _memory_failure(
        self, guest: abi.Guest | None, requested: int | None = None
    ) -> tuple[ErrorKind, str, str, str, dict[str, object]]:
        limit = self.budgets.memory_bytes
        used = guest.memory_size() if guest is not None else None
        asked = (
            f"memory.grow of {requested} bytes refused, {used} in use"
            if requested
            else "memory.grow refused"
        )
        context: dict[str, object] = {"limit": limit, "used": used}
        if requested:
            context["requested"] = requested
        return (
            "memory_limit",
            f"memory limit of {limit} bytes reached ({asked})",
            "budgets.memory_bytes",
            "memory_limit",
            context,
        )

    def _fuel_failure(
        self, b: Budgets, left: int
    ) -> tuple[ErrorKind, str, str, str, dict[str, object]]:
        return (
            "out_of_fuel",
            f"fuel budget of {b.fuel} units exhausted",
            "budgets.fuel",
            "fuel_exhausted",
            {"limit": b.fuel, "used": b.fuel - left},
        )

    def _classify_trap(
        self,
        exc: wasmtime.Trap,
        store: abi.CallStore,
        guest: abi.Guest | None,
        b: Budgets,
        timeout_ms: int,
    ) -> tuple[ErrorKind, str, str, str, dict[str, object]]:
        code = exc.trap_code
        if code == wasmtime.TrapCode.OUT_OF_FUEL:
            return self._fuel_failure(b, store.fuel())
        if code == wasmtime.TrapCode.INTERRUPT:
            return (
                "timeout",
                f"wall-clock limit of {timeout_ms} ms exceeded",
                "budgets.timeout_ms",
                "wall_clock_timeout",
                {"limit": timeout_ms},
            )
        refused = guest.refused_grow_bytes() if guest is not None else None
        if refused:
            used = guest.memory_size() if guest is not None else 0
            if used + refused > b.memory_bytes:
                return self._memory_failure(guest, refused)
            return (
                "trap",
                f"memory.grow of {refused} bytes refused by the module's own declared maximum",
                "sandbox.trap",
                "memory_maximum",
                {"used": used, "requested": refused},
            )
        if refused is None and self._at_memory_ceiling(guest):
            return self._memory_failure(guest)
        reason = code.name.lower() if code is not None else "trap"
        return ("trap", _why(exc), "sandbox.trap", reason, {})

    def _classify_error(
        self, exc: wasmtime.WasmtimeError, guest: abi.Guest | None
    ) -> tuple[ErrorKind, str, str, str, dict[str, object]]:
        if isinstance(exc, wasmtime.ExitTrap):
            msg = f"plugin called proc_exit({exc.code})"
            return ("trap", msg, "sandbox.trap", "proc_exit", {"code": exc.code})
        text = str(exc)
        if "memory" in text and ("limit" in text or "exceeds" in text):
            return self._memory_failure(guest)
        return ("trap", _why(exc), "sandbox.trap", "trap", {})


def _why(exc: Exception) -> str:
    """The one line of a wasmtime error that says why.

    wasmtime puts it after a backtrace as 'wasm trap: ...', or under 'Caused by:' (compile and
    link errors); the first line alone often says only 'failed to parse WebAssembly module'.
    """
    lines = [line.strip() for line in str(exc).splitlines() if line.strip()]
    for line in reversed(lines):
        if line.startswith("wasm trap:"):
            return line.removeprefix("wasm trap:").strip()
    if "Caused by:" in lines[:-1]:
        return lines[lines.index("Caused by:") + 1]
    return lines[0] if lines else type(exc).__name__
