"""The shared vocabulary: components, the change set, findings and plugin failures.

Every SBOM reader produces ``Component``s, the diff produces a ``ChangeSet``, every plugin
runtime produces ``Finding``s and ``PluginError``s, and every report renders them. Field names
and order follow bomdrift's serde output so that the JSON report and the plugin envelope are
byte-compatible with what bomdrift's users and plugins already parse.
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

Relationship = Literal["direct", "transitive", "unknown"]
Severity = Literal["info", "warning", "error"]
Direction = Literal["upgrade", "downgrade", "unknown"]
Event = Literal["added", "version-changed", "removed", "license-changed"]
ErrorKind = Literal[
    # external and wasm alike
    "spawn_failed",
    "exit_status",
    "timeout",
    "bad_output",
    "output_too_large",
    # protocol 2: the plugin answered, with an ``error`` saying what it could not do
    "plugin_reported",
    # wasm sandbox only
    "out_of_fuel",
    "memory_limit",
    "trap",
]
Decision = Literal["allow", "deny"]

SEVERITY_RANK: dict[str, int] = {"info": 0, "warning": 1, "error": 2}


class _Frozen(BaseModel):
    """Immutable, strict-shaped base: these objects cross threads and are used as dict values."""

    model_config = ConfigDict(frozen=True, extra="forbid")


class Hash(_Frozen):
    """One digest of a component; ``alg`` is ``sha1|sha256|sha512|md5`` or the raw name."""

    alg: str
    value: str


class Component(_Frozen):
    """A package as bomdrift models it (same field names and order, same JSON)."""

    name: str
    version: str = ""
    ecosystem: str
    purl: str | None = None
    licenses: tuple[str, ...] = ()
    supplier: str | None = None
    hashes: tuple[Hash, ...] = ()
    relationship: Relationship = "unknown"
    source_url: str | None = None
    bom_ref: str | None = None

    @property
    def display_id(self) -> str:
        """What reports call this component: the purl, else the name (bomdrift's rule)."""
        return self.purl or self.name


class VersionChange(_Frozen):
    """A component whose version moved, with the direction bomdrift does not report."""

    before: Component
    after: Component
    direction: Direction = "unknown"


class LicenseChange(_Frozen):
    """Same version, different licence set."""

    before: Component
    after: Component


class HashChange(_Frozen):
    """Same version, a digest of the same algorithm differs: a classic tampering signal."""

    before: Component
    after: Component
    algorithms: tuple[str, ...]


class ChangeSet(_Frozen):
    """What changed between two SBOMs; every list is in a deterministic order."""

    added: tuple[Component, ...] = ()
    removed: tuple[Component, ...] = ()
    version_changed: tuple[VersionChange, ...] = ()
    license_changed: tuple[LicenseChange, ...] = ()
    hash_changed: tuple[HashChange, ...] = ()

    @property
    def is_empty(self) -> bool:
        return not (
            self.added
            or self.removed
            or self.version_changed
            or self.license_changed
            or self.hash_changed
        )


class Finding(_Frozen):
    """One plugin finding, exactly the shape of bomdrift's ``plugin_findings[]`` entries."""

    plugin_name: str
    component_purl: str
    kind: str
    message: str
    severity: Severity
    rule_id: str
    # Protocol 2: structured detail (a vulnerability's aliases and scores, a typosquat's
    # nearest popular name). bomdrift's plugin_findings has no such field, so the JSON report
    # writes it only when a plugin sent it; reports built from it (enrichment.vulns, ...) read
    # it by ``kind``.
    data: dict[str, Any] | None = None


class PluginError(_Frozen):
    """One failed plugin call, recorded instead of dropped (bomdrift drops it silently)."""

    plugin_name: str
    component_purl: str
    error_kind: ErrorKind
    message: str


class SandboxEvent(_Frozen):
    """One allow/deny decision of the sandbox, with the rule that made it and the numbers."""

    plugin_name: str
    component_purl: str
    decision: Decision
    rule_id: str
    reason_code: str
    context: dict[str, Any] = Field(default_factory=dict)
