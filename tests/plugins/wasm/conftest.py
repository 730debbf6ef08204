"""Fixtures for WASM tests: a private compiled-module cache per test session."""

from __future__ import annotations

from pathlib import Path

import pytest


@pytest.fixture(autouse=True)
def _private_cache(
    tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch
) -> Path:
    # Shared by the session (compiling once is what makes the suite fast), never the user's.
    cache = tmp_path_factory.getbasetemp() / "wasm-cache"
    monkeypatch.setenv("BOMHOST_CACHE_DIR", str(cache))
    return cache
