"""The runtime contract (tests/plugins/contract.py) run against external plugins, both modes."""

from __future__ import annotations

from pathlib import Path

from bomhost.plugins.manifest import LoadedManifest
from tests.plugins.contract import BatchContract, RuntimeContract
from tests.plugins.util import install, manifest


class TestPerCallContract(RuntimeContract):
    def plugin(self, tmp_path: Path, timeout_ms: int) -> LoadedManifest:
        return manifest(tmp_path, install(tmp_path, "behave.py"), timeout_ms=timeout_ms)


class TestPersistentContract(RuntimeContract):
    def plugin(self, tmp_path: Path, timeout_ms: int) -> LoadedManifest:
        return manifest(
            tmp_path,
            install(tmp_path, "behave_lines.py"),
            name="behave-lines",
            timeout_ms=timeout_ms,
            protocol_version=2,
            mode="persistent",
        )


class TestPerCallBatchContract(BatchContract, TestPerCallContract):
    """Every contract case through the batch protocol, one process per chunk."""


class TestPersistentBatchContract(BatchContract, TestPersistentContract):
    """Every contract case through the batch protocol, one JSON line per chunk."""
