"""One wasmtime Engine per run: its config, the epoch ticker thread, and the compiled-module cache.

Every budget depends on the engine config: fuel needs ``consume_fuel``, the wall-clock limit needs
``epoch_interruption`` *and* a thread that advances the epoch (a deadline without a ticker never
fires). Compiling a 100 KB module costs about 100 ms, so compiled code is cached on disk, keyed
by the module's sha256, the wasmtime version and this config; a cache entry also carries the
sha256 of its own payload, so a corrupt or truncated file is ignored and rebuilt instead of being
handed to ``Module.deserialize`` (which trusts its input completely).
"""

from __future__ import annotations

import contextlib
import functools
import hashlib
import importlib.metadata
import math
import os
import platform
import resource
import tempfile
import threading
import time
from collections.abc import Iterable
from pathlib import Path

import wasmtime
from wasmtime import _ffi as wasmtime_ffi

from bomhost.config import default_cache_dir
from bomhost.plugins.wasm.compiler import compile_serialized

# Part of the cache key: change it whenever ``_config`` changes.
CONFIG_ID = (
    "fuel=1;epoch=1;threads=0;stack=512KiB;mem=64MiB+8MiB,guard=0,nocow;"
    "mm=0;m64=0;gc=0;exn=0;fref=0;ss=0;cps=0;nan=1;rsimd=det;shape=1;grow=1;v6"
)
MAGIC = b"bomhost-cwasm-1\n"
MIN_TICK_S = 0.001
MAX_TICK_S = 0.05


def _config(pool_slots: int = 0) -> wasmtime.Config:
    cfg = wasmtime.Config()
    cfg.consume_fuel = True
    cfg.epoch_interruption = True
    cfg.wasm_threads = False  # no shared memories: one linear memory, owned by one store
    cfg.max_wasm_stack = 512 * 1024  # deep recursion traps as stack overflow
    # The ABI is one 32-bit memory with 64 KiB pages, and every budget assumes it: proposals
    # that add memories, 64-bit or odd-sized pages, a GC heap or extra stacks (outside
    # ``memory_bytes``) are refused at compile time with a clear load error instead.
    cfg.wasm_multi_memory = False
    cfg.wasm_memory64 = False
    cfg.wasm_custom_page_sizes = False
    cfg.wasm_gc = False
    cfg.wasm_function_references = False
    cfg.wasm_exceptions = False
    cfg.wasm_stack_switching = False
    # Same inputs, same findings on every machine: NaN bits and relaxed SIMD would otherwise
    # depend on the host CPU.
    cfg.cranelift_nan_canonicalization = True
    cfg.wasm_relaxed_simd_deterministic = True
    # Per-call cost (see docs/benchmarks.md): with the default 4 GiB reservation, its guard
    # region and copy-on-write memory images, every Store maps and unmaps a large region on
    # setup and teardown. A reservation of the default 64 MiB budget with explicit bounds
    # checks (no guard) and plain memory init cut a minimal call from ~77 to ~57 us on the
    # benchmark machine, and is what the pooling allocator below needs. A memory granted more
    # than the reservation moves on growth, in steps of 8 MiB.
    cfg.memory_reservation = POOL_MEMORY_BYTES
    cfg.memory_guard_size = 0
    cfg.memory_reservation_for_growth = 8 << 20
    cfg.memory_init_cow = False
    if pool_slots:
        _pool(cfg, pool_slots)
    return cfg


# The pooling allocator: every Store's instance, memory and table come from slots reserved when
# the engine is created, so a call neither maps nor unmaps memory (store set-up plus teardown
# ~25 -> ~14 us, the largest fixed cost of a cheap call). A slot is reset when its store is
# deleted (the first KEEP_RESIDENT bytes zeroed in place, the rest decommitted), so nothing of
# one component's call is visible to the next. Used only when every budget of the run fits a
# slot (``pool_fits``); compiled code is the same with or without it (same reservation).
POOL_MEMORY_BYTES = 64 << 20
POOL_TABLE_ELEMENTS = 100_000  # runtime.MAX_TABLE_ELEMENTS: a store may not hold more
POOL_INSTANCE_BYTES = 8 << 20  # an instance's own state (vmctx), not its memory
KEEP_RESIDENT = 1 << 20
MAX_POOL_SLOTS = 32  # 32 x ~74 MiB of address space, whatever --jobs says
# Address space the pool reserves per slot, counted against RLIMIT_AS: wasmtime aborts the
# process (no error) when an engine cannot reserve its pool, so a tight limit means no pool.
_POOL_SLOT_SPACE = POOL_MEMORY_BYTES + POOL_INSTANCE_BYTES + POOL_TABLE_ELEMENTS * 16


def _pool(cfg: wasmtime.Config, slots: int) -> None:
    pc = wasmtime_ffi.wasmtime_pooling_allocation_config_new()
    for name, value in (
        ("total_core_instances", slots),
        ("total_memories", slots),
        ("total_tables", slots),
        ("total_stacks", slots),
        ("max_memory_size", POOL_MEMORY_BYTES),
        ("table_elements", POOL_TABLE_ELEMENTS),
        ("max_core_instance_size", POOL_INSTANCE_BYTES),
        ("linear_memory_keep_resident", KEEP_RESIDENT),
        ("table_keep_resident", KEEP_RESIDENT),
    ):
        getattr(wasmtime_ffi, f"wasmtime_pooling_allocation_config_{name}_set")(pc, value)
    wasmtime_ffi.wasmtime_pooling_allocation_strategy_set(cfg.ptr(), pc)
    wasmtime_ffi.wasmtime_pooling_allocation_config_delete(pc)


def pool_slots(threads: int, memory_budgets: Iterable[int]) -> int:
    """How many pool slots a run of ``threads`` calls at a time gets; 0: use no pool.

    No pool when a budget grants more memory than a slot holds, or when the address space the
    process may still take (RLIMIT_AS less what it uses) could not hold the reservation twice
    over: wasmtime aborts the process, with no error to catch, when it cannot map its pool.
    At most ``MAX_POOL_SLOTS``: a thread beyond the slots waits for one (``SandboxEngine.slot``).
    """
    if any(b > POOL_MEMORY_BYTES for b in memory_budgets):
        return 0
    slots = min(max(threads, 1), MAX_POOL_SLOTS)
    soft, _ = resource.getrlimit(resource.RLIMIT_AS)
    if soft != resource.RLIM_INFINITY:
        room = soft - _address_space_in_use()
        if room < 2 * slots * _POOL_SLOT_SPACE + (1 << 30):
            return 0
    return slots


def _address_space_in_use() -> int:
    """The process's mapped address space (Linux ``/proc/self/statm``); 0 if unknown."""
    try:
        with open("/proc/self/statm", encoding="ascii") as fh:
            return int(fh.read().split()[0]) * resource.getpagesize()
    except (OSError, ValueError, IndexError):
        return 0


@functools.cache
def _wasmtime_id() -> str:
    """Which wasmtime build compiled a cached module: its native library's size and mtime.

    ``importlib.metadata.version`` scans every distribution on the path (9-16 ms, once per
    process, on the path of every plugin run); a stat of the library wasmtime-py loaded costs
    microseconds and changes whenever another build is installed.
    """
    try:
        st = Path(wasmtime_ffi.filename).stat()
        return f"lib-{st.st_size}-{st.st_mtime_ns}"
    except (AttributeError, OSError):
        return importlib.metadata.version("wasmtime")


class SandboxEngine:
    """The engine shared by every WASM plugin of a run, plus its ticker and module cache."""

    def __init__(self, cache_dir: Path | None = None, *, pool_slots: int = 0) -> None:
        self.engine = wasmtime.Engine(_config(pool_slots))
        self.pool_slots = pool_slots
        # A Store holds a pool slot from creation to deletion; with every slot taken wasmtime
        # refuses the instance ("maximum concurrent limit ... reached"), so a caller's thread
        # beyond the slots waits for one instead of failing its component.
        self.slot = threading.BoundedSemaphore(pool_slots) if pool_slots else None
        self.cache_dir = (cache_dir or default_cache_dir()) / "wasm"
        self._tick_s = MAX_TICK_S
        self._lock = threading.Lock()
        self._active = 0
        self._ticker: threading.Thread | None = None
        self.cache_hits = 0  # observable by tests and the benchmark

    # -- wall clock ------------------------------------------------------------------------

    def plan_timeout(self, timeout_ms: int) -> None:
        """Make the tick fine enough for ``timeout_ms`` (about a tenth of it, 1..50 ms)."""
        tick = min(max(timeout_ms / 10_000, MIN_TICK_S), MAX_TICK_S)
        with self._lock:
            self._tick_s = min(self._tick_s, tick)

    def deadline_ticks(self, timeout_ms: int) -> int:
        """Ticks for ``timeout_ms``; one extra because the first tick may come at once."""
        return math.ceil(timeout_ms / 1000 / self._tick_s) + 1

    def hold(self) -> None:
        """Keep the ticker advancing the epoch while a plugin is loaded (from load to close).

        Done per loaded plugin rather than per call: a lock and an Event per call cost ~2.4 us
        of the ~55 us a minimal call takes.
        """
        with self._lock:
            self._active += 1
            if self._ticker is None:
                self._ticker = threading.Thread(
                    target=self._tick, name="bomhost-wasm-epoch", daemon=True
                )
                self._ticker.start()

    def release(self) -> None:
        """The counterpart of ``hold``; the ticker ends once no plugin is loaded."""
        with self._lock:
            self._active -= 1

    def _tick(self) -> None:
        # Ends at the first tick with no plugin held, and with it its reference to the engine:
        # a runtime that is dropped frees its engine and pool (``plugin test`` makes many).
        while True:
            time.sleep(self._tick_s)
            with self._lock:
                if self._active == 0:
                    self._ticker = None
                    return
            self.engine.increment_epoch()

    # -- compiling -------------------------------------------------------------------------

    def compile(self, source: bytes, *, text: bool) -> wasmtime.Module:
        """The compiled module for ``source`` (.wasm bytes, or .wat text), from the cache if valid.

        Raises ``CompileError`` if the source is not a valid module or compiling it goes past
        the load limits.
        """
        key = hashlib.sha256(
            "|".join(
                (
                    _wasmtime_id(),
                    CONFIG_ID,
                    platform.machine(),
                    "wat" if text else "wasm",
                    hashlib.sha256(source).hexdigest(),
                )
            ).encode()
        ).hexdigest()
        path = self.cache_dir / f"{key}.cwasm"
        module = self._load_cached(path)
        if module is not None:
            self.cache_hits += 1
            return module
        # Compiled in a child process under a deadline and a memory limit (compiler.py);
        # deserializing what it hands back is cheap and bounded by its size.
        payload = compile_serialized(source, text=text)
        module = wasmtime.Module.deserialize(self.engine, payload)
        self._store_cached(path, payload)
        return module

    def _load_cached(self, path: Path) -> wasmtime.Module | None:
        try:
            blob = path.read_bytes()
        except OSError:
            return None
        head, digest, payload = (
            blob[: len(MAGIC)],
            blob[len(MAGIC) : len(MAGIC) + 32],
            blob[len(MAGIC) + 32 :],
        )
        if head != MAGIC or hashlib.sha256(payload).digest() != digest:
            return None  # corrupt, truncated or foreign: rebuild and overwrite
        try:
            return wasmtime.Module.deserialize(self.engine, payload)
        except wasmtime.WasmtimeError:
            return None  # compiled by an incompatible wasmtime or config

    def _store_cached(self, path: Path, payload: bytes) -> None:
        blob = MAGIC + hashlib.sha256(payload).digest() + payload
        tmp: str | None = None
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".tmp-", suffix=".cwasm")
            with os.fdopen(fd, "wb") as fh:
                fh.write(blob)
            os.replace(tmp, path)  # atomic: a concurrent run never reads half a file
        except OSError:
            # A read-only or full cache dir only costs speed, never correctness.
            if tmp is not None:
                with contextlib.suppress(OSError):
                    os.unlink(tmp)
