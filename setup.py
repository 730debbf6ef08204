"""Build hook: the wheel carries the example plugins and SBOMs as ``bomhost/_examples/``.

Everything else is in pyproject.toml. The examples stay in ``examples/`` (one copy in the
repository, next to their Rust sources); at wheel build time the files a run needs are copied
into the package: each example plugin's ``plugin.toml``, ``policy.toml``, module (``*.wasm``),
script (``*.py``), data (``*.txt``) and README, and ``examples/sboms``. ``bomhost.demo`` finds
them there, or in the checkout when installed in editable mode (nothing is copied then).
"""

from __future__ import annotations

import shutil
from pathlib import Path

from setuptools import setup
from setuptools.command.build_py import build_py

HERE = Path(__file__).resolve().parent
SHIPPED = ("plugin.toml", "policy.toml", "*.wasm", "*.py", "*.txt", "README.md")


def example_files() -> list[tuple[Path, str]]:
    """(source, path under bomhost/_examples/) for every file the wheel carries."""
    out: list[tuple[Path, str]] = []
    for plugin in sorted((HERE / "examples/plugins").glob("*/plugin.toml")):
        folder = plugin.parent
        for pattern in SHIPPED:
            for f in sorted(folder.glob(pattern)):
                out.append((f, f"plugins/{folder.name}/{f.name}"))
    for f in sorted((HERE / "examples/sboms").glob("*")):
        if f.is_file():
            out.append((f, f"sboms/{f.name}"))
    return out


class BuildPyWithExamples(build_py):
    """``build_py``, then the examples into the build tree (modes kept: scripts stay executable)."""

    def run(self) -> None:
        super().run()
        if getattr(self, "editable_mode", False):
            return  # editable: bomhost.demo reads the checkout's examples/
        dest = Path(self.build_lib) / "bomhost" / "_examples"
        for src, rel in example_files():
            target = dest / rel
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(src, target)


setup(cmdclass={"build_py": BuildPyWithExamples})
