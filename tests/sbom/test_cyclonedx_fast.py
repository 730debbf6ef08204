"""The CycloneDX fast path (msgspec structs) reads exactly what the checked reader reads.

``cyclonedx_fast.read`` either returns the document the checked path would return, field for
field, or None (and then the checked path decides). Compared on every real asset and on
generated documents whose values are mostly well-typed, with the odd shapes the checked reader
treats specially (empty strings, a purl without a name, an empty hash algorithm, wrong types).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bomhost.errors import SbomError
from bomhost.sbom import cyclonedx_fast, detect
from bomhost.sbom.interface import SbomDocument

ASSETS = Path(__file__).parent.parent / "assets"
BENCH = Path(__file__).parent.parent.parent / "benchmarks" / "data"
JSON_FILES = sorted((ASSETS / "sboms").glob("*.json")) + sorted(BENCH.glob("*.json"))


def _checked(data: bytes) -> SbomDocument | SbomError:
    """What the checked path (orjson/json tree + cyclonedx_json) makes of ``data``."""
    try:
        doc = detect._parse_json([data], "x.json")
        if not isinstance(doc, dict) or detect.detect_json(doc) != "cdx":
            raise AssertionError("not a CycloneDX document")
        from bomhost.sbom import cyclonedx_json

        return cyclonedx_json.read(doc, "x.json")
    except SbomError as exc:
        return exc


def _same(data: bytes) -> bool:
    """True when the fast path was taken (and agreed); False when it handed over."""
    fast = cyclonedx_fast.read([data], "x.json")
    if fast is None:
        return False
    checked = _checked(data)
    assert isinstance(checked, SbomDocument), checked
    assert fast == checked
    # Field order matters too: model_dump and the plugin envelope follow __dict__ order.
    assert [list(c.__dict__.items()) for c in fast.components] == [
        list(c.__dict__.items()) for c in checked.components
    ]
    return True


@pytest.mark.parametrize("path", [p for p in JSON_FILES if b"CycloneDX" in p.read_bytes()[:4096]])
def test_real_cyclonedx_files_read_the_same_on_the_fast_path(path: Path) -> None:
    assert _same(path.read_bytes())


text = st.one_of(
    st.sampled_from(["", "a", "MIT", "1.0", "pkg:npm/a@1", "pkg:NPM/%40s/A@2#x", "pkg:", "r"]),
    st.text(max_size=6),
)
odd: st.SearchStrategy[Any] = st.one_of(
    st.none(), st.integers(), st.booleans(), st.just([]), st.just({})
)
value = st.one_of(text, text, text, st.none(), odd)


def _obj(keys: dict[str, st.SearchStrategy[Any]]) -> st.SearchStrategy[dict[str, Any]]:
    return st.fixed_dictionaries({}, optional=keys)


hash_ = st.one_of(
    _obj(
        {
            "alg": st.one_of(st.sampled_from(["SHA-256", "sha1", "", "MD5"]), value),
            "content": value,
        }
    ),
    odd,
)
licence = st.one_of(
    _obj({"expression": value, "license": st.one_of(_obj({"id": value, "name": value}), odd)}),
    odd,
)
ref = st.one_of(
    _obj({"type": st.one_of(st.sampled_from(["vcs", "vcs-git", "website"]), value), "url": value}),
    odd,
)
leaf = _obj(
    {
        "name": value,
        "version": value,
        "purl": value,
        "bom-ref": st.sampled_from(["r1", "r2", ""]),
        "type": value,
        "supplier": st.one_of(_obj({"name": value}), odd),
        "licenses": st.one_of(st.lists(licence, max_size=3), odd),
        "hashes": st.one_of(st.lists(hash_, max_size=3), odd),
        "externalReferences": st.one_of(st.lists(ref, max_size=3), odd),
        "description": value,
    }
)
component = st.recursive(
    leaf,
    lambda inner: st.builds(
        lambda c, kids: {**c, "components": kids}, leaf, st.lists(inner, max_size=3)
    ),
    max_leaves=6,
)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    components=st.lists(component, max_size=5),
    spec=st.sampled_from(["1.2", "1.5", "1.6", "9.9"]),
    fmt=st.sampled_from(["CycloneDX", "cyclonedx", "SPDX"]),
    root=st.one_of(st.just({"component": {"bom-ref": "root"}}), odd),
    deps=st.one_of(
        st.lists(
            _obj(
                {"ref": st.sampled_from(["root", "r1"]), "dependsOn": st.lists(value, max_size=3)}
            ),
            max_size=2,
        ),
        odd,
    ),
)
def test_generated_documents_read_the_same_or_hand_over(
    components: list[Any], spec: str, fmt: str, root: Any, deps: Any
) -> None:
    doc = {"bomFormat": fmt, "specVersion": spec, "metadata": root, "components": components}
    if deps is not None:
        doc["dependencies"] = deps
    _same(json.dumps(doc).encode())


def test_odd_shapes_hand_over_to_the_checked_reader() -> None:
    for doc in (
        {"bomFormat": "CycloneDX", "specVersion": "1.5", "components": [{"purl": "pkg:npm/a@1"}]},
        {"bomFormat": "CycloneDX", "specVersion": "1.5", "components": [{"name": 1}]},
        {"bomFormat": "CycloneDX", "specVersion": "9.9", "components": []},
        {
            "bomFormat": "CycloneDX",
            "specVersion": "1.5",
            "components": [{"name": "a", "hashes": [{"alg": "", "content": "x"}]}],
        },
        {"spdxVersion": "SPDX-2.3", "packages": []},
    ):
        assert cyclonedx_fast.read([json.dumps(doc).encode()], "x.json") is None
    assert cyclonedx_fast.read([b"\xef\xbb\xbf{}"], "x.json") is None  # a BOM: orjson/json decide
    # Invalid UTF-8 in a field bomhost never reads: msgspec would skip it, the checked reader
    # refuses the file, so the fast path must hand over; valid non-ASCII text stays fast.
    head = b'{"bomFormat":"CycloneDX","specVersion":"1.5","components":[{"name":"a","x":"'
    assert cyclonedx_fast.read([head + b'\xff"}]}'], "x.json") is None
    assert isinstance(_checked(head + b'\xff"}]}'), SbomError)
    assert _same(head + "caf\u00e9 \u00fc".encode() + b'"}]}')


PAIRS = [
    (
        ASSETS / "sboms/cdx12-proton-bridge-v1.6.3.bom.json",
        ASSETS / "sboms/cdx12-proton-bridge-v1.8.0.bom.json",
    ),
    (BENCH / "npm-old.cdx.json", BENCH / "npm-new.cdx.json"),
]


@pytest.mark.parametrize(("old_path", "new_path"), PAIRS, ids=["proton-bridge", "npm"])
def test_one_interner_shares_unchanged_components_and_changes_nothing(
    old_path: Path, new_path: Path
) -> None:
    """Both sides read with one interner: equal components are one object, and each document
    is exactly what it is when read alone, so the diff is the same."""
    from bomhost.diff import diff
    from bomhost.sbom.common import Interner

    alone = [cyclonedx_fast.read([p.read_bytes()], p.name) for p in (old_path, new_path)]
    interner = Interner()
    shared = [cyclonedx_fast.read([p.read_bytes()], p.name, interner) for p in (old_path, new_path)]
    for a, s in zip(alone, shared, strict=True):
        assert a is not None
        assert s is not None
        assert a == s
        assert [list(c.__dict__.items()) for c in a.components] == [
            list(c.__dict__.items()) for c in s.components
        ]
    old, new = shared
    assert old is not None
    assert new is not None
    old_ids = {id(c) for c in old.components}
    by_purl = {c.purl: c for c in old.components}
    if old_path.name.startswith("cdx12-proton"):
        # Go modules with stable bom-refs; cyclonedx-npm's bom-refs name the root package,
        # so there every component differs in bom_ref and nothing can be shared.
        assert sum(id(c) in old_ids for c in new.components) > len(new.components) // 2
    for c in new.components:
        before = by_purl.get(c.purl)
        # Reused exactly when every field is equal (the first old entry of that purl).
        if before is not None and before.__dict__ == c.__dict__:
            assert c is before
        else:
            assert id(c) not in old_ids
    assert diff(old.components, new.components) == diff(alone[0].components, alone[1].components)  # type: ignore[union-attr]


def test_a_changed_digest_or_licence_is_never_shared() -> None:
    from bomhost.sbom.common import Interner

    def doc(sha: str, lic: str) -> bytes:
        comp = {
            "name": "a",
            "version": "1",
            "purl": "pkg:npm/a@1",
            "hashes": [{"alg": "SHA-256", "content": sha}],
            "licenses": [{"license": {"id": lic}}],
        }
        return json.dumps(
            {"bomFormat": "CycloneDX", "specVersion": "1.5", "components": [comp]}
        ).encode()

    interner = Interner()
    base = cyclonedx_fast.read([doc("aa", "MIT")], "old.json", interner)
    same = cyclonedx_fast.read([doc("aa", "MIT")], "new.json", interner)
    digest = cyclonedx_fast.read([doc("bb", "MIT")], "new.json", interner)
    licence = cyclonedx_fast.read([doc("aa", "ISC")], "new.json", interner)
    assert base
    assert same
    assert digest
    assert licence
    assert same.components[0] is base.components[0]
    for changed in (digest, licence):
        assert changed.components[0] is not base.components[0]
        assert changed.components[0] != base.components[0]
    assert digest.components[0].hashes[0].value == "bb"
    assert licence.components[0].licenses == ("ISC",)


def test_the_same_bytes_are_rebuilt_when_the_dependency_graph_moves_them() -> None:
    """An entry byte-identical to one of the old side is reused only with the same
    relationship: here the root depends on it in the new SBOM only."""
    from bomhost.sbom.common import Interner

    entry = {"name": "a", "version": "1", "purl": "pkg:npm/a@1", "bom-ref": "a"}

    def doc(depends_on: list[str]) -> bytes:
        return json.dumps(
            {
                "bomFormat": "CycloneDX",
                "specVersion": "1.5",
                "metadata": {"component": {"bom-ref": "root"}},
                "components": [entry],
                "dependencies": [{"ref": "root", "dependsOn": depends_on}],
            }
        ).encode()

    interner = Interner()
    old = cyclonedx_fast.read([doc([])], "old.json", interner)
    same = cyclonedx_fast.read([doc([])], "same.json", interner)
    moved = cyclonedx_fast.read([doc(["a"])], "new.json", interner)
    assert old is not None
    assert same is not None
    assert moved is not None
    assert old.components[0].relationship == "transitive"
    assert same.components[0] is old.components[0]
    assert moved.components[0].relationship == "direct"
    assert moved.components[0] == cyclonedx_fast.read([doc(["a"])], "alone.json").components[0]  # type: ignore[union-attr]
