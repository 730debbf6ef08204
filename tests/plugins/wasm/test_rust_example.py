"""The Rust and C plugins: reproducible builds, committed .wasm current, same findings as external.

With ``BOMHOST_REQUIRE_RUST=1`` (``make test``, CI) a missing toolchain (Rust, or clang with
wasi-libc: ``make toolchain`` installs both) fails instead of skipping.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import pytest
import wasmtime

from bomhost.plugins.manifest import load_manifest
from bomhost.policy.model import Policy
from tests.plugins.contract import comp
from tests.plugins.wasm.helpers import ROOT, run

EXAMPLE = ROOT / "examples/plugins/banned-packages-wasm"
COMMITTED = EXAMPLE / "banned_packages_wasm.wasm"


def _toolchain_ok() -> bool:
    rust = Path("/usr/bin/cargo").exists() and Path("/usr/lib/rustlib/wasm32-wasi").is_dir()
    c = shutil.which("clang") is not None and Path("/usr/lib/wasm32-wasi/libc.a").exists()
    return rust and c


def committed_wasm() -> dict[str, Path]:
    """Every committed Rust- or C-built .wasm, by file name (the build's ``--out`` layout is flat)."""
    found = [
        *sorted(ROOT.glob("examples/plugins/*/*.wasm")),
        *sorted(ROOT.glob("tests/assets/rust/*/*.wasm")),
        *sorted(ROOT.glob("tests/assets/c/*/*.wasm")),
    ]
    # First-party plugins built from plugins/<name>/ live next to their manifest.
    for crate in sorted(ROOT.glob("plugins/*/Cargo.toml")):
        name = crate.parent.name
        found.append(ROOT / "bomhost/builtins" / name / f"{name.replace('-', '_')}.wasm")
    return {p.name: p for p in found}


@pytest.mark.rust
@pytest.mark.timeout(600)  # every crate, builtin:osv and typosquat included: ~2-3 min on 2 cores
def test_committed_wasm_is_the_reproducible_build_of_a_clone(tmp_path: Path) -> None:
    """Build from a copy of the sources at another path: the bytes must equal the committed ones.

    That checks both that every committed .wasm is current and that no path of the checkout
    leaks into a build (the committed files were built in the original checkout).
    """
    if not _toolchain_ok():
        if os.environ.get("BOMHOST_REQUIRE_RUST") == "1":
            pytest.fail("Rust wasm32-wasi toolchain missing: run 'make toolchain'")
        pytest.skip("Rust wasm32-wasi toolchain missing (make toolchain)")
    clone = tmp_path / "elsewhere" / "bomhost-clone"
    skip = shutil.ignore_patterns("*.wasm", "target")
    shutil.copytree(ROOT / "scripts", clone / "scripts")
    shutil.copytree(ROOT / "examples/plugins", clone / "examples/plugins", ignore=skip)
    shutil.copytree(ROOT / "tests/assets/rust", clone / "tests/assets/rust", ignore=skip)
    shutil.copytree(ROOT / "tests/assets/c", clone / "tests/assets/c", ignore=skip)
    shutil.copytree(ROOT / "plugins", clone / "plugins", ignore=skip)
    out = tmp_path / "out"
    subprocess.run(
        ["bash", str(clone / "scripts/build-plugins.sh"), "--out", str(out)],
        check=True,
        capture_output=True,
        timeout=600,  # builtin:osv (miniz_oxide, semver, opt-level 3) takes minutes on 2 cores
    )
    committed = committed_wasm()
    rebuilt = {p.name: p for p in out.glob("*.wasm")}
    assert sorted(rebuilt) == sorted(committed), "a crate is not built, or a .wasm is stray"
    assert {"banned_packages_wasm.wasm", "contract_plugin.wasm", "banned_packages_c.wasm"} < set(
        rebuilt
    )
    assert "contract_plugin_c.wasm" in rebuilt
    stale = [n for n in sorted(rebuilt) if rebuilt[n].read_bytes() != committed[n].read_bytes()]
    assert stale == [], "run 'make plugins' and commit the .wasm"


def test_default_policy_example_imports_no_host_function() -> None:
    """wasm-ld keeps only the host functions a plugin calls: the SDK's read_file wrapper must
    not make the no-I/O example import it (it would then be refused by the default policy)."""
    engine = wasmtime.Engine()
    c_twin = ROOT / "examples/plugins/banned-packages-c/banned_packages_c.wasm"
    for plain_path in (COMMITTED, c_twin):
        plain = wasmtime.Module.from_file(engine, str(plain_path))
        names = {f"{i.module}.{i.name}" for i in plain.imports}
        assert names <= set(Policy().imports.allow)
        assert not any(n.startswith("bomdrift.") for n in names)
    reader = ROOT / "examples/plugins/banned-packages-file-wasm/banned_packages_file_wasm.wasm"
    reads = {f"{i.module}.{i.name}" for i in wasmtime.Module.from_file(engine, str(reader)).imports}
    assert {n for n in reads if n.startswith("bomdrift.")} == {"bomdrift.read_file"}


@pytest.mark.parametrize("twin", ["banned-packages-wasm", "banned-packages-c"])
def test_wasm_and_external_examples_agree(twin: str) -> None:
    """The Python example and each WASM twin (Rust, C) give the same findings."""
    from bomhost.model import ChangeSet, VersionChange

    external = load_manifest(ROOT / "examples/plugins/banned-packages/plugin.toml")
    wasm = load_manifest(ROOT / f"examples/plugins/{twin}/plugin.toml")
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
