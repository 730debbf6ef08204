"""Helpers for WASM tests: manifests for the WAT modules in tests/assets/wat, and policies."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from bomhost import __version__
from bomhost.model import ChangeSet
from bomhost.plugins.interface import RunContext
from bomhost.plugins.manifest import LoadedManifest
from bomhost.plugins.outcome import PluginOutcome
from bomhost.plugins.runner import run_plugins
from bomhost.policy.model import Budgets, Policy
from tests.plugins.contract import NOW_MS
from tests.plugins.util import manifest

WAT = Path(__file__).resolve().parents[2] / "assets" / "wat"
ROOT = Path(__file__).resolve().parents[3]


def wat(tmp_path: Path, stem: str, **fields: Any) -> LoadedManifest:
    """A manifest named ``stem`` for ``tests/assets/wat/<stem>.wat``."""
    return manifest(tmp_path, WAT / f"{stem}.wat", name=stem, **fields)


def policy(**budgets: int) -> Policy:
    return Policy(budgets=Budgets(**budgets))


def context(pol: Policy | None = None, jobs: int = 1) -> RunContext:
    return RunContext(bomhost_version=__version__, now_ms=NOW_MS, policy=pol or Policy(), jobs=jobs)


def run(
    plugins: list[LoadedManifest], changes: ChangeSet, pol: Policy | None = None, jobs: int = 1
) -> PluginOutcome:
    return run_plugins(plugins, changes, context(pol, jobs), jobs=jobs)
