"""A refused ``memory.grow`` traps, and says so exactly: the module is rewritten before compiling.

wasmtime's store limit refuses a grow past ``memory_bytes`` by returning -1 to the guest and
raising nothing; the guest usually traps soon after (Rust aborts on allocation failure), and
that trap looked like any other. Guessing "memory within a page of the limit" misnamed a guest
that grows in 1 MiB steps. Rust's wasmtime has ``StoreLimitsBuilder::trap_on_grow_failure``;
the C API that wasmtime-py binds does not, so bomhost does the same thing in the module:

- every ``memory.grow`` becomes ``call $guard``, a function appended to the module (an appended
  function, type and global shift no index the guest's code uses);
- ``$guard`` grows memory; on -1 it stores the number of pages asked for in an appended,
  exported global (``REFUSED_EXPORT``) and executes ``unreachable``.

The runtime reads that global after a trap: non-zero means a grow was refused, and the pages
asked for tell the budget (``memory_bytes``) from the module's own declared maximum. The guest
cannot write the global (its code was validated without it) and cannot export that name (a
duplicate export fails validation, a load error).

This runs in the compile child (compiler.py), inside its time and memory bounds; a module this
reader does not understand is compiled unchanged and judged by wasmtime's validator (the
runtime then falls back to comparing memory with the limit).
"""

from __future__ import annotations

from bomhost.plugins.wasm.shape import (
    MAGIC,
    NotUnderstood,
    Reader,
    declared_locals,
    function_bodies,
    sections,
    walk,
)

REFUSED_EXPORT = "__bomhost_grow_refused"

_TYPE, _IMPORT, _FUNCTION, _MEMORY, _GLOBAL, _EXPORT, _CODE = 1, 2, 3, 5, 6, 7, 10
# Section order of the binary format (custom sections, id 0, may sit anywhere).
_ORDER = [1, 2, 3, 4, 5, 13, 6, 7, 8, 9, 12, 10, 11]


def leb(n: int) -> bytes:
    """Unsigned LEB128."""
    out = bytearray()
    while True:
        b = n & 0x7F
        n >>= 7
        if n:
            out.append(b | 0x80)
        else:
            out.append(b)
            return bytes(out)


def _vec(items: list[bytes]) -> bytes:
    return leb(len(items)) + b"".join(items)


def guard_body(global_index: int) -> bytes:
    """``(param $pages i32) (result i32) (local $old i32)``: grow, or record and trap."""
    code = b"".join(
        [
            b"\x01\x01\x7f",  # one local: i32
            b"\x20\x00\x40\x00\x22\x01",  # local.get 0; memory.grow 0; local.tee 1
            b"\x41\x7f\x46\x04\x40",  # i32.const -1; i32.eq; if
            b"\x20\x00\x24" + leb(global_index),  # local.get 0; global.set $refused
            b"\x00\x0b",  # unreachable; end
            b"\x20\x01\x0b",  # local.get 1; end
        ]
    )
    return leb(len(code)) + code


def guard(binary: bytes) -> bytes:
    """``binary`` with every ``memory.grow`` routed through the guard (unchanged if it has none)."""
    if not binary.startswith(MAGIC):
        return binary
    try:
        return _rewrite(binary)
    except NotUnderstood:
        return binary


def _rewrite(binary: bytes) -> bytes:
    parts = [(sid, binary[body.pos : body.end]) for sid, body in sections(binary)]
    by_id = dict(parts)
    if _MEMORY not in by_id or _CODE not in by_id:
        return binary  # no memory of its own (an import is refused at link time) or no code
    imported = _imported(by_id.get(_IMPORT, b"\0"))
    types = _count(by_id.get(_TYPE, b"\0"))
    defined = _count(by_id.get(_FUNCTION, b"\0"))
    guard_func = imported["func"] + defined
    refused_global = imported["global"] + _count(by_id.get(_GLOBAL, b"\0"))

    code, grows = _reroute(by_id[_CODE], guard_func)
    if not grows:
        return binary
    new = {
        _TYPE: _append(by_id.get(_TYPE, b"\0"), b"\x60\x01\x7f\x01\x7f"),
        _FUNCTION: _append(by_id.get(_FUNCTION, b"\0"), leb(types)),
        _GLOBAL: _append(by_id.get(_GLOBAL, b"\0"), b"\x7f\x01\x41\x00\x0b"),
        _EXPORT: _append(
            by_id.get(_EXPORT, b"\0"),
            leb(len(REFUSED_EXPORT)) + REFUSED_EXPORT.encode() + b"\x03" + leb(refused_global),
        ),
        _CODE: _append(code, guard_body(refused_global)),
    }
    out = bytearray(MAGIC)
    for sid, body in parts:
        if sid != 0:
            if sid not in _ORDER:
                raise NotUnderstood
            # A section this module lacks goes where the binary format orders it.
            for missing in [s for s in _ORDER[: _ORDER.index(sid)] if s in new and s not in by_id]:
                out += _section(missing, new.pop(missing))
        out += _section(sid, new.pop(sid, body))
    for missing in [s for s in _ORDER if s in new]:
        out += _section(missing, new.pop(missing))
    return bytes(out)


def _section(sid: int, body: bytes) -> bytes:
    return bytes([sid]) + leb(len(body)) + body


def _count(body: bytes) -> int:
    return Reader(body, 0, len(body)).u()


def _append(body: bytes, item: bytes) -> bytes:
    """A vector section with one more item at its end."""
    r = Reader(body, 0, len(body))
    n = r.u()
    return leb(n + 1) + body[r.pos :] + item


def _imported(body: bytes) -> dict[str, int]:
    """How many functions and globals the module imports (they come first in each index space)."""
    counts = {"func": 0, "global": 0}
    r = Reader(body, 0, len(body))
    for _ in range(r.u()):
        r.skip(r.u())  # module name
        r.skip(r.u())  # field name
        kind = r.byte()
        if kind == 0:
            counts["func"] += 1
            r.u()
        elif kind == 1:  # table: reference type, limits
            if r.byte() in (0x63, 0x64):
                r.u()
            _limits(r)
        elif kind == 2:
            _limits(r)
        elif kind == 3:
            counts["global"] += 1
            if r.byte() in (0x63, 0x64):
                r.u()
            r.byte()  # mutability
        else:
            raise NotUnderstood
    return counts


def _limits(r: Reader) -> None:
    flags = r.byte()
    r.u()
    if flags & 1:
        r.u()


def _reroute(body: bytes, guard_func: int) -> tuple[bytes, int]:
    """The code section with each ``memory.grow`` replaced by ``call guard_func``; how many."""
    r = Reader(body, 0, len(body))
    call = b"\x10" + leb(guard_func)
    bodies: list[bytes] = []
    total = 0
    for _, _, fn in function_bodies(r):
        start = fn.pos
        declared_locals(fn)
        head, code = body[start : fn.pos], body[fn.pos : fn.end]
        grows: list[tuple[int, int]] = []
        if b"\x40" in code:
            _, depth, complete = walk(code, grows)
            if not complete or depth != -1:
                raise NotUnderstood
        parts, last = [head], 0
        for a, b in grows:
            parts += [code[last:a], call]
            last = b
        parts.append(code[last:])
        total += len(grows)
        new = b"".join(parts)
        bodies.append(leb(len(new)) + new)
    if r.pos != r.end:
        raise NotUnderstood
    return _vec(bodies), total
