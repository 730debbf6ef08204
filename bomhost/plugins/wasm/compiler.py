"""Compiling a module in a child process, bounded in time and memory like a call.

Parsing, validating and compiling run in wasmtime's native code, where no epoch deadline or
fuel reaches: a 5.9 MB module of 990,000 empty functions took 109 s and 5.8 GB to load, in the
bomhost process, while every other plugin waited. So a module that is not in the cache is
compiled by a child Python running ``main`` below, under ``RLIMIT_AS`` and a deadline; the
child writes the serialized module (what the cache stores) to stdout, and the parent only
deserializes it. A child that runs out of time or memory is killed and the load fails with
``CompileError`` naming the limit.

Before compiling, the child converts text to binary and refuses module shapes past the limits
of ``shape.py`` (functions, imports, data segments, locals, body size, nesting), naming the
limit: a cheap scan of the binary, inside the same time and memory bounds.

Protocol: stdin is one byte (``t`` for .wat text, ``b`` for .wasm) then the source; stdout is
the serialized module; exit 2 with the reason on stderr when the module is invalid, exit 4
when it passes a shape limit.
"""

from __future__ import annotations

import resource
import sys
from pathlib import Path

# Limits of one compile (docs/threat-model.md). A real Rust plugin (0.1-5 MiB) compiles in
# well under a second and a few hundred MiB.
COMPILE_TIMEOUT_S = 10.0
COMPILE_MEMORY_BYTES = 1 << 30


_PACKAGE_ROOT = str(Path(__file__).resolve().parents[3])
_CHILD = "import sys; sys.path.insert(0, sys.argv[1]); from bomhost.plugins.wasm.compiler import main; main()"


class CompileError(Exception):
    """The module is invalid, or compiling it went past a limit; ``str`` is one line."""


class CompileLimitError(CompileError):
    """Compiling went past the time or memory limit of a load, or a module-shape limit."""


_EXIT_INVALID = 2
_EXIT_SHAPE = 4


def _limit_memory() -> None:  # runs in the child, between fork and exec
    resource.setrlimit(resource.RLIMIT_AS, (COMPILE_MEMORY_BYTES, COMPILE_MEMORY_BYTES))


def compile_serialized(source: bytes, *, text: bool) -> bytes:
    """The serialized module for ``source``, compiled in a bounded child process."""
    import subprocess  # only on a compile-cache miss: a cached run never needs it

    try:
        proc = subprocess.run(
            # -I: no cwd, PYTHONPATH or user site on the path (a checkout being diffed must not
            # shadow bomhost); this bomhost's own location is passed instead.
            [sys.executable, "-I", "-c", _CHILD, _PACKAGE_ROOT],
            input=(b"t" if text else b"b") + source,
            capture_output=True,
            timeout=COMPILE_TIMEOUT_S,
            preexec_fn=_limit_memory,
            check=False,
        )
    except subprocess.TimeoutExpired as exc:
        raise CompileLimitError(
            f"compiling took longer than {COMPILE_TIMEOUT_S:g} s (the load limit); killed"
        ) from exc
    if proc.returncode == 0:
        return proc.stdout
    reason = proc.stderr.decode("utf-8", "replace").strip().splitlines()
    if proc.returncode == _EXIT_INVALID and reason:
        raise CompileError(reason[-1])
    if proc.returncode == _EXIT_SHAPE and reason:
        raise CompileLimitError(reason[-1])
    raise CompileLimitError(
        f"compiling failed (exit {proc.returncode}), most likely past the"
        f" {COMPILE_MEMORY_BYTES >> 20} MiB memory limit of a load"
        + (f": {reason[-1]}" if reason else "")
    )


def main() -> None:
    """The child: compile what stdin holds with the sandbox's engine config."""
    import wasmtime

    from bomhost.plugins.wasm import shape
    from bomhost.plugins.wasm.engine import _config
    from bomhost.plugins.wasm.runtime import _why as why

    data = sys.stdin.buffer.read()
    kind, source = data[:1], data[1:]
    try:
        binary = bytes(wasmtime.wat2wasm(source.decode("utf-8"))) if kind == b"t" else source
        shape.check(binary)
        engine = wasmtime.Engine(_config())
        blob = bytes(wasmtime.Module(engine, binary).serialize())
    except shape.ShapeError as exc:
        sys.stderr.write(f"{exc} (a load limit)\n")
        sys.exit(_EXIT_SHAPE)
    except (wasmtime.WasmtimeError, UnicodeDecodeError) as exc:
        sys.stderr.write(why(exc) + "\n")
        sys.exit(_EXIT_INVALID)
    except MemoryError:
        sys.stderr.write(f"compiling needed more than {COMPILE_MEMORY_BYTES >> 20} MiB\n")
        sys.exit(3)
    sys.stdout.buffer.write(blob)


if __name__ == "__main__":
    main()
