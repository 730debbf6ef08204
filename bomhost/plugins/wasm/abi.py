"""The guest ABI: find the exports, write the request into guest memory, read the response back.

Protocol 2 (see docs/threat-model.md and the Rust SDK's ``src/abi.rs``): the module
exports ``memory``, ``bomdrift_alloc(len: i32) -> i32`` and ``bomdrift_enrich(ptr: i32, len: i32)
-> i64`` returning ``(out_ptr << 32) | out_len``; optionally ``_initialize``. Every pointer and
length that comes from the guest is checked against the memory's current size before a byte is
copied, because the guest controls them.

Speed: wasmtime-py's ``Func.__call__`` and ``Instance.exports`` cost about 20 us each per call
(they re-read the function type and wrap every export), which alone would exceed the 60 us
per-invocation budget. ``invoke`` and ``export`` below use the same C API through wasmtime's
ctypes bindings directly; the signatures were checked once at load time (``check_exports``), so
the checked ``wasmtime_func_call`` is all that remains to do. This is the only module that
touches ``wasmtime._ffi``; the wasmtime version range is pinned in pyproject.toml and the test
suite exercises every line here against the real library.
"""

from __future__ import annotations

import ctypes
from dataclasses import dataclass
from typing import Any, cast

import wasmtime
from wasmtime import _ffi as ffi
from wasmtime._func import enter_wasm

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


def export(store: wasmtime.Store, instance: wasmtime.Instance, name: str) -> ffi.wasmtime_extern_t:
    """The raw export ``name`` (its kind was checked at load time)."""
    raw = name.encode()
    item = ffi.wasmtime_extern_t()
    found = ffi.wasmtime_instance_export_get(
        store._context(), ctypes.byref(instance._instance), raw, len(raw), ctypes.byref(item)
    )
    if not found or cast(int, item.kind) not in (_KIND_FUNC, _KIND_MEMORY):
        raise wasmtime.WasmtimeError(f"export {name} not found")
    return item


@dataclass(frozen=True)
class Guest:
    """One instance's memory and ABI functions, looked up once per invocation."""

    store: wasmtime.Store
    instance: wasmtime.Instance
    memory: wasmtime.Memory
    alloc: ffi.wasmtime_extern_t
    enrich: ffi.wasmtime_extern_t

    @classmethod
    def bind(cls, store: wasmtime.Store, instance: wasmtime.Instance) -> Guest:
        mem = export(store, instance, "memory")
        return cls(
            store,
            instance,
            wasmtime.Memory._from_raw(mem.of.memory),
            export(store, instance, "bomdrift_alloc"),
            export(store, instance, "bomdrift_enrich"),
        )

    def memory_size(self) -> int:
        return int(self.memory.data_len(self.store))

    def refused_grow_bytes(self) -> int | None:
        """What the refused ``memory.grow`` asked for (0: none was); None without grow.py's guard."""
        found = self.instance.exports(self.store).get(grow.REFUSED_EXPORT)
        if not isinstance(found, wasmtime.Global):
            return None
        pages = found.value(self.store)
        return (int(pages) & 0xFFFFFFFF) * WASM_PAGE if isinstance(pages, int) else None

    def write_request(self, request: bytes) -> int:
        """Ask the guest for a buffer, check it, copy the request in; returns its pointer."""
        ptr = invoke(self.store, self.alloc, len(request), result=KIND_I32) & 0xFFFFFFFF
        self.check_range("request buffer", ptr, len(request))
        if not request:
            return ptr
        base = ctypes.addressof(self.memory.data_ptr(self.store).contents)
        ctypes.memmove(base + ptr, request, len(request))
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
        base = ctypes.addressof(self.memory.data_ptr(self.store).contents)
        return ctypes.string_at(base + ptr, length)

    def check_range(self, what: str, ptr: int, length: int) -> None:
        """Raise ``AbiViolation`` unless [ptr, ptr+length) lies inside guest memory."""
        size = self.memory_size()
        if ptr < 0 or length < 0 or ptr + length > size:
            raise AbiViolation(
                f"{what} at {ptr:#x}+{length} lies outside guest memory ({size} bytes)"
            )


def invoke(
    store: wasmtime.Store, func: ffi.wasmtime_extern_t, *args: int, result: int | None
) -> int:
    """Call an export with i32 arguments; its i32/i64 result (``result`` is its kind), or 0.

    Raises ``wasmtime.Trap`` (with ``trap_code``) or ``wasmtime.WasmtimeError``, as the public
    ``Func.__call__`` does.
    """
    params = (ffi.wasmtime_val_t * max(len(args), 1))()
    for i, arg in enumerate(args):
        params[i].kind = cast(Any, KIND_I32)  # the stubs type the field as c_uint8
        params[i].of.i32 = arg
    results = (ffi.wasmtime_val_t * 1)()
    nresults = 0 if result is None else 1
    with enter_wasm(store) as trap:
        error = ffi.wasmtime_func_call(
            store._context(), ctypes.byref(func.of.func), params, len(args), results, nresults, trap
        )
        if error:
            raise wasmtime.WasmtimeError._from_ptr(error)
    if result is None:
        return 0
    value: int = results[0].of.i64 if result == KIND_I64 else results[0].of.i32
    return value
