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

Host functions never raise: wasmtime-py hands a Python exception from a host function back
through one process-wide slot, which two threads can swap. A guest pointer outside its memory
therefore makes the function return ``FAULT`` (or do nothing) and marks the invocation, which
then fails as ``trap`` whatever the guest answers.
"""

from __future__ import annotations

import ctypes
import hashlib
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

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
    # then skip the export lookup (Caller.get) they would otherwise make every time.
    memory: wasmtime.Memory | None = None

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
        if self.broker_requests > MAX_BROKER_REQUESTS:
            events.append(
                SandboxEvent(
                    plugin_name=self.plugin_name,
                    component_purl=self.subject,
                    decision="deny",
                    rule_id="sandbox.max_broker_requests",
                    reason_code="request_limit",
                    context={"limit": MAX_BROKER_REQUESTS, "used": self.broker_requests},
                )
            )
        return events


class _Current(threading.local):
    """The invocation running on this thread (one Store per thread, never shared)."""

    invocation: Invocation | None = None


CURRENT = _Current()


def _memory(caller: wasmtime.Caller, inv: Invocation) -> wasmtime.Memory | None:
    if inv.memory is not None:
        return inv.memory
    mem = caller.get("memory")  # a host call before binding (a start function)
    return mem if isinstance(mem, wasmtime.Memory) else None


def _guest_range(
    caller: wasmtime.Caller, inv: Invocation, what: str, ptr: int, length: int
) -> wasmtime.Memory | None:
    """Guest memory if [ptr, ptr+length) lies inside it, else None with the fault recorded.

    Called before the host does any work for the range, so a guest cannot make the host
    produce (or the broker read) more bytes than its memory could ever take.
    """
    mem = _memory(caller, inv)
    size = mem.data_len(caller) if mem is not None else 0
    if mem is None or ptr + length > size:
        inv.fault = f"{what}: guest range {ptr:#x}+{length} lies outside its memory ({size} bytes)"
        return None
    return mem


def _read(
    caller: wasmtime.Caller, inv: Invocation, what: str, ptr: int, length: int, cap: int
) -> bytes | None:
    """At most ``cap`` bytes of guest memory at [ptr, ptr+length), or None (fault recorded)."""
    ptr &= 0xFFFFFFFF
    length &= 0xFFFFFFFF
    mem = _guest_range(caller, inv, what, ptr, length)
    return None if mem is None else bytes(mem.read(caller, ptr, ptr + min(length, cap)))


def _write(caller: wasmtime.Caller, inv: Invocation, what: str, ptr: int, data: bytes) -> bool:
    ptr &= 0xFFFFFFFF
    mem = _guest_range(caller, inv, what, ptr, len(data))
    if mem is None:
        return False
    if data:
        mem.write(caller, data, ptr)
    return True


def charge_host_call(
    caller: wasmtime.Caller, inv: Invocation, nbytes: int = 0, *, calls: int = 1
) -> bool:
    """Charge the calling store for ``calls`` host calls moving ``nbytes``; False if it cannot pay.

    Every host function calls this first (with the bytes it is about to move) and does no
    work when it returns False: the store's fuel is then zero, so the guest traps
    ``out_of_fuel`` at its next instruction, and the invocation is marked in case it does not.
    The cost is ``HOST_CALL_FUEL * calls + FUEL_PER_BYTE * nbytes``; a function that learns
    only later how many bytes it moves (a file, a body) charges them then with ``calls=0``.
    """
    cost = HOST_CALL_FUEL * calls + FUEL_PER_BYTE * max(nbytes, 0)
    context = caller._context()  # the calling store; wasmtime-py exposes no fuel on Caller
    left = ctypes.c_uint64(0)
    if wasmtime_ffi.wasmtime_context_get_fuel(context, ctypes.byref(left)):
        return True  # a store without fuel metering: nothing to charge
    paid = left.value >= cost
    wasmtime_ffi.wasmtime_context_set_fuel(context, left.value - cost if paid else 0)
    if not paid:
        inv.fuel_exhausted = True
    return paid


def _guarded(default: Any, fn: Callable[..., Any]) -> Callable[..., Any]:
    """Run a host function for the current invocation; never let an exception reach wasmtime."""

    def wrapper(caller: wasmtime.Caller, *args: Any) -> Any:
        inv = CURRENT.invocation
        if inv is None:
            return default
        try:
            return fn(caller, inv, *args)
        except Exception as exc:  # a host bug must not become another thread's trap
            inv.fault = f"host function failed: {type(exc).__name__}: {exc}"
            return default

    return wrapper


def _log(caller: wasmtime.Caller, inv: Invocation, level: int, ptr: int, length: int) -> None:
    room = max(inv.max_log_bytes - inv.log_bytes, 0)
    if not charge_host_call(caller, inv, min(length & 0xFFFFFFFF, room)):
        return
    data = _read(caller, inv, "bomdrift.log", ptr, length, room)
    if data is not None and len(inv.logs) < MAX_LOG_LINES:
        inv.log_bytes_wanted += (length & 0xFFFFFFFF) - len(data)
    if data is not None:
        inv.log(LEVELS[min(max(level, 0), 3)], data)


def _now_ms(caller: wasmtime.Caller, inv: Invocation) -> int:
    charge_host_call(caller, inv)
    return inv.now_ms


def _brokered(
    name: str,
    ask: Callable[[InvocationBroker, str, int], bytes | int],
    max_arg: int = MAX_ARG_BYTES,
) -> Callable[..., int]:
    def host(caller: wasmtime.Caller, inv: Invocation, p: int, n: int, buf: int, cap: int) -> int:
        what = f"bomdrift.{name}"
        p &= 0xFFFFFFFF
        n &= 0xFFFFFFFF
        buf &= 0xFFFFFFFF
        cap &= 0xFFFFFFFF
        if not charge_host_call(caller, inv, min(n, max_arg)):
            return QUOTA
        # One lookup of the guest's memory for both ranges and the copy back (no guest code
        # runs inside a host call, so the memory cannot grow or move in between): the public
        # Caller.get / Memory.read path costs several microseconds per use.
        mem = _memory(caller, inv)
        size = mem.data_len(caller) if mem is not None else 0
        for ptr, length in ((p, n), (buf, cap)):
            if mem is None or ptr + length > size:
                inv.fault = (
                    f"{what}: guest range {ptr:#x}+{length} lies outside its memory ({size} bytes)"
                )
                return FAULT
        assert mem is not None
        base = ctypes.addressof(mem.data_ptr(caller).contents)
        arg = ctypes.string_at(base + p, min(n, max_arg))
        inv.broker_requests += 1
        if inv.broker_requests > MAX_BROKER_REQUESTS:
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


def _clock_time_get(
    caller: wasmtime.Caller, inv: Invocation, clock: int, precision: int, out: int
) -> int:
    if not charge_host_call(caller, inv, 8):
        return _ERRNO_FAULT
    ns = inv.now_ms * 1_000_000
    return (
        _ERRNO_SUCCESS
        if _write(caller, inv, "clock_time_get", out, ns.to_bytes(8, "little"))
        else _ERRNO_FAULT
    )


def _random_get(caller: wasmtime.Caller, inv: Invocation, buf: int, length: int) -> int:
    buf &= 0xFFFFFFFF
    length &= 0xFFFFFFFF
    # Bounds first: the bytes are made in the host, where no epoch deadline can stop it.
    if _guest_range(caller, inv, "random_get", buf, length) is None:
        return _ERRNO_FAULT
    if not charge_host_call(caller, inv, length):
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
}


def provides(module: str, name: str) -> bool:
    """Whether bomhost can satisfy this import at all (a policy may only narrow it)."""
    if module == WASI:
        return name not in BLOCKING_WASI
    return (module, name) in HOST_FUNCTIONS


def make_linker(engine: wasmtime.Engine, imports: list[tuple[str, str]]) -> wasmtime.Linker:
    """A linker with exactly the host functions the module imports, plus WASI if it uses it."""
    linker = wasmtime.Linker(engine)
    if any(module == WASI for module, _ in imports):
        linker.define_wasi()
        linker.allow_shadowing = True  # our deterministic clock and random replace WASI's
    for key in sorted(set(imports)):
        if key in HOST_FUNCTIONS:
            (params, results), fn, default = HOST_FUNCTIONS[key]
            ty = wasmtime.FuncType(params, results)
            linker.define_func(key[0], key[1], ty, _guarded(default, fn), access_caller=True)
    return linker


def wasi_config(inv: Invocation) -> wasmtime.WasiConfig:
    """A WASI context granting nothing; stdout and stderr become the plugin's log."""
    cfg = wasmtime.WasiConfig()
    cfg.stdout_custom = lambda data: _wasi_log(inv, "info", data)
    cfg.stderr_custom = lambda data: _wasi_log(inv, "warning", data)
    return cfg


def _wasi_log(inv: Invocation, level: str, data: bytes) -> int:
    # No Caller here (wasmtime's own fd_write calls this), so no fuel is charged; the line
    # and byte caps of log() still bound what is kept (docs/threat-model.md).
    inv.log(level, data)
    return len(data)
