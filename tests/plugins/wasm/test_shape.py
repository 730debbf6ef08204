"""Module-shape limits (bomhost/plugins/wasm/shape.py): refused by name before compiling.

Modules are generated here, as WAT text or as bytes, one past each limit; the well-formed Rust
modules of the repository pass, and the nesting decoder reads every one of their bodies whole.
"""

from __future__ import annotations

import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import wasmtime

from bomhost.errors import PluginLoadError
from bomhost.plugins.wasm import shape
from tests.plugins.contract import added
from tests.plugins.test_cli import BOMHOST, cdx
from tests.plugins.util import manifest
from tests.plugins.wasm.helpers import ROOT, run, wat

RUST_MODULES = sorted(
    [*ROOT.glob("tests/assets/rust/**/*.wasm"), *ROOT.glob("bomhost/builtins/*/*.wasm")]
)


def leb(n: int) -> bytes:
    out = bytearray()
    while True:
        byte, n = n & 0x7F, n >> 7
        out.append(byte | (0x80 if n else 0))
        if not n:
            return bytes(out)


def section(sid: int, payload: bytes) -> bytes:
    return bytes([sid]) + leb(len(payload)) + payload


def module(*sections: bytes) -> bytes:
    return b"\0asm\x01\0\0\0" + b"".join(sections)


def one_function(body: bytes, local_decls: bytes = b"\x00") -> bytes:
    """A valid module with one () -> () function whose code is ``body`` (``end`` appended)."""
    code = local_decls + body + b"\x0b"
    return module(
        section(1, b"\x01\x60\x00\x00"),
        section(3, b"\x01\x00"),
        section(10, b"\x01" + leb(len(code)) + code),
    )


def nested(depth: int) -> bytes:
    return one_function(b"\x02\x40" * depth + b"\x0b" * depth)


def test_nested_blocks_at_the_limit_pass_and_one_more_is_refused() -> None:
    wasmtime.Module(wasmtime.Engine(), nested(shape.MAX_NESTING))  # valid, so the count is real
    shape.check(nested(shape.MAX_NESTING))
    with pytest.raises(shape.ShapeError) as err:
        shape.check(nested(shape.MAX_NESTING + 1))
    assert str(err.value) == (
        "module has 1001 levels of nesting in function body 0,"
        " more than the 1000 a WASM plugin may have"
    )


def test_block_bytes_inside_immediates_are_not_nesting() -> None:
    # 3,000 `i32.const 2` / `i64.const 3` / `i32.const 4` (immediates 0x02, 0x03, 0x04) and a
    # loop in an if: the cheap byte count passes the limit, the decoder finds depth 2.
    body = b"\x41\x02\x1a\x42\x03\x1a\x41\x04\x1a" * 1000
    body += b"\x41\x01\x04\x40\x03\x40\x0b\x0b"
    binary = one_function(body)
    wasmtime.Module(wasmtime.Engine(), binary)
    shape.check(binary)
    assert shape.walk(body + b"\x0b") == (2, -1, True)


@pytest.mark.parametrize(
    ("binary", "message"),
    [
        (
            module(section(3, leb(shape.MAX_FUNCTIONS + 1) + b"\x00" * (shape.MAX_FUNCTIONS + 1))),
            "module has 100001 functions, more than the 100000 a WASM plugin may have",
        ),
        (
            module(section(11, leb(shape.MAX_DATA_SEGMENTS + 1))),
            "module has 100001 data segments, more than the 100000 a WASM plugin may have",
        ),
        (
            one_function(b"", local_decls=b"\x01" + leb(shape.MAX_LOCALS + 1) + b"\x7f"),
            "module has 50001 locals in function body 0, more than the 50000 a WASM plugin may have",
        ),
        (
            one_function(b"\x01" * shape.MAX_BODY_BYTES),
            "module has 4194306 bytes in function body 0,"
            " more than the 4194304 a WASM plugin may have",
        ),
    ],
    ids=["functions", "data_segments", "locals", "body_bytes"],
)
def test_each_count_limit_is_named(binary: bytes, message: str) -> None:
    with pytest.raises(shape.ShapeError) as err:
        shape.check(binary)
    assert str(err.value) == message


def test_imports_past_the_limit_from_wat_text() -> None:
    text = "(module " + '(import "bomdrift" "now_ms" (func (result i64)))' * 10_001 + ")"
    with pytest.raises(shape.ShapeError, match="module has 10001 imports, more than the 10000"):
        shape.check(bytes(wasmtime.wat2wasm(text)))


def test_real_modules_pass_and_decode_whole() -> None:
    assert RUST_MODULES, "the Rust test modules are committed"
    for path in RUST_MODULES:
        binary = path.read_bytes()
        shape.check(binary)
        for code in bodies(binary):
            deepest, end_depth, complete = shape.walk(code)
            assert (end_depth, complete) == (-1, True), path
            assert deepest < 100


def bodies(binary: bytes) -> Iterator[bytes]:
    """Each function body's instructions (after the local declarations), via shape's reader."""
    for sid, section in shape.sections(binary):
        if sid == 10:
            for _, _, body in shape.function_bodies(section):
                shape.declared_locals(body)
                yield binary[body.pos : body.end]


def test_refused_shape_is_a_load_error_before_compiling(tmp_path: Path) -> None:
    # 200,000 empty functions: before the check, a child compiled them until its 10 s deadline.
    big = tmp_path / "many.wat"
    big.write_text("(module " + "(func)" * 200_000 + ")", encoding="utf-8")
    started = time.monotonic()
    with pytest.raises(PluginLoadError) as err:
        run([manifest(tmp_path, big, name="many"), wat(tmp_path, "good")], added("a"))
    assert time.monotonic() - started < 5
    assert str(err.value) == (
        f"plugin 'many': {big} was refused: module has 200000 functions, more than the 100000"
        " a WASM plugin may have (a load limit)"
    )


def test_refused_shape_in_a_diff_is_one_line_exit_1(tmp_path: Path) -> None:
    deep = tmp_path / "deep.wasm"
    deep.write_bytes(nested(5_000))
    plugin = manifest(tmp_path, deep, name="deep").path
    sbom = cdx(tmp_path / "old.json", "pkg:npm/a@1.0.0")
    new = cdx(tmp_path / "new.json", "pkg:npm/a@1.0.0", "pkg:npm/b@1.0.0")
    res = subprocess.run(
        [str(BOMHOST), "diff", str(sbom), str(new), "--plugin", str(plugin)],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
        env={"BOMHOST_CACHE_DIR": str(tmp_path / "cache"), "PATH": "/usr/bin:/bin"},
    )
    assert res.returncode == 1
    assert res.stderr.strip().splitlines() == [
        f"bomhost: error: plugin 'deep': {deep} was refused: module has 5000 levels of nesting in"
        " function body 0, more than the 1000 a WASM plugin may have (a load limit)"
    ]
