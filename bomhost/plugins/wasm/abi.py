"""The guest ABI: find the exports, write the request into guest memory, read the response back.

Protocol 2 (see docs/threat-model.md and the Rust SDK's ``src/abi.rs``): the module
exports ``memory``, ``bomdrift_alloc(len: i32) -> i32`` and ``bomdrift_enrich(ptr: i32, len: i32)
-> i64`` returning ``(out_ptr << 32) | out_len``; optionally ``_initialize``. Every pointer and
length that comes from the guest is checked against the memory's current size before a byte is
copied, because the guest controls them.

Speed: wasmtime-py's ``Store``, ``Func.__call__`` and ``Instance.exports`` cost about 20 us
each per call (they re-read the function type and wrap every export), more than the whole
call now takes. ``CallStore``, ``invoke`` and ``export`` below use the same C API through
wasmtime's ctypes bindings directly, and guest calls are unchecked
(``wasmtime_func_call_unchecked``): the signatures were checked once at load time
(``check_exports``). The C API is used here (the guest side), in ``host`` (host functions)
and in ``engine`` (the pooling allocator); the wasmtime version range is pinned in
pyproject.toml and the test suite exercises every line against the real library.
"""

from __future__ import annotations

import ctypes
from dataclasses import dataclass
from typing import Any, cast

import wasmtime
from wasmtime import _ffi as ffi

from bomhost.plugins.wasm import grow

I32 = wasmtime.ValType.i32()
I64 = wasmtime.ValType.i64()
REQUIRED_EXPORTS: dict[str, tuple[list[wasmtime.ValType], list[wasmtime.ValType]] | None] = {
    "memory": None,
    "bomdrift_alloc": ([I32], [I32]),
    "bomdrift_enrich": ([I32, I32], [I64]),
}
KIND_I32 = ffi.WASMTIME_I32.value
KIND_I64 = ffi.WASMTIME_I64.value
_KIND_FUNC = ffi.WASMTIME_EXTERN_FUNC.value
_KIND_MEMORY = ffi.WASMTIME_EXTERN_MEMORY.value
_KIND_GLOBAL = ffi.WASMTIME_EXTERN_GLOBAL.value
WASM_PAGE = 65536


class AbiViolation(Exception):
    """The guest broke the ABI (a pointer or length outside its memory); becomes bad_output."""


def check_exports(module: wasmtime.Module) -> list[str]:
    """Problems with the module's exports, one line each (empty when it can be called)."""
    exports = {e.name: e.type for e in module.exports}
    problems: list[str] = []
    for name, sig in REQUIRED_EXPORTS.items():
        ty = exports.get(name)
        if ty is None:
            problems.append(f"missing export {name}")
        elif sig is None:
            if not isinstance(ty, wasmtime.MemoryType):
                problems.append(f"export {name} must be a memory")
        elif not isinstance(ty, wasmtime.FuncType) or (ty.params, ty.results) != sig:
            params = ", ".join(str(p) for p in sig[0])
            problems.append(f"export {name} must be a function ({params}) -> {sig[1][0]}")
    init = exports.get("_initialize")
    if init is not None and not (
        isinstance(init, wasmtime.FuncType) and not init.params and not init.results
    ):
        problems.append("export _initialize must be a function () -> ()")
    return problems


def has_initialize(module: wasmtime.Module) -> bool:
    return any(e.name == "_initialize" for e in module.exports)


class CallStore:
    """One call's wasmtime Store, through the C API: limits, fuel and deadline set at creation.

    What ``wasmtime.Store`` does for this runtime, without its per-call wrappers (about 4 us
    of a 60 us call), and deleted by ``close`` when the call ends rather than whenever Python
    collects it. ``_context`` makes it usable wherever wasmtime-py takes a store.
    """

    __slots__ = ("_ptr", "context")

    def __init__(
        self, engine: wasmtime.Engine, *, memory_bytes: int, table_elements: int, fuel: int
    ) -> None:
        self._ptr: Any = ffi.wasmtime_store_new(engine.ptr(), None, _NO_FINALIZER)
        self.context = ffi.wasmtime_store_context(self._ptr)
        # At most one instance, table and memory: the ABI needs no more, and the memory and
        # table limits then bound the whole store.
        ffi.wasmtime_store_limiter(self._ptr, memory_bytes, table_elements, 1, 1, 1)
        _check(ffi.wasmtime_context_set_fuel(self.context, fuel))

    def _context(self) -> Any:
        return self.context

    def set_wasi(self, config: wasmtime.WasiConfig) -> None:
        _check(ffi.wasmtime_context_set_wasi(self.context, config._consume()))

    def set_epoch_deadline(self, ticks: int) -> None:
        ffi.wasmtime_context_set_epoch_deadline(self.context, ticks)

    def fuel(self) -> int:
        left = ctypes.c_uint64(0)
        _check(ffi.wasmtime_context_get_fuel(self.context, ctypes.byref(left)))
        return left.value

    def instantiate(self, pre: wasmtime.InstancePre) -> ffi.wasmtime_instance_t:
        """Instantiate the pre-linked module; raises ``Trap`` or ``WasmtimeError`` like wasmtime-py."""
        instance = ffi.wasmtime_instance_t()
        trap = ctypes.POINTER(ffi.wasm_trap_t)()
        _raise(
            ffi.wasmtime_instance_pre_instantiate(
                pre.ptr(), self.context, ctypes.byref(instance), ctypes.byref(trap)
            ),
            trap,
        )
        return instance

    def export(
        self, instance: ffi.wasmtime_instance_t, name: bytes
    ) -> ffi.wasmtime_extern_t | None:
        """The raw export ``name`` of ``instance``, or None."""
        item = ffi.wasmtime_extern_t()
        found = ffi.wasmtime_instance_export_get(
            self.context, ctypes.byref(instance), name, len(name), ctypes.byref(item)
        )
        return item if found else None

    def close(self) -> None:
        if self._ptr is not None:
            ffi.wasmtime_store_delete(self._ptr)
            self._ptr = None


_NO_FINALIZER = ctypes.cast(0, ctypes.CFUNCTYPE(None, ctypes.c_void_p))


def _check(error: Any) -> None:
    if error:
        raise wasmtime.WasmtimeError._from_ptr(error)


def _raise(error: Any, trap: Any) -> None:
    """Raise what a C call reported: its error, else its trap (with ``trap_code``)."""
    if error:
        raise wasmtime.WasmtimeError._from_ptr(error)
    if trap:
        raise wasmtime.Trap._from_ptr(trap)


def export(store: CallStore, instance: ffi.wasmtime_instance_t, name: str) -> ffi.wasmtime_extern_t:
    """The raw export ``name`` (its kind was checked at load time)."""
    item = store.export(instance, name.encode())
    if item is None or cast(int, item.kind) not in (_KIND_FUNC, _KIND_MEMORY):
        raise wasmtime.WasmtimeError(f"export {name} not found")
    return item


@dataclass(slots=True)
class Guest:
    """One instance's memory and ABI functions, looked up once per invocation."""

    store: CallStore
    instance: ffi.wasmtime_instance_t
    memory: ffi.wasmtime_memory_t
    alloc: ffi.wasmtime_extern_t
    enrich: ffi.wasmtime_extern_t

    @classmethod
    def bind(cls, store: CallStore, instance: ffi.wasmtime_instance_t) -> Guest:
        mem = export(store, instance, "memory")
        return cls(
            store,
            instance,
            mem.of.memory,
            export(store, instance, "bomdrift_alloc"),
            export(store, instance, "bomdrift_enrich"),
        )

    def memory_size(self) -> int:
        return int(ffi.wasmtime_memory_data_size(self.store.context, ctypes.byref(self.memory)))

    def _base(self) -> int:
        data = ffi.wasmtime_memory_data(self.store.context, ctypes.byref(self.memory))
        return ctypes.cast(data, ctypes.c_void_p).value or 0

    def refused_grow_bytes(self) -> int | None:
        """What the refused ``memory.grow`` asked for (0: none was); None without grow.py's guard."""
        found = self.store.export(self.instance, grow.REFUSED_EXPORT.encode())
        if found is None or cast(int, found.kind) != _KIND_GLOBAL:
            return None
        value = ffi.wasmtime_val_t()
        ffi.wasmtime_global_get(
            self.store.context, ctypes.byref(found.of.global_), ctypes.byref(value)
        )
        if cast(int, value.kind) != KIND_I32:
            return None
        return (int(value.of.i32) & 0xFFFFFFFF) * WASM_PAGE

    def write_request(self, request: bytes) -> int:
        """Ask the guest for a buffer, check it, copy the request in; returns its pointer."""
        ptr = invoke(self.store, self.alloc, len(request), result=KIND_I32) & 0xFFFFFFFF
        self.check_range("request buffer", ptr, len(request))
        if not request:
            return ptr
        ctypes.memmove(self._base() + ptr, request, len(request))
        return ptr

    def enrich_call(self, ptr: int, length: int) -> tuple[int, int]:
        """Run ``bomdrift_enrich``; the (out_ptr, out_len) it returned, not yet checked."""
        packed = invoke(self.store, self.enrich, ptr, length, result=KIND_I64)
        packed &= 0xFFFF_FFFF_FFFF_FFFF
        return packed >> 32, packed & 0xFFFFFFFF

    def read_response(self, ptr: int, length: int) -> bytes:
        """The response bytes, after checking the range lies inside guest memory."""
        self.check_range("response", ptr, length)
        if not length:
            return b""
        return ctypes.string_at(self._base() + ptr, length)

    def check_range(self, what: str, ptr: int, length: int) -> None:
        """Raise ``AbiViolation`` unless [ptr, ptr+length) lies inside guest memory."""
        size = self.memory_size()
        if ptr < 0 or length < 0 or ptr + length > size:
            raise AbiViolation(
                f"{what} at {ptr:#x}+{length} lies outside guest memory ({size} bytes)"
            )


def invoke(store: CallStore, func: ffi.wasmtime_extern_t, *args: int, result: int | None) -> int:
    """Call an export with i32 arguments; its i32/i64 result (``result`` is its kind), or 0.

    Through ``wasmtime_func_call_unchecked``: arguments and result share one raw value array,
    with no per-call type check. That is sound only because ``check_exports`` verified every
    export's signature at load time (the three ABI functions and ``_initialize``). Raises
    ``wasmtime.Trap`` (with ``trap_code``) or ``wasmtime.WasmtimeError``, as the public
    ``Func.__call__`` does.
    """
    raw = (ffi.wasmtime_val_raw_t * max(len(args), 1))()
    for i, arg in enumerate(args):
        raw[i].i32 = arg
    trap = ctypes.POINTER(ffi.wasm_trap_t)()
    _raise(
        ffi.wasmtime_func_call_unchecked(
            store.context, ctypes.byref(func.of.func), raw, len(raw), ctypes.byref(trap)
        ),
        trap,
    )
    if result is None:
        return 0
    value: int = raw[0].i64 if result == KIND_I64 else raw[0].i32
    return value
