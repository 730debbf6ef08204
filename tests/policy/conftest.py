"""Fixtures for the policy tests: a real HTTP server on 127.0.0.1 and policy files in tmp dirs."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from bomhost.policy.load import load_policy
from bomhost.policy.model import Policy
from tests.http_server import BIG, Server, serve

__all__ = ["BIG", "Server", "server", "write_policy"]


@pytest.fixture
def server() -> Iterator[Server]:
    with serve() as state:
        yield state


def write_policy(folder: Path, text: str, name: str = "policy.toml") -> Policy:
    """Write a policy file into ``folder`` and load it the way the CLI does."""
    path = folder / name
    path.write_text(text, encoding="utf-8")
    return load_policy(path)
