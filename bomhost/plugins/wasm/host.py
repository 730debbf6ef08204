"""The host side of the sandbox: the functions a plugin may import, and inert WASI.

Module ``bomdrift``:

- ``log(level: i32, ptr: i32, len: i32)``: one log line (0 debug, 1 info, 2 warning, 3 error),
  kept in the report; bytes beyond ``budgets.max_log_bytes`` are dropped (one ``log_limit``
  event per invocation).
- ``now_ms() -> i64``: the run's fixed time, the same for every call.
- ``read_file(path_ptr, path_len, buf_ptr, buf_cap: i32) -> i64`` and ``http_get(url_ptr,
  url_len, buf_ptr, buf_cap: i32) -> i64`` (and ``http_request``, whose argument is a JSON
  request with method, headers and body): byte count written at ``buf_ptr``, or a negative
  code (``bomhost.policy.broker``: -1 denied, -2 not found, -3 quota, -4 buffer too small,
  -5 timed out, and ``FAULT`` = -6 below). They only copy bytes between guest memory and the
  policy's ``InvocationBroker``, which makes every decision.

WASI preview 1 is linked (Rust wasm32-wasi builds import it) with nothing granted: no
preopened directory, no environment, no arguments, empty stdin; fd_write to stdout/stderr
becomes log lines. ``clock_time_get`` and ``random_get`` are replaced by deterministic versions
(the run's fixed time; a byte stream seeded by the component) so plugins stay reproducible.

Host functions never raise. A guest pointer outside its memory makes the function return
``FAULT`` (or do nothing) and marks the invocation, which then fails as ``trap`` whatever the
guest answers; so does a bug in the host function itself (``_dispatch`` catches it).

Speed: every host function is defined through wasmtime's unchecked C API
(``wasmtime_linker_define_func_unchecked``) with one ``_dispatch`` callback that reads the
arguments straight from the raw value array and writes the result back. wasmtime-py's own
``define_func`` builds a ``Caller``, a ``Val`` per argument and result and compares three
``ValType`` objects per call: about 15 us per host call, the largest single cost of a cheap
plugin. The signatures are fixed here (``HOST_FUNCTIONS``) and wasmtime checks every import
against them when the module is linked, so the raw array always has the layout read.
"""

from __future__ import annotations

import ctypes
import hashlib
import signal
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, cast

import wasmtime
from wasmtime import _ffi as wasmtime_ffi

from bomhost.model import SandboxEvent
from bomhost.plugins.interface import LogLine
from bomhost.policy.broker import MAX_URL_CHARS, InvocationBroker
from bomhost.policy.model import NEVER_GRANTED

FAULT = -6
QUOTA = -3  # the broker's "quota" code, also returned past MAX_BROKER_REQUESTS
WASI = "wasi_snapshot_preview1"
LEVELS = ("debug", "info", "warning", "error")
_ERRNO_SUCCESS = 0
_ERRNO_FAULT = 21  # WASI errno "fault": a bad pointer
# One byte more than the broker accepts, so an overlong path or URL is refused, never truncated.
MAX_ARG_BYTES = MAX_URL_CHARS + 1
# bomdrift.http_request's JSON (method, URL, headers, body): room for an OSV querybatch of
# 1,000 purls with margin; a longer request is cut here and so fails as malformed (-7).
MAX_HTTP_REQUEST_BYTES = 4 << 20
# WASI functions that can block the thread (poll_oneoff sleeps): an epoch deadline cannot
# interrupt a host call, so no policy can grant them (the policy model refuses the grant too).
BLOCKING_WASI = frozenset(n.split(".", 1)[1] for n in NEVER_GRANTED)

# What a host call costs in fuel (docs/policy.md "Fuel of host calls"). A call runs Python in
# the host (a few microseconds, the time of thousands of guest operators), so it is charged a
# fixed HOST_CALL_FUEL plus FUEL_PER_BYTE for every byte it moves between guest and host: a
# loop of empty calls runs out of fuel like any other loop instead of living on the wall clock.
HOST_CALL_FUEL = 50_000
FUEL_PER_BYTE = 1
# Count caps on what one invocation can make the host keep (the byte caps bound only bytes):
# past a cap the call does nothing and one deny event is recorded for the whole invocation.
MAX_LOG_LINES = 1_000
MAX_BROKER_REQUESTS = 256


@dataclass
class Invocation:
    """What one call may use and what it produced; reached from host functions via ``CURRENT``."""

    plugin_name: str
    subject: str
    now_ms: int
    max_log_bytes: int
    broker: InvocationBroker
    logs: list[LogLine] = field(default_factory=list)
    log_bytes: int = 0
    log_bytes_wanted: int = 0
    fault: str | None = None
    random_counter: int = 0
    log_lines_dropped: int = 0
    broker_requests: int = 0
    fuel_exhausted: bool = False
    # The instance's exported memory, set once the runtime has bound the instance: host calls
    # then skip the export lookup they would otherwise make every time.
    memory: wasmtime_ffi.wasmtime_memory_t | None = None
    # MAX_BROKER_REQUESTS per component: a batch call of n components may make n times as
    # many (protocol/README.md section 8, the budget scaling rule).
    max_broker_requests: int = MAX_BROKER_REQUESTS
    # An interrupt (Ctrl-C) raised inside a host call: the call traps, the runtime re-raises it.
    interrupted: BaseException | None = None
    # The calling store's context, set by the runtime: lets an interrupt stop the guest.
    context: Any = None

    def log(self, level: str, data: bytes) -> None:
        """Keep a line while the log budget lasts; count what was dropped."""
        if len(self.logs) >= MAX_LOG_LINES:
            self.log_lines_dropped += 1  # one sandbox.max_log_lines event, not one per line
            return
        self.log_bytes_wanted += len(data)
        room = self.max_log_bytes - self.log_bytes
        if room <= 0:
            return
        kept = data[:room]
        self.log_bytes += len(kept)
        self.logs.append(LogLine(level, kept.decode("utf-8", "replace").rstrip("\n")))

    def events(self) -> list[SandboxEvent]:
        """The broker's decisions, then one ``log_limit`` event if lines were dropped."""
        events = list(self.broker.events)
        if self.log_bytes_wanted > self.log_bytes:
            events.append(
                SandboxEvent(
                    plugin_name=self.plugin_name,
                    component_purl=self.subject,
                    decision="deny",
                    rule_id="budgets.max_log_bytes",
                    reason_code="log_limit",
                    context={"limit": self.max_log_bytes, "used": self.log_bytes_wanted},
                )
            )
        if self.log_lines_dropped:
            events.append(
                SandboxEvent(
                    plugin_name=self.plugin_name,
                    component_purl=self.subject,
                    decision="deny",
                    rule_id="sandbox.max_log_lines",
                    reason_code="log_limit",
                    context={
                        "limit": MAX_LOG_LINES,
                        "used": MAX_LOG_LINES + self.log_lines_dropped,
                    },
                )
            )
        if self.broker_requests > self.max_broker_requests:
            events.append(
                SandboxEvent(
                    plugin_name=self.plugin_name,
                    component_purl=self.subject,
                    decision="deny",
                    rule_id="sandbox.max_broker_requests",
                    reason_code="request_limit",
                    context={"limit": self.max_broker_requests, "used": self.broker_requests},
                )
            )
        return events


class _Current(threading.local):
    """The invocation running on this thread (one Store per thread, never shared)."""

    invocation: Invocation | None = None


CURRENT = _Current()


_MEMORY_EXPORT = ctypes.create_string_buffer(b"memory")
_KIND_MEMORY = wasmtime_ffi.WASMTIME_EXTERN_MEMORY.value


class Caller:
    """The instance a host call came from, as raw C API handles (valid only during that call)."""

    __slots__ = ("context", "ptr")

    def __init__(self, ptr: Any) -> None:
        self.ptr = ptr
        self.context = wasmtime_ffi.wasmtime_caller_context(ptr)

    def memory(self, inv: Invocation) -> tuple[int, int] | None:
        """(host address of byte 0, size in bytes) of the guest's memory; None if it has none.

        The address is valid until the memory grows, which no guest code can make happen
        while a host function runs.
        """
        mem = inv.memory
        if mem is None:  # a host call before the runtime bound the instance (a start function)
            item = wasmtime_ffi.wasmtime_extern_t()
            found = wasmtime_ffi.wasmtime_caller_export_get(
                self.ptr, _MEMORY_EXPORT, 6, ctypes.byref(item)
            )
            if not found or cast(int, item.kind) != _KIND_MEMORY:
                return None
            mem = item.of.memory
        ref = ctypes.byref(mem)
        size = int(wasmtime_ffi.wasmtime_memory_data_size(self.context, ref))
        base = ctypes.cast(wasmtime_ffi.wasmtime_memory_data(self.context, ref), ctypes.c_void_p)
        return base.value or 0, size


def _guest_range(caller: Caller, inv: Invocation, what: str, ptr: int, length: int) -> int | None:
    """The host address of guest byte 0 if [ptr, ptr+length) lies in its memory, else None.

    Called before the host does any work for the range, so a guest cannot make the host
    produce (or the broker read) more bytes than its memory could ever take. None records the
    fault on the invocation.
    """
    span = caller.memory(inv)
    size = span[1] if span is not None else 0
    if span is None or ptr + length > size:
        inv.fault = f"{what}: guest range {ptr:#x}+{length} lies outside its memory ({size} bytes)"
        return None
    return span[0]


def _read(
    caller: Caller, inv: Invocation, what: str, ptr: int, length: int, cap: int
) -> bytes | None:
    """At most ``cap`` bytes of guest memory at [ptr, ptr+length), or None (fault recorded)."""
    ptr &= 0xFFFFFFFF
    length &= 0xFFFFFFFF
    base = _guest_range(caller, inv, what, ptr, length)
    if base is None:
        return None
    n = min(length, cap)
    return ctypes.string_at(base + ptr, n) if n else b""


def _write(caller: Caller, inv: Invocation, what: str, ptr: int, data: bytes) -> bool:
    ptr &= 0xFFFFFFFF
    base = _guest_range(caller, inv, what, ptr, len(data))
    if base is None:
        return False
    if data:
        ctypes.memmove(base + ptr, data, len(data))
    return True


def charge_host_call(caller: Caller, inv: Invocation, nbytes: int = 0, *, calls: int = 1) -> bool:
    """Charge the calling store for ``calls`` host calls moving ``nbytes``; False if it cannot pay.

    Every host function calls this first (with the bytes it is about to move) and does no
    work when it returns False: the store's fuel is then zero, so the guest traps
    ``out_of_fuel`` at its next instruction, and the invocation is marked in case it does not.
    The cost is ``HOST_CALL_FUEL * calls + FUEL_PER_BYTE * nbytes``; a function that learns
    only later how many bytes it moves (a file, a body) charges them then with ``calls=0``.
    """
    cost = HOST_CALL_FUEL * calls + FUEL_PER_BYTE * max(nbytes, 0)
    left = ctypes.c_uint64(0)
    if wasmtime_ffi.wasmtime_context_get_fuel(caller.context, ctypes.byref(left)):
        return True  # a store without fuel metering: nothing to charge
    paid = left.value >= cost
    wasmtime_ffi.wasmtime_context_set_fuel(caller.context, left.value - cost if paid else 0)
    if not paid:
        inv.fuel_exhausted = True
    return paid


def _log(caller: Caller, inv: Invocation, level: int, ptr: int, length: int) -> None:
    room = max(inv.max_log_bytes - inv.log_bytes, 0)
    if not charge_host_call(caller, inv, min(length & 0xFFFFFFFF, room)):
        return
    data = _read(caller, inv, "bomdrift.log", ptr, length, room)
    if data is not None and len(inv.logs) < MAX_LOG_LINES:
        inv.log_bytes_wanted += (length & 0xFFFFFFFF) - len(data)
    if data is not None:
        inv.log(LEVELS[min(max(level, 0), 3)], data)


def _now_ms(caller: Caller, inv: Invocation) -> int:
    charge_host_call(caller, inv)
    return inv.now_ms


def _brokered(
    name: str,
    ask: Callable[[InvocationBroker, str, int], bytes | int],
    max_arg: int = MAX_ARG_BYTES,
) -> Callable[..., int]:
    def host(caller: Caller, inv: Invocation, p: int, n: int, buf: int, cap: int) -> int:
        what = f"bomdrift.{name}"
        p &= 0xFFFFFFFF
        n &= 0xFFFFFFFF
        buf &= 0xFFFFFFFF
        cap &= 0xFFFFFFFF
        if not charge_host_call(caller, inv, min(n, max_arg)):
            return QUOTA
        # Both ranges checked before any work (no guest code runs inside a host call, so the
        # memory cannot grow or move until this returns).
        base = _guest_range(caller, inv, what, p, n)
        if base is None or _guest_range(caller, inv, what, buf, cap) is None:
            return FAULT
        arg = ctypes.string_at(base + p, min(n, max_arg))
        inv.broker_requests += 1
        if inv.broker_requests > inv.max_broker_requests:
            return QUOTA  # one event for the invocation (Invocation.events), none per attempt
        answer = ask(inv.broker, arg.decode("utf-8", "replace"), cap)
        if isinstance(answer, int):
            return answer
        body = answer[:cap]
        if not charge_host_call(caller, inv, len(body), calls=0):
            return QUOTA
        if body:
            ctypes.memmove(base + buf, body, len(body))
        return len(body)

    return host


def _clock_time_get(caller: Caller, inv: Invocation, clock: int, precision: int, out: int) -> int:
    if not charge_host_call(caller, inv, 8):
        return _ERRNO_FAULT
    ns = inv.now_ms * 1_000_000
    return (
        _ERRNO_SUCCESS
        if _write(caller, inv, "clock_time_get", out, ns.to_bytes(8, "little"))
        else _ERRNO_FAULT
    )


MAX_IOVECS = 1024  # POSIX IOV_MAX: one fd_write moves at most this many buffers
_ERRNO_BADF = 8
_ERRNO_INVAL = 28


def _fd_write(caller: Caller, inv: Invocation, fd: int, iovs: int, n: int, nwritten: int) -> int:
    """WASI fd_write to stdout (1) or stderr (2) as log lines, charged like every host call.

    Replaces wasmtime's own fd_write, which runs without a Caller and so could not be charged:
    a loop of writes used to live on the wall clock. Bytes past the log budget are counted,
    not copied.
    """
    iovs &= 0xFFFFFFFF
    n &= 0xFFFFFFFF
    # The call is paid before any check, so a loop of refused calls runs out of fuel too.
    if not charge_host_call(caller, inv):
        return _ERRNO_FAULT
    if fd not in (1, 2):
        return _ERRNO_BADF
    if n > MAX_IOVECS:
        return _ERRNO_INVAL
    table = _read(caller, inv, "fd_write", iovs, 8 * n, 8 * n)
    if table is None:
        return _ERRNO_FAULT
    spans = [
        (int.from_bytes(table[i : i + 4], "little"), int.from_bytes(table[i + 4 : i + 8], "little"))
        for i in range(0, 8 * n, 8)
    ]
    total = sum(length for _, length in spans)
    room = max(inv.max_log_bytes - inv.log_bytes, 0)
    if not charge_host_call(caller, inv, 8 * n + min(total, room), calls=0):
        return _ERRNO_FAULT
    parts: list[bytes] = []
    for ptr, length in spans:
        part = _read(caller, inv, "fd_write", ptr, length, room)
        if part is None:
            return _ERRNO_FAULT
        parts.append(part)
        room -= len(part)
    data = b"".join(parts)
    inv.log_bytes_wanted += total - len(data)
    inv.log("info" if fd == 1 else "warning", data)
    return (
        _ERRNO_SUCCESS
        # nwritten is a u32: 1,024 spans of up to 4 GiB each can add up to more.
        if _write(caller, inv, "fd_write", nwritten, min(total, 0xFFFFFFFF).to_bytes(4, "little"))
        else _ERRNO_FAULT
    )


def _random_get(caller: Caller, inv: Invocation, buf: int, length: int) -> int:
    buf &= 0xFFFFFFFF
    length &= 0xFFFFFFFF
    # The call is paid first (a loop of refused calls runs out of fuel too), then the bounds
    # are checked before the bytes are made in the host, where no epoch deadline can stop it.
    if not charge_host_call(caller, inv):
        return _ERRNO_FAULT
    if _guest_range(caller, inv, "random_get", buf, length) is None:
        return _ERRNO_FAULT
    if not charge_host_call(caller, inv, length, calls=0):
        return _ERRNO_FAULT
    inv.random_counter += 1
    seed = f"{inv.plugin_name}|{inv.subject}|{inv.random_counter}".encode()
    _write(caller, inv, "random_get", buf, hashlib.shake_256(seed).digest(length))
    return _ERRNO_SUCCESS


_i32 = wasmtime.ValType.i32()
_i64 = wasmtime.ValType.i64()
# (module, name) -> ((params, results), implementation, value returned when it cannot run).
# Signatures stay plain lists: a FuncType belongs to the engine it was first used with.
Signature = tuple[list[wasmtime.ValType], list[wasmtime.ValType]]
HOST_FUNCTIONS: dict[tuple[str, str], tuple[Signature, Callable[..., Any], Any]] = {
    ("bomdrift", "log"): (([_i32, _i32, _i32], []), _log, None),
    ("bomdrift", "now_ms"): (([], [_i64]), _now_ms, 0),
    ("bomdrift", "read_file"): (
        ([_i32] * 4, [_i64]),
        _brokered("read_file", lambda b, path, cap: b.read_file(path, cap)),
        FAULT,
    ),
    ("bomdrift", "http_get"): (
        ([_i32] * 4, [_i64]),
        _brokered("http_get", lambda b, url, cap: b.http_get(url, cap)),
        FAULT,
    ),
    ("bomdrift", "http_request"): (
        ([_i32] * 4, [_i64]),
        _brokered(
            "http_request",
            lambda b, req, cap: b.http_request_json(req, cap),
            MAX_HTTP_REQUEST_BYTES,
        ),
        FAULT,
    ),
    (WASI, "clock_time_get"): (
        ([_i32, _i64, _i32], [_i32]),
        _clock_time_get,
        _ERRNO_FAULT,
    ),
    (WASI, "random_get"): (([_i32, _i32], [_i32]), _random_get, _ERRNO_FAULT),
    (WASI, "fd_write"): (([_i32] * 4, [_i32]), _fd_write, _ERRNO_FAULT),
}


def provides(module: str, name: str) -> bool:
    """Whether bomhost can satisfy this import at all (a policy may only narrow it)."""
    if module == WASI:
        return name not in BLOCKING_WASI
    return (module, name) in HOST_FUNCTIONS


# The callback's env is an index into this table (0 stays unused: a NULL env is never valid).
_Entry = tuple[Callable[..., Any], tuple[bool, ...], bool | None, Any]
_ENTRIES: list[_Entry | None] = [None]
_INDEX: dict[tuple[str, str], int] = {}
for _key, ((_params, _results), _fn, _default) in sorted(HOST_FUNCTIONS.items()):
    _INDEX[_key] = len(_ENTRIES)
    _wide_result = (_results[0] == _i64) if _results else None
    _ENTRIES.append((_fn, tuple(t == _i64 for t in _params), _wide_result, _default))


def _dispatch(env: int | None, caller: Any, raw: Any, _n: int) -> int:
    """Every host call enters here: arguments from ``raw``, the result written back to ``raw[0]``.

    Returns 0 (go on), or a trap pointer for an interrupt (Ctrl-C) raised inside the call, which
    the runtime re-raises once the guest has unwound. Anything else a host function raises is a
    host bug: it becomes the invocation's fault and the function's default result.
    """
    entry = _ENTRIES[env or 0]
    inv = CURRENT.invocation
    if entry is None:
        return 0
    fn, wide, wide_result, default = entry
    try:
        value = default
        if inv is not None:
            try:
                args = [raw[i].i64 if w else raw[i].i32 for i, w in enumerate(wide)]
                value = fn(Caller(caller), inv, *args)
            except Exception as exc:
                inv.fault = f"host function failed: {type(exc).__name__}: {exc}"
                value = default
        if wide_result is True:
            raw[0].i64 = value
        elif wide_result is False:
            raw[0].i32 = value
        return 0
    except BaseException as exc:  # KeyboardInterrupt, SystemExit: stop the guest, re-raise later
        if inv is not None:
            inv.interrupted = exc
        trap = wasmtime.Trap(f"interrupted: {type(exc).__name__}")._consume()
        return ctypes.cast(trap, ctypes.c_void_p).value or 0


def defer_interrupts() -> None:
    """Make Ctrl-C during a guest call stop the guest, then raise once the call has returned.

    Python runs a signal handler at the next bytecode it executes, which may be the first line
    of ``_dispatch``, before any ``try``: the KeyboardInterrupt would then escape the ctypes
    callback, be printed and dropped, and leave the callback's return value (the trap pointer
    wasmtime reads) unset. Inside a call this handler only records the interrupt and takes the
    store's fuel, so the guest traps at its next instruction and ``WasmPlugin.call`` raises it.
    Installed once, from the main thread (the only one Python runs handlers in), in front of
    whatever handler was there, which still runs outside guest calls.
    """
    previous = signal.getsignal(signal.SIGINT)
    if (
        threading.current_thread() is not threading.main_thread()
        or not callable(previous)
        or getattr(previous, "_bomhost_defers", False)
    ):
        return

    def handler(signum: int, frame: Any) -> None:
        inv = CURRENT.invocation
        if inv is None:
            previous(signum, frame)
            return
        inv.interrupted = KeyboardInterrupt()
        if inv.context is not None:
            wasmtime_ffi.wasmtime_context_set_fuel(inv.context, 0)

    handler._bomhost_defers = True  # type: ignore[attr-defined]
    signal.signal(signal.SIGINT, handler)


# The one C callback of every host function; a module global, so it lives as long as any linker.
_CALLBACK = wasmtime_ffi.wasmtime_func_unchecked_callback_t(_dispatch)
_NO_FINALIZER = ctypes.CFUNCTYPE(None, ctypes.c_void_p)(lambda _env: None)


def make_linker(engine: wasmtime.Engine, imports: list[tuple[str, str]]) -> wasmtime.Linker:
    """A linker with exactly the host functions the module imports, plus WASI if it uses it."""
    linker = wasmtime.Linker(engine)
    if any(module == WASI for module, _ in imports):
        linker.define_wasi()
        # Our deterministic clock and random, and a charged fd_write, replace WASI's.
        linker.allow_shadowing = True
    for key in sorted(set(imports)):
        if key in HOST_FUNCTIONS:
            (params, results), _, _ = HOST_FUNCTIONS[key]
            ty = wasmtime.FuncType(params, results)
            module, name = (part.encode() for part in key)
            error = wasmtime_ffi.wasmtime_linker_define_func_unchecked(
                linker.ptr(),
                ctypes.create_string_buffer(module),
                len(module),
                ctypes.create_string_buffer(name),
                len(name),
                ty.ptr(),
                _CALLBACK,
                _INDEX[key],
                _NO_FINALIZER,  # the table entries live as long as the module
            )
            if error:
                raise wasmtime.WasmtimeError._from_ptr(error)
    return linker


def wasi_config(inv: Invocation) -> wasmtime.WasiConfig:
    """A WASI context granting nothing; stdout and stderr become the plugin's log.

    ``fd_write`` is bomhost's (``_fd_write``, charged); these catch any other WASI write path.
    """
    cfg = wasmtime.WasiConfig()
    cfg.stdout_custom = lambda data: _wasi_log(inv, "info", data)
    cfg.stderr_custom = lambda data: _wasi_log(inv, "warning", data)
    return cfg


def _wasi_log(inv: Invocation, level: str, data: bytes) -> int:
    inv.log(level, data)
    return len(data)
