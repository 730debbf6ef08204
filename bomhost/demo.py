"""Where the example plugins and SBOMs are, so ``bomhost demo`` runs from a plain ``pip install``.

In a checkout they are ``examples/`` (the sources: manifests, Rust crates, committed modules).
A wheel carries a copy of what runs, without the Rust sources, as ``bomhost/_examples/`` (made
by ``setup.py``'s ``build_py``): every example plugin's manifest, module or script, policy and
data files, and the example SBOMs. Nothing here imports the plugin machinery: the demo is an
ordinary ``bomhost diff`` of those files.
"""

from __future__ import annotations

from pathlib import Path

BUNDLED = Path(__file__).resolve().parent / "_examples"
CHECKOUT = Path(__file__).resolve().parent.parent / "examples"
# What ``make demo`` runs: one external (protocol 1) and one WASM plugin, no policy needed.
DEMO_PLUGINS = ("banned-packages", "banned-packages-wasm")


def root() -> Path:
    """The bundled copy when installed from a wheel, else the checkout's examples/."""
    return BUNDLED if BUNDLED.is_dir() else CHECKOUT


def plugins() -> dict[str, Path]:
    """Every example plugin's manifest, by folder name, sorted."""
    return {p.parent.name: p for p in sorted((root() / "plugins").glob("*/plugin.toml"))}


def diff_args(output: str | None) -> list[str]:
    """``bomhost diff`` arguments of the demo: the example SBOMs and ``DEMO_PLUGINS``."""
    base = root()
    args = ["diff", str(base / "sboms/old.cdx.json"), str(base / "sboms/new.cdx.json")]
    for name in DEMO_PLUGINS:
        args += ["--plugin", str(base / "plugins" / name / "plugin.toml")]
    # Offline: the demo shows the example plugins on bundled files, so the first-party signals
    # that need the network (OSV, registry, maintainer age) are not run (docs/usage.md).
    return [*args, "--offline", "--output", output or "terminal"]
