"""SPDX 2.2/2.3 JSON reader: ``packages[]`` to components.

The root: a package the document DESCRIBES (``documentDescribes`` or a DESCRIBES relationship)
that DEPENDS_ON or CONTAINS another package (or that one is DEPENDENCY_OF / CONTAINED_BY it) is
the document's subject, the counterpart of CycloneDX's ``metadata.component`` and of Syft's
``source``, and is not a component; otherwise the same project would show up as one more
package, and its own release as a "version change", in SPDX but not in CycloneDX. Every other
package is a component; those the root depends on or contains are ``direct``, the rest
``unknown`` (an SPDX graph rarely says enough to call them transitive).

purl: the first ``externalRefs`` entry with ``referenceType`` purl. Licences:
``licenseConcluded`` then ``licenseDeclared``, NOASSERTION/NONE skipped, each value once.
Supplier: without its ``Organization:``/``Person:`` prefix. Hashes: ``checksums``.
"""

from __future__ import annotations

from typing import Any

from bomhost.errors import SbomContentError, SbomFormatError
from bomhost.model import Component, Relationship
from bomhost.sbom.common import (
    hash_list,
    make_component,
    need_obj,
    opt_list,
    opt_str,
    require_name,
    str_fields,
)
from bomhost.sbom.interface import SbomDocument

SPEC_VERSIONS = ("SPDX-2.2", "SPDX-2.3")

_NO_VALUE = frozenset({"NOASSERTION", "NONE", ""})
_FORWARD = frozenset({"DEPENDS_ON", "CONTAINS"})
_BACKWARD = frozenset({"DEPENDENCY_OF", "CONTAINED_BY"})
_VCS_PREFIXES = ("git+", "git://", "hg+", "svn+", "bzr+")
_DOCUMENT = "SPDXRef-DOCUMENT"


def read(doc: dict[str, Any], source: str) -> SbomDocument:
    """Components of an SPDX JSON document."""
    spec = doc.get("spdxVersion")
    if spec not in SPEC_VERSIONS:
        raise SbomFormatError(
            source, f"unsupported spdxVersion {spec!r} (bomhost reads SPDX-2.2 and SPDX-2.3)"
        )
    packages = [
        need_obj(raw, source, f"packages[{i}]")
        for i, raw in enumerate(opt_list(doc, "packages", source, "$"))
    ]
    package_ids = {opt_str(p, "SPDXID", source, f"packages[{i}]") for i, p in enumerate(packages)}
    roots, direct = _graph(doc, source, package_ids)
    components: list[Component] = []
    skipped = 0
    for i, package in enumerate(packages):
        if package.get("SPDXID") in roots:
            continue
        component = _component(package, source, f"packages[{i}]", direct)
        if component is None:
            skipped += 1
        else:
            components.append(component)
    return SbomDocument(
        path=source,
        format="spdx-json",
        spec_version=spec,
        components=tuple(components),
        skipped=skipped,
    )


def _component(
    package: dict[str, Any], source: str, where: str, direct: frozenset[str]
) -> Component | None:
    name = opt_str(package, "name", source, where)
    purl = _purl(package, source, where)
    if not require_name(name, purl, source, where):
        return None
    assert name is not None  # require_name returned True
    spdx_id = opt_str(package, "SPDXID", source, where)
    relationship: Relationship = "direct" if spdx_id in direct else "unknown"
    purpose = opt_str(package, "primaryPackagePurpose", source, where)
    download = opt_str(package, "downloadLocation", source, where)
    return make_component(
        name=name,
        version=opt_str(package, "versionInfo", source, where),
        purl=purl,
        type_hint=purpose.lower() if purpose else None,
        licenses=_licenses(package, source, where),
        supplier=_supplier(opt_str(package, "supplier", source, where)),
        hashes=hash_list(package, "checksums", "algorithm", "checksumValue", source, where),
        relationship=relationship,
        source_url=download if download and download.startswith(_VCS_PREFIXES) else None,
        bom_ref=spdx_id,
    )


def _purl(package: dict[str, Any], source: str, where: str) -> str | None:
    for i, raw in enumerate(opt_list(package, "externalRefs", source, where)):
        at = f"{where}.externalRefs[{i}]"
        ref = need_obj(raw, source, at)
        if opt_str(ref, "referenceType", source, at) == "purl":
            return opt_str(ref, "referenceLocator", source, at)
    return None


def _licenses(package: dict[str, Any], source: str, where: str) -> list[str]:
    out: list[str] = []
    for key in ("licenseConcluded", "licenseDeclared"):
        value = opt_str(package, key, source, where)
        if value is not None and value.strip() not in _NO_VALUE and value not in out:
            out.append(value)
    return out


def _supplier(value: str | None) -> str | None:
    if value is None or value in _NO_VALUE:
        return None
    for prefix in ("Organization:", "Person:", "Tool:"):
        if value.startswith(prefix):
            return value[len(prefix) :].strip() or None
    return value


def _graph(
    doc: dict[str, Any], source: str, package_ids: set[str | None]
) -> tuple[frozenset[str], frozenset[str]]:
    """(root SPDXIDs, SPDXIDs the roots depend on or contain); see the module doc."""
    edges: list[tuple[str, str]] = []  # (from, to) for "from depends on / contains to"
    described: set[str] = set()
    for i, raw in enumerate(opt_list(doc, "relationships", source, "$")):
        at = f"relationships[{i}]"
        rel = need_obj(raw, source, at)
        subject, kind, target = str_fields(
            rel, ("spdxElementId", "relationshipType", "relatedSpdxElement"), source, at
        )
        if subject is None or kind is None or target is None:
            continue
        if kind in _FORWARD:
            edges.append((subject, target))
        elif kind in _BACKWARD:
            edges.append((target, subject))
        elif kind == "DESCRIBES" and subject == _DOCUMENT:
            described.add(target)
        elif kind == "DESCRIBED_BY" and target == _DOCUMENT:
            described.add(subject)
    for i, value in enumerate(opt_list(doc, "documentDescribes", source, "$")):
        if not isinstance(value, str):
            raise SbomContentError(source, f"documentDescribes[{i}]: expected a string")
        described.add(value)
    roots = {a for a, b in edges if a in described and a in package_ids and b in package_ids}
    direct = {b for a, b in edges if a in roots and b in package_ids and b not in roots}
    return frozenset(roots), frozenset(direct)
