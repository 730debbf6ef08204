"""Fuzzing the readers: whatever the bytes, the only exception that escapes is an SbomError.

Random bytes mostly die in the JSON parser, so the strategies below also build documents that
pass detection (CycloneDX / SPDX / Syft markers, CycloneDX XML) with arbitrary values in every
field the readers look at, and mutate real SBOMs byte by byte.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any
from xml.sax.saxutils import escape, quoteattr

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bomhost.errors import SbomError
from bomhost.sbom.detect import parse_bytes
from bomhost.sbom.interface import SbomFormat

ASSETS = Path(__file__).parent.parent / "assets" / "sboms"
FORMATS: list[SbomFormat] = ["auto", "cdx", "spdx", "syft"]

FUZZ = settings(
    max_examples=int(os.environ.get("BOMHOST_FUZZ_EXAMPLES", "100")),
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow],
)

# A placeholder that must_only_raise_sbom_errors turns into a 5,001-digit JSON number: past
# Python's 4,300-digit limit, json raised a bare ValueError (shown as an internal error).
HUGE_INT = "<<huge-int>>"

xml_text = st.text(alphabet=st.characters(blacklist_categories=("Cs", "Cc")), max_size=12)

json_leaf = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(),
    st.just(HUGE_INT),
    st.floats(allow_nan=False),
    st.text(max_size=20),
    st.sampled_from(["", "pkg:npm/a@1", "pkg:npm/%40s/a@1#x", "pkg:", "SHA-256", "MIT", "1.5"]),
)
json_value = st.recursive(
    json_leaf,
    lambda inner: st.one_of(
        st.lists(inner, max_size=4), st.dictionaries(st.text(max_size=8), inner, max_size=4)
    ),
    max_leaves=20,
)


def must_only_raise_sbom_errors(data: bytes, fmt: SbomFormat) -> None:
    error: SbomError | None = None
    data = data.replace(f'"{HUGE_INT}"'.encode(), b"9" * 5001)
    try:
        parse_bytes(data, "fuzz.json", fmt)
    except SbomError as exc:
        error = exc
    assert error is None or "\n" not in str(error)


@FUZZ
@given(
    data=st.one_of(
        st.binary(max_size=512),
        st.binary(max_size=512).map(lambda b: b"<" + b),  # reaches the XML parser
        st.binary(max_size=512).map(lambda b: b"<?xml version='1.0'?><!DOCTYPE bom [" + b),
        xml_text.map(lambda e: f"<?xml version='1.0' encoding={quoteattr(e)}?><bom/>".encode()),
    ),
    fmt=st.sampled_from(FORMATS),
)
def test_random_bytes(data: bytes, fmt: SbomFormat) -> None:
    must_only_raise_sbom_errors(data, fmt)


@FUZZ
@given(value=json_value, fmt=st.sampled_from(FORMATS))
def test_random_json(value: Any, fmt: SbomFormat) -> None:
    must_only_raise_sbom_errors(json.dumps(value).encode(), fmt)


def _field(keys: list[str]) -> st.SearchStrategy[dict[str, Any]]:
    """Objects whose keys are (mostly) the ones a reader looks at, with arbitrary values."""
    return st.dictionaries(st.sampled_from(keys), json_value, max_size=len(keys))


CDX_KEYS = [
    "name",
    "version",
    "purl",
    "bom-ref",
    "type",
    "licenses",
    "hashes",
    "supplier",
    "externalReferences",
    "components",
    "group",
]
component = st.recursive(
    _field(CDX_KEYS),
    lambda inner: st.builds(
        lambda c, kids: {**c, "components": kids}, _field(CDX_KEYS), st.lists(inner, max_size=3)
    ),
    max_leaves=8,
)
licence = st.one_of(
    json_value,
    st.builds(lambda v: {"license": v}, st.one_of(json_value, _field(["id", "name", "url"]))),
    st.builds(lambda v: {"expression": v}, json_value),
)
hash_entry = st.one_of(json_value, _field(["alg", "content"]))


@FUZZ
@given(
    components=st.lists(
        st.one_of(
            component,
            st.builds(
                lambda c, lic, h: {**c, "licenses": lic, "hashes": h},
                component,
                st.lists(licence, max_size=3),
                st.lists(hash_entry, max_size=3),
            ),
        ),
        max_size=5,
    ),
    spec=st.sampled_from(["1.2", "1.4", "1.6", "9.9", 1.5]),
    metadata=st.one_of(json_value, st.just({"component": {"bom-ref": "r"}})),
    dependencies=st.one_of(
        json_value,
        st.lists(st.builds(lambda d: {"ref": "r", "dependsOn": d}, json_value), max_size=2),
    ),
)
def test_cyclonedx_shaped(
    components: list[Any], spec: Any, metadata: Any, dependencies: Any
) -> None:
    doc = {
        "bomFormat": "CycloneDX",
        "specVersion": spec,
        "metadata": metadata,
        "components": components,
        "dependencies": dependencies,
    }
    must_only_raise_sbom_errors(json.dumps(doc).encode(), "auto")


SPDX_KEYS = [
    "name",
    "SPDXID",
    "versionInfo",
    "externalRefs",
    "licenseConcluded",
    "licenseDeclared",
    "supplier",
    "checksums",
    "primaryPackagePurpose",
    "downloadLocation",
]


@FUZZ
@given(
    packages=st.lists(
        st.one_of(
            _field(SPDX_KEYS),
            st.builds(
                lambda p, refs: {**p, "externalRefs": refs},
                _field(SPDX_KEYS),
                st.lists(_field(["referenceType", "referenceLocator"]), max_size=2),
            ),
        ),
        max_size=5,
    ),
    relationships=st.lists(
        st.one_of(json_value, _field(["spdxElementId", "relationshipType", "relatedSpdxElement"])),
        max_size=4,
    ),
    describes=json_value,
)
def test_spdx_shaped(packages: list[Any], relationships: list[Any], describes: Any) -> None:
    doc = {
        "spdxVersion": "SPDX-2.3",
        "packages": packages,
        "relationships": relationships,
        "documentDescribes": describes,
    }
    must_only_raise_sbom_errors(json.dumps(doc).encode(), "auto")


@FUZZ
@given(
    artifacts=st.lists(
        st.one_of(json_value, _field(["id", "name", "version", "type", "purl", "licenses"])),
        max_size=5,
    ),
    schema=st.one_of(json_value, st.just({"url": "https://x/anchore/syft/schema-1.json"})),
)
def test_syft_shaped(artifacts: list[Any], schema: Any) -> None:
    doc = {"schema": schema, "artifacts": artifacts}
    must_only_raise_sbom_errors(json.dumps(doc).encode(), "syft")


def _xml_component(depth: int) -> st.SearchStrategy[str]:
    children = (
        st.just("")
        if depth == 0
        else st.lists(_xml_component(depth - 1), max_size=2).map(
            lambda kids: f"<components>{''.join(kids)}</components>"
        )
    )
    return st.builds(
        lambda attrs, fields, hashes, lic, kids: (
            f"<component{attrs}>{fields}{hashes}{lic}{kids}</component>"
        ),
        st.sampled_from(["", ' type="library"', ' bom-ref="r"']),
        st.lists(
            st.builds(
                lambda tag, text: f"<{tag}>{escape(text)}</{tag}>",
                st.sampled_from(["name", "version", "purl", "group"]),
                xml_text,
            ),
            max_size=4,
        ).map("".join),
        st.lists(
            st.builds(
                lambda alg, text: f"<hash{alg}>{escape(text)}</hash>",
                st.one_of(st.just(""), xml_text.map(lambda t: f" alg={quoteattr(t)}")),
                xml_text,
            ),
            max_size=2,
        ).map(lambda hs: f"<hashes>{''.join(hs)}</hashes>" if hs else ""),
        st.sampled_from(
            [
                "",
                "<licenses><license><id>MIT</id></license></licenses>",
                "<licenses><expression/></licenses>",
                "<licenses><license/></licenses>",
            ]
        ),
        children,
    )


@FUZZ
@given(
    components=st.lists(_xml_component(2), max_size=4),
    version=st.sampled_from(["1.2", "1.6", "1.1", "9.9", ""]),
    fmt=st.sampled_from(FORMATS),
)
def test_cyclonedx_xml_shaped(components: list[str], version: str, fmt: SbomFormat) -> None:
    xml = (
        f'<bom xmlns="http://cyclonedx.org/schema/bom/{version}"><components>'
        f"{''.join(components)}</components></bom>"
    )
    must_only_raise_sbom_errors(xml.encode(), fmt)


SMALL_REAL = sorted(
    p for p in ASSETS.iterdir() if p.suffix in {".json", ".xml"} and p.stat().st_size < 20_000
)


@FUZZ
@given(
    index=st.integers(min_value=0, max_value=len(SMALL_REAL) - 1),
    edits=st.lists(st.tuples(st.floats(0, 1), st.binary(max_size=3)), min_size=1, max_size=4),
    cut=st.floats(0.0, 1.0),
)
def test_mutated_real_sboms(index: int, edits: list[tuple[float, bytes]], cut: float) -> None:
    data = bytearray(SMALL_REAL[index].read_bytes())
    for where, replacement in edits:
        at = int(where * (len(data) - 1))
        data[at : at + len(replacement)] = replacement
    must_only_raise_sbom_errors(bytes(data[: max(1, int(cut * len(data)) + 1)]), "auto")
