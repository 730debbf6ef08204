"""The Rust example plugin: reproducible build, committed .wasm current, same findings as external.

With ``BOMHOST_REQUIRE_RUST=1`` (``make test``, CI) a missing toolchain fails instead of skipping.
"""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pytest

from bomhost.plugins.manifest import load_manifest
from tests.plugins.contract import comp
from tests.plugins.wasm.helpers import ROOT, run

EXAMPLE = ROOT / "examples/plugins/banned-packages-wasm"
COMMITTED = EXAMPLE / "banned_packages_wasm.wasm"


def _toolchain_ok() -> bool:
    return Path("/usr/bin/cargo").exists() and Path("/usr/lib/rustlib/wasm32-wasi").is_dir()


@pytest.mark.rust
def test_committed_wasm_is_the_reproducible_build(tmp_path: Path) -> None:
    if not _toolchain_ok():
        if os.environ.get("BOMHOST_REQUIRE_RUST") == "1":
            pytest.fail("Rust wasm32-wasi toolchain missing: run 'make toolchain'")
        pytest.skip("Rust wasm32-wasi toolchain missing (make toolchain)")
    subprocess.run(
        ["bash", str(ROOT / "scripts/build-plugins.sh"), "--out", str(tmp_path)],
        check=True,
        capture_output=True,
        timeout=300,
    )
    rebuilt = (tmp_path / COMMITTED.name).read_bytes()
    assert rebuilt == COMMITTED.read_bytes(), "run 'make plugins' and commit the .wasm"


def test_wasm_and_external_examples_agree() -> None:
    from bomhost.model import ChangeSet, VersionChange

    external = load_manifest(ROOT / "examples/plugins/banned-packages/plugin.toml")
    wasm = load_manifest(ROOT / "examples/plugins/banned-packages-wasm/plugin.toml")
    changes = ChangeSet(
        added=(
            comp("left-pad"),
            comp("flatmap-stream", "0.1.1"),
            comp("event-stream", "3.3.6"),
            comp("request", "2.88.0", "pypi"),
            comp("lodash", "4.17.21"),
            comp("left-pad", purl=False),
        ),
        version_changed=(
            VersionChange(
                before=comp("event-stream", "3.3.5"), after=comp("event-stream", "3.3.6")
            ),
        ),
    )
    a, b = run([external], changes), run([wasm], changes)
    assert a.errors == b.errors == ()
    strip = [f.model_dump(exclude={"plugin_name"}) for f in a.findings]
    assert strip == [f.model_dump(exclude={"plugin_name"}) for f in b.findings]
    assert len(strip) == 5
