"""The diff: buckets on hand-built components, then on real SBOM pairs with hand-checked answers."""

from __future__ import annotations

import json
import random
from pathlib import Path

import pytest

from bomhost.diff import diff, direction, version_key
from bomhost.model import ChangeSet, Component, Hash
from bomhost.sbom import load
from tests.scripts import load_script

ASSETS = Path(__file__).parent / "assets" / "sboms"


def comp(
    name: str,
    version: str,
    *,
    purl: str | None = "",
    licenses: tuple[str, ...] = (),
    hashes: tuple[tuple[str, str], ...] = (),
    ecosystem: str = "npm",
) -> Component:
    """An npm component whose purl defaults to pkg:npm/<name>@<version>."""
    if purl == "":
        purl = f"pkg:npm/{name}@{version}"
    return Component(
        name=name,
        version=version,
        ecosystem=ecosystem,
        purl=purl,
        licenses=licenses,
        hashes=tuple(Hash(alg=a, value=v) for a, v in hashes),
    )


def versions(components: tuple[Component, ...]) -> list[tuple[str, str]]:
    return [(c.name, c.version) for c in components]


def pairs(cs: ChangeSet) -> list[tuple[str, str, str, str]]:
    return [
        (v.before.name, v.before.version, v.after.version, v.direction) for v in cs.version_changed
    ]


# --- buckets ---------------------------------------------------------------------------------


def test_identical_lists_give_an_empty_change_set() -> None:
    components = [comp("axios", "1.14.0"), comp("serde", "1.0.228", ecosystem="cargo")]
    assert diff(components, components).is_empty


def test_added_removed_and_version_changed() -> None:
    old = [comp("axios", "1.14.0"), comp("lodash", "4.17.21")]
    new = [comp("axios", "1.15.0"), comp("react", "18.3.1")]
    cs = diff(old, new)
    assert versions(cs.added) == [("react", "18.3.1")]
    assert versions(cs.removed) == [("lodash", "4.17.21")]
    assert pairs(cs) == [("axios", "1.14.0", "1.15.0", "upgrade")]
    assert cs.license_changed == ()
    assert cs.hash_changed == ()


def test_licence_change_needs_the_same_version_and_compares_sets() -> None:
    old = [
        comp("a", "1", licenses=("MIT",)),
        comp("b", "1", licenses=("MIT", "Apache-2.0")),
        comp("c", "1", licenses=("MIT",)),
    ]
    new = [
        comp("a", "1", licenses=("GPL-3.0-only",)),  # same version, other licence: reported
        comp("b", "1", licenses=("Apache-2.0", "MIT", "MIT")),  # same set, reordered: not
        comp("c", "2", licenses=("GPL-3.0-only",)),  # version moved: a version change only
    ]
    cs = diff(old, new)
    assert [(c.before.name, c.after.licenses) for c in cs.license_changed] == [
        ("a", ("GPL-3.0-only",))
    ]
    assert pairs(cs) == [("c", "1", "2", "upgrade")]


def test_hash_change_only_within_one_algorithm_and_the_same_version() -> None:
    old = [
        comp("same", "1", hashes=(("sha256", "AA"),)),
        comp("tampered", "1", hashes=(("sha1", "11"), ("sha256", "aa"))),
        comp("other-alg", "1", hashes=(("sha1", "11"),)),
        comp("bumped", "1", hashes=(("sha256", "aa"),)),
        comp("gone", "1", hashes=(("sha256", "aa"),)),
    ]
    new = [
        comp("same", "1", hashes=(("sha256", "aa"),)),  # hex case is no difference
        comp("tampered", "1", hashes=(("sha1", "11"), ("sha256", "bb"))),
        comp("other-alg", "1", hashes=(("sha512", "ff"),)),  # nothing comparable
        comp("bumped", "2", hashes=(("sha256", "bb"),)),  # a new version has new digests
        comp("gone", "1"),  # digests dropped: nothing comparable
    ]
    cs = diff(old, new)
    assert [(h.before.name, h.algorithms) for h in cs.hash_changed] == [("tampered", ("sha256",))]
    assert pairs(cs) == [("bumped", "1", "2", "upgrade")]


def test_duplicate_entries_count_once() -> None:
    old = [comp("ms", "2.1.2"), comp("ms", "2.1.2"), comp("ms", "2.1.2")]
    new = [comp("ms", "2.1.2"), comp("ms", "2.1.3"), comp("ms", "2.1.3")]
    cs = diff(old, new)
    assert versions(cs.added) == [("ms", "2.1.3")]
    assert cs.removed == ()
    assert cs.version_changed == ()


def test_several_versions_pair_exactly_then_one_leftover_each_is_a_version_change() -> None:
    cs = diff([comp("x", "1.0.0"), comp("x", "2.0.0")], [comp("x", "2.0.0"), comp("x", "3.0.0")])
    assert pairs(cs) == [("x", "1.0.0", "3.0.0", "upgrade")]
    assert cs.added == ()
    assert cs.removed == ()


def test_several_leftovers_are_never_paired() -> None:
    # bomdrift's multi_version_same_component_does_not_collapse case
    cs = diff(
        [comp("axios", "1.0.0"), comp("axios", "2.0.0")],
        [comp("axios", "2.0.0"), comp("axios", "3.0.0"), comp("axios", "4.0.0")],
    )
    assert versions(cs.added) == [("axios", "3.0.0"), ("axios", "4.0.0")]
    assert versions(cs.removed) == [("axios", "1.0.0")]
    assert cs.version_changed == ()
    # bomdrift's single_to_multi_version_does_not_synthesize_version_changed case
    cs = diff([comp("axios", "1.0.0")], [comp("axios", "2.0.0"), comp("axios", "3.0.0")])
    assert len(cs.added) == 2
    assert len(cs.removed) == 1
    assert cs.version_changed == ()


def test_licence_change_on_an_exactly_paired_version_among_several() -> None:
    old = [comp("axios", "1.0.0", licenses=("MIT",)), comp("axios", "2.0.0", licenses=("MIT",))]
    new = [comp("axios", "2.0.0", licenses=("GPL-3.0",))]
    cs = diff(old, new)
    assert [c.after.version for c in cs.license_changed] == ["2.0.0"]
    assert versions(cs.removed) == [("axios", "1.0.0")]
    assert cs.added == ()
    assert cs.version_changed == ()


def test_no_purl_matches_on_ecosystem_and_name_only() -> None:
    cs = diff(
        [comp("custom", "0.1.0", purl=None, ecosystem="cargo"), comp("foo", "1", purl=None)],
        [
            comp("custom", "0.2.0", purl=None, ecosystem="cargo"),
            comp("foo", "1", purl=None, ecosystem="pypi"),
        ],
    )
    assert pairs(cs) == [("custom", "0.1.0", "0.2.0", "upgrade")]
    assert [(c.name, c.ecosystem) for c in cs.added] == [("foo", "pypi")]
    assert [(c.name, c.ecosystem) for c in cs.removed] == [("foo", "npm")]


def test_symmetry_and_determinism_under_reordering() -> None:
    old = [comp(f"p{i}", f"1.{i % 3}.0") for i in range(40)] + [comp("dup", "1")] * 3
    new = [comp(f"p{i}", f"1.{i % 4}.0") for i in range(10, 50)] + [comp("dup", "2")]
    forward = diff(old, new)
    backward = diff(new, old)
    assert versions(forward.added) == versions(backward.removed)
    assert versions(forward.removed) == versions(backward.added)
    shuffled_old, shuffled_new = old[:], new[:]
    rng = random.Random(7)
    rng.shuffle(shuffled_old)
    rng.shuffle(shuffled_new)
    again = diff(shuffled_old, shuffled_new)
    assert again.model_dump_json() == forward.model_dump_json()
    # every bucket sorted by key (the name here), then version
    assert versions(forward.added) == sorted(versions(forward.added))
    assert versions(forward.removed) == sorted(versions(forward.removed))


# --- version direction -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("old", "new", "expected"),
    [
        ("1.2.3", "1.2.4", "upgrade"),
        ("1.10.0", "1.9.0", "downgrade"),  # numeric, not lexical
        ("v1.1.30", "v1.1.41", "upgrade"),
        ("2.0.0-rc.1", "2.0.0", "upgrade"),  # semver: pre-release < release
        ("2.0.0-alpha", "2.0.0-alpha.1", "upgrade"),
        ("2.0.0-alpha.1", "2.0.0-alpha.beta", "upgrade"),  # numbers sort below words
        ("2.0.0-beta.11", "2.0.0-beta.2", "downgrade"),
        ("1.0a1", "1.0b1", "upgrade"),  # PEP 440
        ("1.0.dev0", "1.0a1", "upgrade"),
        ("1.0rc1", "1.0", "upgrade"),
        ("1.0", "1.0.post1", "upgrade"),
        ("1.0", "1.0.0", "unknown"),  # equal versions spelled differently
        ("1.0.0+build.1", "1.0.0+build.2", "unknown"),  # build metadata does not order
        ("2.9.10", "2.9.10.1", "upgrade"),
        ("5.4.2.Final", "5.4.3.Final", "upgrade"),
        (
            "v0.0.0-20200707034311-ab3426394381",
            "v0.0.0-20210405180319-a5a99cb37ef4",
            "upgrade",
        ),  # Go pseudo-versions order by timestamp
        ("latest", "1.0", "unknown"),
        ("0221fd4", "1a2b3c4", "unknown"),  # git hashes are not versions
        ("", "1.0", "unknown"),
    ],
)
def test_direction(old: str, new: str, expected: str) -> None:
    assert direction(old, new) == expected


def test_version_key_is_a_total_order_on_readable_versions() -> None:
    texts = ["1.0.dev0", "1.0a1", "1.0b2", "1.0rc1", "1.0", "1.0.post1", "1.1", "2.0.0-1", "2.0.0"]
    keys = [version_key(t) for t in texts]
    assert all(k is not None for k in keys)
    assert sorted(texts, key=lambda t: version_key(t) or ((), 0, ())) == texts


# --- real SBOM pairs ----------------------------------------------------------------------------


def real(old: str, new: str) -> ChangeSet:
    return diff(load(str(ASSETS / old)).components, load(str(ASSETS / new)).components)


def test_proton_bridge_1_6_3_to_1_8_0_is_exactly_seven_upgrades() -> None:
    cs = real("cdx12-proton-bridge-v1.6.3.bom.json", "cdx12-proton-bridge-v1.8.0.bom.json")
    assert cs.added == ()
    assert cs.removed == ()
    assert cs.license_changed == ()
    assert [(v.before.name, v.before.version, v.after.version) for v in cs.version_changed] == [
        (
            "github.com/emersion/go-imap-quota",
            "v0.0.0-20200423100218-dcfd1b7d2b41",
            "v0.0.0-20210203125329-619074823f3c",
        ),
        ("github.com/go-resty/resty/v2", "v2.3.0", "v2.6.0"),
        ("github.com/miekg/dns", "v1.1.30", "v1.1.41"),
        (
            "golang.org/x/net",
            "v0.0.0-20200707034311-ab3426394381",
            "v0.0.0-20210405180319-a5a99cb37ef4",
        ),
        (
            "golang.org/x/sync",
            "v0.0.0-20190911185100-cd5d95a43a6e",
            "v0.0.0-20210220032951-036812b2e83c",
        ),
        (
            "golang.org/x/sys",
            "v0.0.0-20200323222414-85ca7c5b95cd",
            "v0.0.0-20210330210617-4fbd30eecc44",
        ),
        (
            "golang.org/x/term",
            "v0.0.0-20201117132131-f5c789dd3221",
            "v0.0.0-20201126162022-7de9c90e9dd1",
        ),
    ]
    assert {v.direction for v in cs.version_changed} == {"upgrade"}
    # The 7 hash changes README.txt lists are on these upgraded components, so none is a
    # same-version hash change.
    assert all(v.before.hashes != v.after.hashes for v in cs.version_changed)
    assert cs.hash_changed == ()


def test_spdx_example14_original_vs_enriched_has_no_drift() -> None:
    cs = real(
        "spdx23-example14-examplemaven-0.0.1-original.spdx.json",
        "spdx23-example14-examplemaven-0.0.1-enriched.spdx.json",
    )
    assert cs.is_empty


@pytest.fixture(scope="module")
def cs() -> ChangeSet:
    """The juice-shop diff, computed once for TestJuiceShop."""
    return real("cdx12-juice-shop-v11.1.2.bom.json", "cdx14-juice-shop-v14.1.1-flat.bom.json")


class TestJuiceShop:
    """juice-shop 11.1.2 (CycloneDX 1.2, 'Node.js module' generator) -> 14.1.1 (1.4, cyclonedx-npm).

    Every expectation below was read off the two raw files by hand (grep for the name).
    """

    @staticmethod
    def moved(cs: ChangeSet, purl_prefix: str) -> list[tuple[str, str, str]]:
        return [
            (v.before.version, v.after.version, v.direction)
            for v in cs.version_changed
            if (v.before.purl or "").startswith(purl_prefix)
        ]

    def test_scoped_package_upgrade(self, cs: ChangeSet) -> None:
        assert self.moved(cs, "pkg:npm/%40dabh/diagnostics@") == [("2.0.2", "2.0.3", "upgrade")]

    def test_subpath_is_ignored(self, cs: ChangeSet) -> None:
        # new side: pkg:npm/%40types/node@18.14.1#types/node
        assert self.moved(cs, "pkg:npm/%40types/node@") == [("14.0.23", "18.14.1", "upgrade")]

    def test_downgrade(self, cs: ChangeSet) -> None:
        assert self.moved(cs, "pkg:npm/base64-arraybuffer@") == [("0.1.5", "0.1.4", "downgrade")]

    def test_multi_version_key_with_one_leftover_each(self, cs: ChangeSet) -> None:
        # semver: old {5.7.1, 6.3.0, 7.3.2}, new {5.7.1 x5, 6.3.0, 7.3.8}
        assert self.moved(cs, "pkg:npm/semver@") == [("7.3.2", "7.3.8", "upgrade")]
        # ms: old {2.0.0, 2.1.1, 2.1.2}, new {2.0.0, 2.1.2 x11, 2.1.3 x3}
        assert self.moved(cs, "pkg:npm/ms@") == [("2.1.1", "2.1.3", "upgrade")]

    def test_multi_version_key_with_several_leftovers_and_duplicates(self, cs: ChangeSet) -> None:
        # debug: old {2.6.9, 3.1.0, 3.2.6, 4.1.1}, new {2.6.9, 3.2.7, 4.3.4 x11}
        assert self.moved(cs, "pkg:npm/debug@") == []
        assert [
            c.version for c in cs.removed if c.purl and c.purl.startswith("pkg:npm/debug@")
        ] == [
            "3.1.0",
            "3.2.6",
            "4.1.1",
        ]
        assert [c.version for c in cs.added if c.purl and c.purl.startswith("pkg:npm/debug@")] == [
            "3.2.7",
            "4.3.4",
        ]
        # @types/debug is another package, not a version of debug
        assert any(c.purl == "pkg:npm/%40types/debug@4.1.7#types/debug" for c in cs.added)

    def test_licence_appearing_at_the_same_version(self, cs: ChangeSet) -> None:
        busboy = [c for c in cs.license_changed if c.before.name == "busboy"]
        assert [(c.before.version, c.before.licenses, c.after.licenses) for c in busboy] == [
            ("0.2.14", (), ("MIT",))
        ]

    def test_sha1_vs_sha512_is_never_a_hash_change(self, cs: ChangeSet) -> None:
        assert cs.hash_changed == ()

    def test_percent_encoded_and_literal_scope_match(self, tmp_path: Path) -> None:
        text = (ASSETS / "cdx14-juice-shop-v14.1.1-flat.bom.json").read_text(encoding="utf-8")
        assert text.count('"pkg:npm/%40dabh/diagnostics@2.0.3"') == 1
        literal = tmp_path / "literal-scope.json"
        literal.write_text(
            text.replace(
                '"pkg:npm/%40dabh/diagnostics@2.0.3"', '"pkg:npm/@dabh/diagnostics@2.0.3"'
            ),
            encoding="utf-8",
        )
        cs = diff(
            load(str(ASSETS / "cdx12-juice-shop-v11.1.2.bom.json")).components,
            load(str(literal)).components,
        )
        assert self.moved(cs, "pkg:npm/%40dabh/diagnostics@") == [("2.0.2", "2.0.3", "upgrade")]
        assert not any("diagnostics" in c.name for c in cs.added + cs.removed)


# --- cross-format: the same two environments, four formats --------------------------------------

PYENV = {
    "cdx-json-1.6": "pyenv-{}.cdx1.6.json",
    "cdx-json-1.4": "pyenv-{}.cdx1.4.json",
    "cdx-xml-1.6": "pyenv-{}.cdx1.6.xml",
    "cdx-xml-1.4": "pyenv-{}.cdx1.4.xml",
    "spdx": "pyenv-{}.spdx.json",
    "syft": "pyenv-{}.syft.json",
}
CYCLONEDX = [k for k in PYENV if k.startswith("cdx")]


def pyenv(kind: str, side: str) -> list[Component]:
    return list(load(str(ASSETS / PYENV[kind].format(side))).components)


@pytest.mark.parametrize("side", ["old", "new"])
@pytest.mark.parametrize("kind", CYCLONEDX[1:])
def test_cyclonedx_json_xml_and_spec_versions_agree(kind: str, side: str) -> None:
    reference = pyenv("cdx-json-1.6", side)
    other = pyenv(kind, side)
    assert diff(reference, other).is_empty
    # not just "no drift": the very same components, field by field
    assert [c.model_dump() for c in other] == [c.model_dump() for c in reference]


@pytest.mark.parametrize("new_kind", list(PYENV))
@pytest.mark.parametrize("old_kind", list(PYENV))
def test_old_to_new_across_any_two_formats(old_kind: str, new_kind: str) -> None:
    """old env: requests 2.31.0 + six; new: requests 2.32.3 + six + colorama (same deps)."""
    cs = diff(pyenv(old_kind, "old"), pyenv(new_kind, "new"))
    assert [(c.name, c.version, c.purl) for c in cs.added] == [
        ("colorama", "0.4.6", "pkg:pypi/colorama@0.4.6")
    ]
    assert cs.removed == ()
    assert pairs(cs) == [("requests", "2.31.0", "2.32.3", "upgrade")]
    assert cs.hash_changed == ()
    # Generators word licences differently: cyclonedx-py adds trove classifiers, the
    # SPDX/Syft documents carry METADATA's License field only (see assets/sboms/README.txt).
    changed = [c.before.name for c in cs.license_changed]
    if (old_kind in CYCLONEDX) == (new_kind in CYCLONEDX):
        assert changed == []
    else:
        assert changed == ["certifi", "idna", "urllib3"]


def test_relationships_from_each_format() -> None:
    direct = {"colorama", "requests", "six"}
    for kind in CYCLONEDX:
        rel = {c.name: c.relationship for c in pyenv(kind, "new")}
        assert rel == {n: "direct" if n in direct else "transitive" for n in rel}, kind
    rel = {c.name: c.relationship for c in pyenv("spdx", "new")}
    assert rel == {n: "direct" if n in direct else "unknown" for n in rel}
    assert "demo-app" not in rel  # the described root is the subject, not a component
    assert {c.relationship for c in pyenv("syft", "new")} == {"unknown"}


def test_generated_pair_has_exactly_the_planned_buckets(tmp_path: Path) -> None:
    """benchmarks/gen_sboms.py mutates real records by a seeded plan; the diff must find it.

    The expectation is the generator's plan (what it removed, bumped, relicensed, re-hashed,
    added), not a second implementation of the diff.
    """
    gen = load_script(Path(__file__).parent.parent / "benchmarks" / "gen_sboms.py", "gen_sboms")
    old, new, expected = gen.generate(4000, seed=3, sources=ASSETS)
    (tmp_path / "old.json").write_text(json.dumps(old), encoding="utf-8")
    (tmp_path / "new.json").write_text(json.dumps(new), encoding="utf-8")
    cs = diff(
        load(str(tmp_path / "old.json")).components, load(str(tmp_path / "new.json")).components
    )
    found = {bucket: len(getattr(cs, bucket)) for bucket in expected}
    assert found == expected
    assert expected["version_changed"] == 80
    assert {v.direction for v in cs.version_changed} == {"upgrade"}  # the plan only bumps
