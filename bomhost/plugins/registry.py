"""The runtime registry: manifest ``type`` -> the module that runs it (one line per runtime).

The WASM runtime is imported only when a WASM plugin is used, so ``bomhost --version`` and
runs with external plugins only never import wasmtime.
"""

from __future__ import annotations

from typing import Literal

from bomhost.plugins.interface import Runtime


def _external() -> Runtime:
    from bomhost.plugins.external import ExternalRuntime

    return ExternalRuntime()


def _wasm() -> Runtime:
    from bomhost.plugins.wasm.runtime import WasmRuntime

    return WasmRuntime()


_FACTORIES = {"external": _external, "wasm": _wasm}


def runtime_for(kind: Literal["external", "wasm"]) -> Runtime:
    """A fresh runtime for ``kind``; a runtime holds per-run state (engines, caches)."""
    return _FACTORIES[kind]()
