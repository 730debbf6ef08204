"""CycloneDX XML 1.2-1.6 reader: maps the XML onto the JSON shape and reuses the JSON reader.

One code path interprets CycloneDX (``cyclonedx_json.read``); this module only translates the
elements it reads (components, nested components, licences, hashes, supplier, purl, external
references, the root component's bom-ref and the dependency graph) into the JSON document's keys.
Parsing goes through defusedxml with DTDs forbidden: SBOMs never need one, and that closes
external entities and entity-expansion ("billion laughs") attacks outright.
"""

from __future__ import annotations

from typing import Any
from xml.etree.ElementTree import Element

from bomhost.errors import SbomFormatError
from bomhost.sbom import cyclonedx_json
from bomhost.sbom.interface import SbomDocument

NAMESPACE_PREFIX = "http://cyclonedx.org/schema/bom/"

# Child elements whose text maps to a string key of the same name.
_TEXT_FIELDS = ("name", "version", "purl", "group")


def namespace_of(root: Element) -> str:
    """The namespace URI of ``root`` ('' if none)."""
    tag = root.tag
    return tag[1 : tag.index("}")] if tag.startswith("{") else ""


def is_cyclonedx(root: Element) -> bool:
    """Whether the root element is a CycloneDX ``bom`` (any version)."""
    return root.tag.endswith("}bom") and namespace_of(root).startswith(NAMESPACE_PREFIX)


def read(root: Element, source: str) -> SbomDocument:
    """Components of a parsed CycloneDX XML document."""
    if not is_cyclonedx(root):
        raise SbomFormatError(source, "XML root is not a CycloneDX <bom> element")
    ns = "{" + namespace_of(root) + "}"
    doc: dict[str, Any] = {"specVersion": namespace_of(root)[len(NAMESPACE_PREFIX) :]}
    root_component = root.find(f"{ns}metadata/{ns}component")
    if root_component is not None:
        doc["metadata"] = {"component": {"bom-ref": root_component.get("bom-ref")}}
    components = root.find(f"{ns}components")
    if components is not None:
        doc["components"] = [_component(c, ns) for c in components.findall(f"{ns}component")]
    dependencies = root.find(f"{ns}dependencies")
    if dependencies is not None:
        doc["dependencies"] = [
            {
                "ref": dep.get("ref"),
                "dependsOn": [d.get("ref") for d in dep.findall(f"{ns}dependency")],
            }
            for dep in dependencies.findall(f"{ns}dependency")
        ]
    return cyclonedx_json.read(doc, source, fmt="cyclonedx-xml")


def _text(element: Element | None) -> str | None:
    if element is None or element.text is None:
        return None
    return element.text.strip()


def _component(element: Element, ns: str) -> dict[str, Any]:
    out: dict[str, Any] = {"type": element.get("type"), "bom-ref": element.get("bom-ref")}
    for field in _TEXT_FIELDS:
        value = _text(element.find(ns + field))
        if value is not None:
            out[field] = value
    supplier = element.find(f"{ns}supplier")
    if supplier is not None:
        out["supplier"] = {"name": _text(supplier.find(f"{ns}name"))}
    hashes = element.find(f"{ns}hashes")
    if hashes is not None:
        out["hashes"] = [
            {"alg": h.get("alg"), "content": _text(h) or ""} for h in hashes.findall(f"{ns}hash")
        ]
    licenses = element.find(f"{ns}licenses")
    if licenses is not None:
        out["licenses"] = [_license(item, ns) for item in licenses]
    refs = element.find(f"{ns}externalReferences")
    if refs is not None:
        out["externalReferences"] = [
            {"type": r.get("type"), "url": _text(r.find(f"{ns}url"))}
            for r in refs.findall(f"{ns}reference")
        ]
    children = element.find(f"{ns}components")
    if children is not None:
        out["components"] = [_component(c, ns) for c in children.findall(f"{ns}component")]
    return out


def _license(item: Element, ns: str) -> dict[str, Any]:
    """``<license><id|name/></license>`` or ``<expression>``, as the JSON ``licenses[]`` entry."""
    if item.tag == f"{ns}expression":
        return {"expression": _text(item)}
    return {"license": {"id": _text(item.find(f"{ns}id")), "name": _text(item.find(f"{ns}name"))}}
