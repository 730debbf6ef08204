"""The fast path of the CycloneDX JSON reader: decode straight into typed structs with msgspec.

Why: a 200k-component file is ~190 MB of JSON. Parsed into a dict tree (orjson or json) it is
~750 MB of Python objects, most of them fields no report uses (descriptions, properties,
evidence), and walking that tree with type checks was half of a large diff's time. msgspec
decodes the bytes directly into the few fields ``cyclonedx_json`` reads, skipping the rest
without building them, about 5x faster and in a fraction of the memory.

Exactly the same result or nothing: the struct types below are at least as strict as the checks
of ``cyclonedx_json`` (a field of the wrong JSON type is a msgspec validation error here), and
every case where the checked reader would raise, skip differently or needs a judgement (an
empty hash algorithm, a purl without a name, a non-CycloneDX document) returns None, so the
caller parses the document again on the checked path, which accepts what it always accepted and
names the same JSON path in the same message. tests/sbom/test_cyclonedx_fast.py compares both
paths on every asset and on generated documents.

One deliberate difference: a number of more than 4,300 digits in a field bomhost does not read
no longer makes the file unreadable (Python's int limit applied to the whole tree before).
"""

from __future__ import annotations

import codecs
from hashlib import sha256

import msgspec

from bomhost.identity import ecosystem_for, normalize_hash_alg
from bomhost.model import Component, Hash, Relationship
from bomhost.sbom.common import Interner
from bomhost.sbom.interface import SbomDocument

_VCS_REF_TYPES = frozenset({"vcs", "vcs-git"})
SPEC_VERSIONS = frozenset({"1.2", "1.3", "1.4", "1.5", "1.6"})


class _Fallback(Exception):
    """Something the checked reader must decide (an error to report, or an odd shape)."""


class _Hash(msgspec.Struct, gc=False):
    alg: str
    content: str


class _License(msgspec.Struct, gc=False):
    id: str | None = None
    name: str | None = None


class _LicenseChoice(msgspec.Struct, gc=False):
    expression: str | None = None
    license: _License | None = None


class _Supplier(msgspec.Struct, gc=False):
    name: str | None = None


class _ExternalRef(msgspec.Struct, gc=False):
    type: str | None = None
    url: str | None = None


class _Component(msgspec.Struct, gc=False):
    name: str | None = None
    purl: str | None = None
    version: str | None = None
    bom_ref: str | None = msgspec.field(default=None, name="bom-ref")
    type: str | None = None
    supplier: _Supplier | None = None
    licenses: list[_LicenseChoice] | None = None
    hashes: list[_Hash] | None = None
    externalReferences: list[_ExternalRef] | None = None
    components: list[_Component] | None = None


class _Root(msgspec.Struct, gc=False):
    bom_ref: str | None = msgspec.field(default=None, name="bom-ref")


class _Metadata(msgspec.Struct, gc=False):
    component: _Root | None = None


class _Dependency(msgspec.Struct, gc=False):
    ref: str | None = None
    dependsOn: list[str] | None = None


class _Document(msgspec.Struct, gc=False):
    bomFormat: str | None = None
    specVersion: str | None = None
    metadata: _Metadata | None = None
    # Each top-level component stays undecoded (a view into the bytes) until its turn: the
    # structs of one component at a time instead of a whole document's (~160 MB at 200k).
    components: list[msgspec.Raw] | None = None
    dependencies: list[_Dependency] | None = None


_DECODER = msgspec.json.Decoder(_Document)
_COMPONENT = msgspec.json.Decoder(_Component)


def read(buffer: list[bytes], source: str, interner: Interner | None = None) -> SbomDocument | None:
    """The document's components, or None to let the checked reader decide (see module doc).

    ``buffer`` holds the file's bytes (see ``detect.parse_owned``): they are dropped once
    decoded and put back for the checked reader when this returns None. ``interner`` shares
    equal components with the other side of a diff (``common.Interner``).
    """
    data = buffer.pop()
    doc = _read(data, source, interner or Interner())
    if doc is None:
        buffer.append(data)
    return doc


def _read(data: bytes, source: str, interner: Interner) -> SbomDocument | None:
    try:
        doc = _DECODER.decode(data)
    except (msgspec.DecodeError, RecursionError):
        return None
    if doc.bomFormat is None or doc.bomFormat.lower() != "cyclonedx":
        return None
    if doc.specVersion not in SPEC_VERSIONS:
        return None  # the checked reader names the unsupported version
    if not _text_the_checked_reader_reads(data):
        return None
    try:
        components, skipped = _components(doc, interner)
    except _Fallback:
        return None
    return SbomDocument(
        path=source,
        format="cyclonedx-json",
        spec_version=doc.specVersion,
        components=tuple(components),
        skipped=skipped,
    )


def _text_the_checked_reader_reads(data: bytes) -> bool:
    """Whether the checked reader would decode these bytes as UTF-8 text at all.

    msgspec checks the UTF-8 of the strings it decodes, not of the fields it skips, so a bad
    byte in a description would pass here and fail there ("not UTF-8/16/32 text"). ASCII (most
    SBOMs) is checked in ~2 ms for 48 MB; anything else is decoded 1 MiB at a time, as the
    checked reader decodes it (surrogates passed), so no copy of the file's text is held.
    """
    if data.isascii():
        return True
    decoder = codecs.getincrementaldecoder("utf-8")("surrogatepass")
    view = memoryview(data)
    try:
        for start in range(0, len(view), 1 << 20):
            decoder.decode(view[start : start + (1 << 20)])
        decoder.decode(b"", True)
    except UnicodeDecodeError:
        return False
    return True


def _components(doc: _Document, interner: Interner) -> tuple[list[Component], int]:
    direct = _direct_refs(doc)
    out: list[Component] = []
    skipped = 0
    decode = _COMPONENT.decode
    for raw in doc.components or ():
        # Bytes already read (the other side of the diff, or a duplicate) make the same
        # component, unless the dependency graph now gives it another relationship.
        digest = sha256(raw).digest()
        known = interner.known_raw(digest)
        if known is not None and _relationship(known.bom_ref, direct) == known.relationship:
            out.append(known)
            continue
        try:
            top = decode(raw)
        except (msgspec.DecodeError, RecursionError):
            raise _Fallback from None  # the checked reader names the field
        first = len(out)
        stack = [top]
        while stack:  # the component, then its nested components depth first, in order
            entry = stack.pop()
            component = _component(entry, direct, interner)
            if component is None:
                skipped += 1
            else:
                out.append(component)
            children = entry.components
            if children:
                stack.extend(reversed(children))
        if len(out) == first + 1 and not top.components and top.bom_ref != "":
            # Exactly one component, whose bom_ref field is the entry's ("" would become None).
            interner.remember_raw(digest, out[first])
    return out, skipped


def _component(
    entry: _Component, direct: frozenset[str] | None, interner: Interner
) -> Component | None:
    """``cyclonedx_json._component`` and ``make_component`` for one struct, in one frame."""
    name = entry.name
    purl = entry.purl or None
    if not name:
        if purl:
            raise _Fallback  # the checked reader reports the missing name
        return None
    bom_ref = entry.bom_ref
    # _relationship, inlined: this runs for every component of the old side.
    if direct is None:
        relationship: Relationship = "unknown"
    else:
        relationship = "direct" if bom_ref is not None and bom_ref in direct else "transitive"
    if bom_ref == purl:
        bom_ref = purl  # one string object for both (generators often use the purl)
    supplier = entry.supplier
    hashes = entry.hashes
    refs = entry.externalReferences
    # Keys in field order, as make_component writes them.
    return interner.component(
        {
            "name": name,
            "version": entry.version or "",
            "ecosystem": ecosystem_for(purl, entry.type),
            "purl": purl,
            "licenses": interner.licenses(_licenses(entry.licenses)) if entry.licenses else (),
            "supplier": (supplier.name or None) if supplier is not None else None,
            "hashes": _hashes(hashes, interner) if hashes else (),
            "relationship": relationship,
            "source_url": (_vcs_url(refs) or None) if refs else None,
            "bom_ref": bom_ref or None,
        }
    )


def _relationship(bom_ref: str | None, direct: frozenset[str] | None) -> Relationship:
    if direct is None:
        return "unknown"
    return "direct" if bom_ref is not None and bom_ref in direct else "transitive"


def _hashes(raw: list[_Hash], interner: Interner) -> tuple[Hash, ...]:
    out = []
    shared = interner.hash
    for h in raw:
        alg = h.alg
        if not alg:
            raise _Fallback  # an empty algorithm is a content error there
        out.append(shared(normalize_hash_alg(alg), h.content))
    return tuple(out)


def _licenses(raw: list[_LicenseChoice]) -> list[str]:
    """bomdrift's rule per entry: the expression, else license.id, else license.name."""
    out: list[str] = []
    for item in raw:
        if item.expression:
            out.append(item.expression)
        elif item.license is not None:
            value = item.license.id or item.license.name
            if value is not None:
                out.append(value)
    return out


def _vcs_url(raw: list[_ExternalRef]) -> str | None:
    for item in raw:
        if item.type in _VCS_REF_TYPES:
            return item.url
    return None


def _direct_refs(doc: _Document) -> frozenset[str] | None:
    root = doc.metadata.component if doc.metadata is not None else None
    root_ref = root.bom_ref if root is not None else None
    if root_ref is None or not doc.dependencies:
        return None
    for dep in doc.dependencies:
        if dep.ref == root_ref:
            return frozenset(dep.dependsOn or ())
    return None
