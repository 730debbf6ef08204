"""Plugin manifests: bomdrift's TOML schema, loaded unchanged, plus bomhost's optional fields.

A bomdrift manifest (``name``, ``description``, ``exec``, ``timeout_ms``, ``invoke_on``) loads
exactly as written: every bomhost field is optional. Unknown keys warn instead of being ignored
silently, because a typo such as ``timeout = 100`` otherwise quietly means 5000 ms.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from bomhost.errors import ManifestError, PluginLoadError
from bomhost.model import Event
from bomhost.tomlfile import first_error, read_toml

V1_EVENTS: frozenset[str] = frozenset({"added", "version-changed"})
# Components per batch call: OSV's querybatch takes 1,000 queries, so a chunk maps to one POST.
MAX_BATCH = 1000


class PluginManifest(BaseModel):
    """The ``[plugin]`` table. Field docs are copied into the generated JSON Schema."""

    model_config = ConfigDict(frozen=True, extra="forbid", populate_by_name=True)

    # strict: bomdrift's serde/toml rejects ``timeout_ms = "5000"``, ``5000.0`` or ``true``
    # (which pydantic's lax mode would read as 5000, 5000 and 1 ms), and ``name = 1``.
    name: str = Field(min_length=1, strict=True, description="Plugin name, used in reports.")
    description: str | None = Field(default=None, strict=True, description="Free text.")
    exec: str = Field(
        min_length=1,
        strict=True,
        description="Executable (external) or .wasm/.wat module, relative to the manifest's folder.",
    )
    timeout_ms: int = Field(
        default=5000,
        gt=0,
        strict=True,
        description="Per-call wall-clock limit; 0 is an error (as bomdrift).",
    )
    invoke_on: tuple[Event, ...] = Field(
        default=("added", "version-changed"),
        description="Events that call the plugin; protocol 1 allows added and version-changed.",
    )
    protocol_version: Literal[1, 2] | None = Field(
        default=None, description="1 (bomdrift, default for external) or 2 (default for wasm)."
    )
    type: Literal["external", "wasm"] | None = Field(
        default=None, description="Runtime; default wasm when exec ends in .wasm/.wat."
    )
    ecosystems: tuple[str, ...] | None = Field(
        default=None, description="Only send components of these ecosystems (e.g. npm, pypi)."
    )
    sha256: str | None = Field(
        default=None,
        pattern=r"^[0-9a-fA-F]{64}$",
        description="Pin of the exec file's SHA-256; a mismatch refuses to run the plugin.",
    )
    mode: Literal["per-call", "persistent"] = Field(
        default="per-call",
        description="External only: persistent keeps one process for the run (protocol 2, JSON Lines).",
    )
    env: Literal["inherit", "clean"] = Field(
        default="inherit", description="External only: inherit the environment, or start clean."
    )
    env_allow: tuple[str, ...] = Field(
        default=(), description='External only: variables kept when env = "clean".'
    )
    config: dict[str, Any] = Field(
        default_factory=dict, description="[plugin.config]: handed to protocol-2 plugins as-is."
    )
    invoke: Literal["per-component", "batch"] = Field(
        default="per-component",
        description="Protocol 2: batch sends every matching component in one call per chunk.",
    )
    batch_size: int = Field(
        default=MAX_BATCH,
        ge=1,
        le=MAX_BATCH,
        strict=True,
        description="Components per batch call (1..1000); budgets scale with it.",
    )

    @property
    def runtime(self) -> Literal["external", "wasm"]:
        """The runtime this manifest asks for, explicit or derived from ``exec``."""
        if self.type is not None:
            return self.type
        return "wasm" if self.exec.endswith((".wasm", ".wat")) else "external"

    @property
    def protocol(self) -> Literal[1, 2]:
        """The protocol version in force: explicit, else 2 for WASM and 1 for external."""
        if self.protocol_version is not None:
            return self.protocol_version
        return 2 if self.runtime == "wasm" else 1

    @model_validator(mode="after")
    def _consistent(self) -> PluginManifest:
        if self.protocol == 1:
            extra = sorted(set(self.invoke_on) - V1_EVENTS)
            if extra:
                raise ValueError(
                    f"invoke_on {extra} needs protocol_version = 2 (protocol 1 allows added, version-changed)"
                )
        if self.runtime == "wasm" and self.protocol != 2:
            raise ValueError("WASM plugins speak protocol_version 2")
        if self.mode == "persistent" and (self.runtime != "external" or self.protocol != 2):
            raise ValueError(
                'mode = "persistent" needs an external plugin with protocol_version = 2'
            )
        if self.invoke == "batch" and self.protocol != 2:
            raise ValueError('invoke = "batch" needs protocol_version = 2')
        return self


@dataclass(frozen=True)
class LoadedManifest:
    """A validated manifest plus where it came from; what the runtimes receive."""

    manifest: PluginManifest
    path: Path
    exec_path: Path
    warnings: tuple[str, ...] = ()

    @property
    def name(self) -> str:
        return self.manifest.name

    def read_exec_verified(self) -> bytes:
        """The exec file's bytes, after checking the optional sha256 pin."""
        try:
            data = self.exec_path.read_bytes()
        except OSError as exc:
            raise PluginLoadError(
                f"plugin {self.name!r}: cannot read {self.exec_path}: {exc.strerror or exc}"
            ) from exc
        self._check_pin(data)
        return data

    def verify_pin(self) -> None:
        """Refuse to run a pinned exec whose SHA-256 differs (no-op without a pin)."""
        if self.manifest.sha256 is not None:
            self.read_exec_verified()

    def _check_pin(self, data: bytes) -> None:
        pin = self.manifest.sha256
        if pin is None:
            return
        actual = hashlib.sha256(data).hexdigest()
        if actual != pin.lower():
            raise PluginLoadError(
                f"plugin {self.name!r}: sha256 of {self.exec_path} is {actual}, manifest pins {pin.lower()}"
            )


def load_manifest(path: str | Path) -> LoadedManifest:
    """Load and validate a manifest; raise ``ManifestError`` with one line naming the file."""
    p = Path(path)
    raw = read_toml(p, "manifest", ManifestError)

    table = raw.get("plugin")
    if not isinstance(table, dict):
        raise ManifestError(f"{p}: missing [plugin] table")
    known = set(PluginManifest.model_fields)
    unknown = sorted(k for k in table if k not in known)
    warnings = tuple(
        f"{p}: unknown key plugin.{k} ignored (bomdrift would ignore it silently)" for k in unknown
    )
    warnings += tuple(f"{p}: unknown table [{k}] ignored" for k in sorted(raw) if k != "plugin")
    try:
        manifest = PluginManifest.model_validate({k: v for k, v in table.items() if k in known})
    except ValidationError as exc:
        raise ManifestError(f"{p}: {first_error(exc)}") from exc
    # absolute(), not resolve(): bomdrift runs the joined path as written, and a symlinked exec
    # (a multi-call binary, a wrapper that reads $0) must see the name it was given.
    exec_path = (p.parent / Path(manifest.exec)).absolute()
    return LoadedManifest(manifest=manifest, path=p, exec_path=exec_path, warnings=warnings)
