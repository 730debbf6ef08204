"""grow.py's rewrite, on the modules bomhost ships and on hand-written edge cases."""

from __future__ import annotations

from pathlib import Path

import pytest
import wasmtime

from bomhost.plugins.wasm import grow, shape
from bomhost.plugins.wasm.engine import _config
from tests.plugins.wasm.test_shape import bodies

ROOT = Path(__file__).resolve().parents[3]
SHIPPED = sorted(
    p for p in ROOT.glob("**/*.wasm") if ".venv" not in p.parts and "target" not in p.parts
)


@pytest.mark.parametrize("path", SHIPPED, ids=[str(p.relative_to(ROOT)) for p in SHIPPED])
def test_every_shipped_module_is_guarded_and_still_valid(path: Path) -> None:
    binary = path.read_bytes()
    guarded = grow.guard(binary)
    assert guarded != binary  # every real plugin's allocator grows memory
    wasmtime.Module.validate(wasmtime.Engine(_config()), guarded)
    module = wasmtime.Module(wasmtime.Engine(_config()), guarded)
    assert grow.REFUSED_EXPORT in [e.name for e in module.exports]
    # No memory.grow is left outside the guard, which is the last function body.
    assert _grows(guarded)[:-1] == [0] * (len(_grows(guarded)) - 1)
    assert _grows(guarded)[-1] == 1


def _grows(binary: bytes) -> list[int]:
    """How many memory.grow each function body holds."""
    counts: list[int] = []
    for code in bodies(binary):
        spans: list[tuple[int, int]] = []
        shape.walk(code, spans)
        counts.append(len(spans))
    return counts


@pytest.mark.parametrize(
    "wat",
    [
        "(module)",
        "(module (memory 1) (func (drop (memory.size))))",
        "(module (func (result i32) (i32.const 0)))",
    ],
)
def test_modules_without_memory_grow_are_unchanged(wat: str) -> None:
    binary = bytes(wasmtime.wat2wasm(wat))
    assert grow.guard(binary) == binary


def test_sections_the_module_lacks_are_added_in_order() -> None:
    # No global, export or type section of its own beyond the function's; imports shift the
    # function index space, which the guard's index must account for.
    binary = bytes(
        wasmtime.wat2wasm(
            '(module (import "m" "f" (func)) (import "m" "g" (global i32)) (memory 1)'
            " (func (drop (memory.grow (i32.const 1)))) (start 1))"
        )
    )
    guarded = grow.guard(binary)
    engine = wasmtime.Engine()
    module = wasmtime.Module(engine, guarded)
    assert [e.name for e in module.exports] == [grow.REFUSED_EXPORT]


def test_unknown_bytes_leave_the_module_to_the_validator() -> None:
    assert grow.guard(b"\0asm\x01\0\0\0\x0a\xff") == b"\0asm\x01\0\0\0\x0a\xff"
    assert grow.guard(b"not wasm") == b"not wasm"
