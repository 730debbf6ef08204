"""Module-shape limits, checked on the binary before wasmtime compiles it.

Compile cost grows with a module's shape, not only its size: 990,000 empty functions in a
5.9 MB text took 109 s and 5.8 GB. The compile child (compiler.py) bounds every load in time
and memory whatever the shape; this check refuses the shapes no real plugin has *by name*, so
the error says which limit was passed instead of "took longer than 10 s". It reads section
headers and counts (cheap), plus each function's local declarations and body size; nesting is
measured only where it could pass the limit (see ``nesting``).

Anything this reader does not understand (a bad header, an unknown opcode) is left to
wasmtime's validator, which refuses it with its own message: the check may only refuse,
never accept, a module that wasmtime would refuse.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

# The limits (docs/threat-model.md "Bounded loading"). A real Rust plugin has a few thousand
# functions, tens of imports, a handful of data segments, a few hundred locals per function,
# bodies under 1 MiB and nesting under a hundred.
MAX_FUNCTIONS = 100_000
MAX_IMPORTS = 10_000
MAX_DATA_SEGMENTS = 100_000
MAX_LOCALS = 50_000  # per function, declared locals (parameters excluded)
MAX_BODY_BYTES = 4 << 20  # per function body
MAX_NESTING = 1_000  # block / loop / if open at once in one function

MAGIC = b"\0asm\x01\0\0\0"
_IMPORT, _FUNCTION, _CODE, _DATA = 2, 3, 10, 11
_OPENS = (0x02, 0x03, 0x04)  # block, loop, if
_END = 0x0B
_MEMORY_GROW = 0x40


class ShapeError(Exception):
    """The module passes a shape limit; ``str`` is one line naming it."""


class NotUnderstood(Exception):
    """Something this reader does not decode; wasmtime's validator will judge it."""


@dataclass
class Reader:
    """A cursor over ``data[pos:end]``; reading past ``end`` means "not understood"."""

    data: bytes
    pos: int
    end: int

    def byte(self) -> int:
        if self.pos >= self.end:
            raise NotUnderstood
        b = self.data[self.pos]
        self.pos += 1
        return b

    def u(self) -> int:
        """An unsigned (or, for skipping, signed) LEB128 of at most 10 bytes."""
        result = shift = 0
        for _ in range(10):
            b = self.byte()
            result |= (b & 0x7F) << shift
            if b < 0x80:
                return result
            shift += 7
        raise NotUnderstood

    def skip(self, n: int) -> None:
        if n < 0 or self.pos + n > self.end:
            raise NotUnderstood
        self.pos += n


def sections(binary: bytes) -> Iterator[tuple[int, Reader]]:
    """Each section of a module after ``MAGIC``: its id and a reader over its bytes."""
    r = Reader(binary, len(MAGIC), len(binary))
    while r.pos < r.end:
        section = r.byte()
        size = r.u()
        body = Reader(binary, r.pos, r.pos + size)
        r.skip(size)
        yield section, body


def function_bodies(code: Reader) -> Iterator[tuple[int, int, Reader]]:
    """Each function body of a code section: its index, its size and a reader over it.

    A body is handed out before the section reader moves past it, so a caller can judge its
    size before a truncated section is noticed; ``code`` ends after the last body.
    """
    for index in range(code.u()):
        size = code.u()
        body = Reader(code.data, code.pos, code.pos + size)
        yield index, size, body
        code.skip(size)


def declared_locals(body: Reader) -> int:
    """Read a body's local declarations (leaving ``body`` at its first instruction); how many."""
    count = 0
    for _ in range(body.u()):
        count += body.u()
        _valtype(body)
    return count


def check(binary: bytes) -> None:
    """Raise ``ShapeError`` if the module passes a limit; return quietly otherwise."""
    if not binary.startswith(MAGIC):
        return
    try:
        for section, body in sections(binary):
            if section == _IMPORT:
                _limit("imports", body.u(), MAX_IMPORTS)
            elif section == _FUNCTION:
                _limit("functions", body.u(), MAX_FUNCTIONS)
            elif section == _DATA:
                _limit("data segments", body.u(), MAX_DATA_SEGMENTS)
            elif section == _CODE:
                _check_code(body)
    except NotUnderstood:
        return


def _limit(what: str, count: int, limit: int, where: str = "") -> None:
    if count > limit:
        raise ShapeError(
            f"module has {count} {what}{where}, more than the {limit} a WASM plugin may have"
        )


def _check_code(r: Reader) -> None:
    for index, size, body in function_bodies(r):
        where = f" in function body {index}"
        _limit("bytes", size, MAX_BODY_BYTES, where)
        _limit("locals", declared_locals(body), MAX_LOCALS, where)
        code = body.data[body.pos : body.end]
        # Every open is one of three byte values, so their count bounds the depth: only a body
        # with more such bytes than the limit (rare: immediates use them too) is decoded.
        if sum(code.count(op) for op in _OPENS) > MAX_NESTING:
            _limit("levels of nesting", nesting(code), MAX_NESTING, where)


def _valtype(r: Reader) -> None:
    if r.byte() in (0x63, 0x64):  # (ref null? heaptype): typed references
        r.u()
    # every other value type is one byte


def _blocktype(r: Reader) -> None:
    # Empty (0x40), a value type (one negative s33 byte) or a type index (s33): one LEB128,
    # except a typed reference, whose heap type follows.
    if r.data[r.pos : r.pos + 1] in (b"\x63", b"\x64"):
        _valtype(r)
    else:
        r.u()


# Immediates of the instructions of the proposals the engine enables (MVP, sign extension,
# saturating conversions, bulk memory, reference types, multi-value, SIMD, tail calls).
_NONE = frozenset([0x00, 0x01, 0x05, 0x0F, 0x1A, 0x1B, 0xD1, *range(0x45, 0xC5)])
_ONE_U = frozenset(
    [0x0C, 0x0D, 0x10, 0x12, 0x20, 0x21, 0x22, 0x23, 0x24, 0x25, 0x26, 0x3F, 0x40, 0xD2]
)
_TWO_U = frozenset([0x11, 0x13])
_MEMARG = frozenset(range(0x28, 0x3F))
_FC_TWO = frozenset([8, 10, 12, 14])
_FD_MEMARG = frozenset([*range(0, 12), 92, 93])


def nesting(code: bytes) -> int:
    """The deepest block/loop/if nesting of one function's instructions.

    Stops at the first opcode outside the enabled proposals (the validator refuses the module
    anyway) and returns the depth seen so far.
    """
    return walk(code)[0]


def walk(code: bytes, grows: list[tuple[int, int]] | None = None) -> tuple[int, int, bool]:
    """(deepest nesting, depth after the last instruction, whether every byte was decoded).

    A whole valid body ends at depth -1 (its final ``end`` closes the function) and decodes
    completely: the tests check this on real Rust modules to keep the immediates honest.
    ``grows``, if given, receives the (start, end) byte span of every ``memory.grow``
    (grow.py rewrites them).
    """
    r = Reader(code, 0, len(code))
    depth = deepest = 0
    try:
        while r.pos < len(code):
            start = r.pos
            op = r.byte()
            if op in _NONE:
                continue
            if op in _OPENS:
                _blocktype(r)
                depth += 1
                deepest = max(deepest, depth)
            elif op == _END:
                depth -= 1
            elif op in _ONE_U:
                r.u()
                if op == _MEMORY_GROW and grows is not None:
                    grows.append((start, r.pos))
            elif op in _TWO_U:
                r.u()
                r.u()
            elif op in _MEMARG:
                _memarg(r)
            elif op == 0x0E:  # br_table
                for _ in range(r.u() + 1):
                    r.u()
            elif op in (0x41, 0x42):
                r.u()
            elif op == 0x43:
                r.skip(4)
            elif op == 0x44:
                r.skip(8)
            elif op == 0x1C:  # select with types
                for _ in range(r.u()):
                    _valtype(r)
            elif op == 0xD0:  # ref.null heaptype
                r.u()
            elif op == 0xFC:
                _prefixed_fc(r)
            elif op == 0xFD:
                _prefixed_fd(r)
            else:
                raise NotUnderstood
    except NotUnderstood:
        return deepest, depth, False
    return deepest, depth, True


def _prefixed_fc(r: Reader) -> None:
    sub = r.u()
    if sub <= 7:
        return
    if sub > 17:
        raise NotUnderstood
    r.u()
    if sub in _FC_TWO:
        r.u()


def _prefixed_fd(r: Reader) -> None:
    sub = r.u()
    if sub in _FD_MEMARG or 84 <= sub <= 91:
        _memarg(r)
        if 84 <= sub <= 91:
            r.skip(1)  # lane
    elif sub in (12, 13):  # v128.const, i8x16.shuffle
        r.skip(16)
    elif 21 <= sub <= 34:  # extract / replace lane
        r.skip(1)


def _memarg(r: Reader) -> None:
    if r.u() & 0x40:  # alignment flag of multi-memory: a memory index follows
        r.u()
    r.u()  # offset
