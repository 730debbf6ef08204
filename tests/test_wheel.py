"""The wheel carries the example plugins and SBOMs, so ``pip install`` alone runs ``bomhost demo``.

Builds the sdist and, from it, the wheel (``python -m build``, as a release does: a file the
sdist forgets is missing from the wheel too), then runs ``bomhost demo`` from the unpacked wheel
with the checkout out of reach (``python -S``: no editable-install hook; only the wheel and the
dependencies on the path).
"""

from __future__ import annotations

import json
import os
import shutil
import stat
import subprocess
import sys
import sysconfig
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def wheel(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The wheel built from a copy of the checkout's files (tracked and new, not ignored)."""
    tmp = tmp_path_factory.mktemp("wheel")
    listed = subprocess.run(
        ["git", "ls-files", "-z", "--cached", "--others", "--exclude-standard"],
        cwd=ROOT, capture_output=True, check=True, timeout=60,
    ).stdout.decode().split("\0")  # fmt: skip
    src = tmp / "src"
    for rel in filter(None, listed):
        if (ROOT / rel).is_file():
            (src / rel).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(ROOT / rel, src / rel)
    proc = subprocess.run(
        [sys.executable, "-m", "build", "--outdir", str(tmp / "dist"), str(src)],
        capture_output=True, text=True, timeout=600, check=False,
    )  # fmt: skip
    assert proc.returncode == 0, proc.stdout[-2000:] + proc.stderr[-2000:]
    [built] = (tmp / "dist").glob("*.whl")
    return built


def test_the_wheel_lists_every_example_plugin_and_the_sboms(wheel: Path) -> None:
    with zipfile.ZipFile(wheel) as z:
        modes = {i.filename: i.external_attr >> 16 for i in z.infolist()}
    shipped = {n.removeprefix("bomhost/_examples/") for n in modes if "/_examples/" in n}
    plugins = sorted(p.parent.name for p in (ROOT / "examples/plugins").glob("*/plugin.toml"))
    assert {"banned-packages", "banned-packages-wasm", "registry-lookup-wasm"} <= set(plugins)
    for name in plugins:
        folder = ROOT / "examples/plugins" / name
        want = {f"plugins/{name}/{f.name}" for f in folder.iterdir() if f.suffix in (".wasm",)}
        want |= {
            f"plugins/{name}/{f}" for f in ("plugin.toml", "policy.toml") if (folder / f).exists()
        }
        assert want <= shipped, name
    assert {"sboms/old.cdx.json", "sboms/new.cdx.json"} <= shipped
    assert "plugins/banned-packages/check-banned.py" in shipped
    assert "plugins/banned-packages/banned.txt" in shipped
    # Not the Rust sources, nor the SDK: only what runs.
    assert not [n for n in shipped if n.endswith((".rs", "Cargo.toml", "Cargo.lock"))]
    assert not [n for n in shipped if "bomhost-plugin-sdk" in n]
    script = modes["bomhost/_examples/plugins/banned-packages/check-banned.py"]
    assert script & stat.S_IXUSR, "the external example must stay executable"


def test_the_demo_runs_from_the_installed_wheel_alone(wheel: Path, tmp_path: Path) -> None:
    site = tmp_path / "site"
    with zipfile.ZipFile(wheel) as z:
        z.extractall(site)
        for info in z.infolist():  # zipfile drops modes; pip keeps them
            mode = info.external_attr >> 16
            if mode & 0o111:
                (site / info.filename).chmod(mode & 0o777)
    deps = sysconfig.get_paths()["purelib"]
    env = {
        **os.environ,
        "PYTHONPATH": os.pathsep.join([str(site), deps]),
        "BOMHOST_CACHE_DIR": str(tmp_path / "cache"),
    }
    proc = subprocess.run(
        [sys.executable, "-S", "-m", "bomhost", "demo", "--output", "json"],
        capture_output=True, text=True, cwd=tmp_path, env=env, timeout=120, check=False,
    )  # fmt: skip
    assert proc.returncode == 0, proc.stderr
    assert f"{site}/bomhost/_examples/sboms/old.cdx.json" in proc.stderr  # not the checkout's
    report = json.loads(proc.stdout)
    found = {(f["plugin_name"], f["kind"]) for f in report["enrichment"]["plugin_findings"]}
    assert found == {("banned-packages", "banned"), ("banned-packages-wasm", "banned")}
    assert report["enrichment"]["plugin_errors"] == []
