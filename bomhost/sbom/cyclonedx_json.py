"""CycloneDX 1.2-1.6 reader: a parsed JSON document (or the XML reader's equivalent) to components.

Hand-rolled over the plain dict, never through cyclonedx-python-lib's object model, which takes
seconds on a large BOM. Unlike bomdrift, nested ``components`` are walked (assemblies and
vendored packages live there), 1.2-1.4 are read, and ``relationship`` comes from the dependency
graph: ``direct`` for refs in the root component's ``dependsOn``, ``transitive`` for the rest;
``unknown`` when the document has no graph or no root entry in it.
"""

from __future__ import annotations

from typing import Any, Literal

from bomhost.errors import SbomContentError, SbomFormatError
from bomhost.model import Component, Relationship
from bomhost.sbom.common import (
    hash_list,
    make_component,
    need_obj,
    opt_list,
    opt_obj,
    opt_str,
    require_name,
    str_fields,
)
from bomhost.sbom.interface import SbomDocument

SPEC_VERSIONS = ("1.2", "1.3", "1.4", "1.5", "1.6")

_VCS_REF_TYPES = frozenset({"vcs", "vcs-git"})


def read(
    doc: dict[str, Any],
    source: str,
    fmt: Literal["cyclonedx-json", "cyclonedx-xml"] = "cyclonedx-json",
) -> SbomDocument:
    """Components of a CycloneDX document (``doc`` is the JSON object; XML is mapped to it)."""
    spec = doc.get("specVersion")
    if spec not in SPEC_VERSIONS:
        raise SbomFormatError(
            source,
            f"unsupported CycloneDX specVersion {spec!r} (bomhost reads 1.2 to 1.6)",
        )
    direct = _direct_refs(doc, source)
    components: list[Component] = []
    skipped = 0
    # Depth-first, parent before children, in document order; an explicit stack so a deeply
    # nested (or hostile) document cannot exhaust Python's recursion limit.
    stack: list[tuple[Any, str]] = [
        (entry, f"components[{i}]")
        for i, entry in reversed(list(enumerate(opt_list(doc, "components", source, "$"))))
    ]
    while stack:
        raw, where = stack.pop()
        entry = need_obj(raw, source, where)
        component = _component(entry, source, where, direct)
        if component is None:
            skipped += 1
        else:
            components.append(component)
        children = opt_list(entry, "components", source, where)
        for j in range(len(children) - 1, -1, -1):
            stack.append((children[j], f"{where}.components[{j}]"))
    return SbomDocument(
        path=source,
        format=fmt,
        spec_version=spec,
        components=tuple(components),
        skipped=skipped,
    )


_FIELDS = ("name", "purl", "version", "bom-ref", "type")


def _component(
    entry: dict[str, Any], source: str, where: str, direct: frozenset[str] | None
) -> Component | None:
    """One component entry, or None when it has neither name nor purl."""
    name, purl, version, bom_ref, ctype = str_fields(entry, _FIELDS, source, where)
    if not require_name(name, purl, source, where):
        return None
    assert name is not None  # require_name returned True
    relationship: Relationship
    if direct is None:
        relationship = "unknown"
    elif bom_ref is not None and bom_ref in direct:
        relationship = "direct"
    else:
        relationship = "transitive"
    supplier = opt_obj(entry, "supplier", source, where)
    return make_component(
        name=name,
        version=version,
        purl=purl,
        type_hint=ctype,
        licenses=_licenses(entry, source, where),
        supplier=opt_str(supplier, "name", source, f"{where}.supplier") if supplier else None,
        hashes=hash_list(entry, "hashes", "alg", "content", source, where),
        relationship=relationship,
        source_url=_vcs_url(entry, source, where),
        bom_ref=bom_ref,
    )


def _licenses(entry: dict[str, Any], source: str, where: str) -> list[str]:
    """bomdrift's rule per entry: the expression, else license.id, else license.name."""
    out: list[str] = []
    for i, item in enumerate(opt_list(entry, "licenses", source, where)):
        if type(item) is dict:
            expression = item.get("expression")
            if type(expression) is str and expression:
                out.append(expression)
                continue
            inner = item.get("license")
            if type(inner) is dict:
                value = inner.get("id") or inner.get("name")
                if type(value) is str:
                    out.append(value)
                    continue
        # Unusual shapes: check them properly, raising with the path if they are wrong.
        at = f"{where}.licenses[{i}]"
        lic = need_obj(item, source, at)
        opt_str(lic, "expression", source, at)
        inner = opt_obj(lic, "license", source, at)
        if inner is not None:
            opt_str(inner, "id", source, f"{at}.license")
            opt_str(inner, "name", source, f"{at}.license")
    return out


def _vcs_url(entry: dict[str, Any], source: str, where: str) -> str | None:
    """The first ``vcs``/``vcs-git`` external reference, as bomdrift reports ``source_url``."""
    for i, item in enumerate(opt_list(entry, "externalReferences", source, where)):
        if type(item) is not dict:
            need_obj(item, source, f"{where}.externalReferences[{i}]")
        if item.get("type") in _VCS_REF_TYPES:
            return opt_str(item, "url", source, f"{where}.externalReferences[{i}]")
    return None


def _direct_refs(doc: dict[str, Any], source: str) -> frozenset[str] | None:
    """bom-refs the root component depends on; None when there is no usable graph."""
    metadata = opt_obj(doc, "metadata", source, "$")
    root = opt_obj(metadata, "component", source, "metadata") if metadata else None
    root_ref = opt_str(root, "bom-ref", source, "metadata.component") if root else None
    dependencies = opt_list(doc, "dependencies", source, "$")
    if root_ref is None or not dependencies:
        return None
    for i, item in enumerate(dependencies):
        at = f"dependencies[{i}]"
        dep = need_obj(item, source, at)
        if opt_str(dep, "ref", source, at) != root_ref:
            continue
        refs: set[str] = set()
        for j, target in enumerate(opt_list(dep, "dependsOn", source, at)):
            if not isinstance(target, str):
                raise SbomContentError(source, f"{at}.dependsOn[{j}]: expected a string")
            refs.add(target)
        return frozenset(refs)
    return None
