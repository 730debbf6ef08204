"""Whether the WASM toolchains are here; with BOMHOST_REQUIRE_RUST=1 (make test) a missing one fails."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest


def require(lang: str) -> None:
    """Skip (or fail under ``make test``) when ``lang``'s offline toolchain is missing."""
    if lang == "rust":
        ok = Path("/usr/bin/cargo").exists() and Path("/usr/lib/rustlib/wasm32-wasi").is_dir()
    elif lang == "c":
        ok = shutil.which("clang") is not None and Path("/usr/lib/wasm32-wasi/libc.a").exists()
    else:
        ok = True
    if ok:
        return
    if os.environ.get("BOMHOST_REQUIRE_RUST") == "1":
        pytest.fail(f"{lang} wasm32-wasi toolchain missing: run 'make toolchain'")
    pytest.skip(f"{lang} wasm32-wasi toolchain missing (make toolchain)")
