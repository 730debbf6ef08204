"""Syft JSON reader: ``artifacts[]`` to components, as bomdrift's src/parse/syft.rs does.

Only name, version, type, purl, licences and id are read. Syft keeps digests and authors in
per-package-type ``metadata`` shapes; bomdrift leaves them out and so does this reader (hashes
empty, supplier null), so a Syft side never produces a hash change. Relationship is ``unknown``.
"""

from __future__ import annotations

from typing import Any

from bomhost.errors import SbomContentError
from bomhost.model import Component
from bomhost.sbom.common import make_component, need_obj, opt_list, opt_obj, opt_str, require_name
from bomhost.sbom.interface import SbomDocument

# bomdrift looks for the schema's $id path ("anchore.io/schema/syft"); Syft itself writes the
# schema's download URL (".../anchore/syft/main/schema/json/schema-16.0.18.json"), which
# bomdrift misses. Either marks a Syft document here.
SCHEMA_MARKERS = ("anchore.io/schema/syft", "/anchore/syft/")

# Syft's package types that name an ecosystem differently from the purl type (bomdrift's table);
# used only when an artifact has no purl.
_ECOSYSTEM_BY_SYFT_TYPE: dict[str, str] = {
    "npm": "npm",
    "python": "pypi",
    "rust-crate": "cargo",
    "java-archive": "maven",
    "go-module": "go",
}


def is_syft(doc: dict[str, Any]) -> bool:
    """Syft's marker: a ``schema.url`` naming Syft's schema (see ``SCHEMA_MARKERS``)."""
    schema = doc.get("schema")
    if not isinstance(schema, dict):
        return False
    url = schema.get("url")
    return isinstance(url, str) and any(marker in url for marker in SCHEMA_MARKERS)


def read(doc: dict[str, Any], source: str) -> SbomDocument:
    """Components of a Syft JSON document."""
    schema = opt_obj(doc, "schema", source, "$")
    version = opt_str(schema, "version", source, "schema") if schema else None
    components: list[Component] = []
    skipped = 0
    for i, raw in enumerate(opt_list(doc, "artifacts", source, "$")):
        where = f"artifacts[{i}]"
        artifact = need_obj(raw, source, where)
        name = opt_str(artifact, "name", source, where)
        purl = opt_str(artifact, "purl", source, where)
        if not require_name(name, purl, source, where):
            skipped += 1
            continue
        assert name is not None  # require_name returned True
        syft_type = opt_str(artifact, "type", source, where)
        components.append(
            make_component(
                name=name,
                version=opt_str(artifact, "version", source, where),
                purl=purl,
                type_hint=_ECOSYSTEM_BY_SYFT_TYPE.get(syft_type or "", syft_type),
                licenses=_licenses(artifact, source, where),
                supplier=None,
                hashes=[],
                relationship="unknown",
                source_url=None,
                bom_ref=opt_str(artifact, "id", source, where),
            )
        )
    return SbomDocument(
        path=source,
        format="syft-json",
        spec_version=version or "",
        components=tuple(components),
        skipped=skipped,
    )


def _licenses(artifact: dict[str, Any], source: str, where: str) -> list[str]:
    """Plain strings (Syft < 13) or ``{value, spdxExpression}`` objects, expression first."""
    out: list[str] = []
    for i, item in enumerate(opt_list(artifact, "licenses", source, where)):
        at = f"{where}.licenses[{i}]"
        if isinstance(item, str):
            if item:
                out.append(item)
            continue
        if not isinstance(item, dict):
            raise SbomContentError(source, f"{at}: expected a string or an object")
        value = opt_str(item, "spdxExpression", source, at) or opt_str(item, "value", source, at)
        if value:
            out.append(value)
    return out
