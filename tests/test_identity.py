"""Identity: purl match keys, ecosystem strings and hash algorithms, as a user would check them."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from packageurl import PackageURL

from bomhost import identity
from bomhost.identity import ecosystem_for, match_key, normalize_hash_alg, purl_key, purl_type
from bomhost.model import Component

ASSETS = Path(__file__).parent / "assets" / "sboms"


@pytest.mark.parametrize(
    ("left", "right"),
    [
        # npm scope: percent-encoded and literal "@" are one package; subpath and version ignored
        ("pkg:npm/%40babel/core@7.21.0", "pkg:npm/@babel/core@7.22.1"),
        (
            "pkg:npm/%40babel/helper-string-parser@7.19.4#packages/babel-helper-string-parser",
            "pkg:npm/@babel/helper-string-parser@7.19.4",
        ),
        # npm names and scopes are case-insensitive per the purl-spec npm definition
        ("pkg:npm/%40Angular/Core@1", "pkg:npm/@angular/core@2"),
        # PEP 503: case, "_" and "." runs fold to "-"
        ("pkg:pypi/Foo_Bar@1.0", "pkg:pypi/foo-bar@1.0"),
        ("pkg:pypi/zope.interface@5", "pkg:pypi/zope-interface@6"),
        ("pkg:pypi/a__b@1", "pkg:pypi/a-b@1"),
        # qualifiers are not identity (maven type=jar is the default anyway)
        ("pkg:maven/org.x/lib@1.0?type=jar", "pkg:maven/org.x/lib@2.0"),
        # type and scheme are case-insensitive
        ("PKG:NPM/left-pad@1", "pkg:npm/left-pad@1"),
        # golang and github fold case (purl-spec golang/github definitions)
        (
            "pkg:golang/github.com/BurntSushi/toml@v0.3.1",
            "pkg:golang/github.com/burntsushi/toml@v1",
        ),
        ("pkg:github/Package-URL/Purl-Spec@1", "pkg:github/package-url/purl-spec@2"),
        ("pkg:composer/Laravel/Framework@7", "pkg:composer/laravel/framework@8"),
        # tolerated slashes after the scheme and empty segments
        ("pkg:/npm//left-pad@1", "pkg:npm/left-pad"),
    ],
)
def test_equivalent_purls_have_one_key(left: str, right: str) -> None:
    assert purl_key(left) is not None
    assert purl_key(left) == purl_key(right)


@pytest.mark.parametrize(
    ("left", "right"),
    [
        # case-sensitive types keep case: two different Maven artifacts / NuGet ids / crates
        ("pkg:maven/org.x/Lib@1", "pkg:maven/org.x/lib@1"),
        ("pkg:cargo/Serde@1", "pkg:cargo/serde@1"),
        # different namespaces are different packages
        ("pkg:npm/%40a/x@1", "pkg:npm/%40b/x@1"),
        ("pkg:npm/x@1", "pkg:npm/%40x/x@1"),
        # same name, different type
        ("pkg:npm/six@1", "pkg:pypi/six@1"),
    ],
)
def test_different_packages_have_different_keys(left: str, right: str) -> None:
    assert purl_key(left) != purl_key(right)


def test_key_is_the_versionless_normalised_purl() -> None:
    assert purl_key("pkg:npm/%40babel/core@7.21.0?x=1#a/b") == "pkg:npm/@babel/core"
    assert purl_key("pkg:pypi/Django_Allauth@0.1") == "pkg:pypi/django-allauth"
    assert purl_key("pkg:golang/google.golang.org/genproto#googleapis/api") == (
        "pkg:golang/google.golang.org/genproto"
    )


@pytest.mark.parametrize(
    "bad", ["", "npm/left-pad", "pkg:", "pkg:npm", "pkg:npm/", "pkg:1x/a", "x"]
)
def test_unparseable_purls_have_no_key(bad: str) -> None:
    assert purl_key(bad) is None


def test_component_without_usable_purl_matches_on_ecosystem_and_name() -> None:
    a = Component(name="custom", version="1", ecosystem="cargo")
    b = Component(name="custom", version="2", ecosystem="cargo", purl="not a purl")
    c = Component(name="custom", version="1", ecosystem="npm")
    assert match_key(a) == match_key(b) == ("cargo", "custom")
    assert match_key(a) != match_key(c)


def test_bom_ref_is_never_an_identity() -> None:
    a = Component(name="x", ecosystem="npm", purl="pkg:npm/x@1", bom_ref="ref-1")
    b = Component(name="x", ecosystem="npm", purl="pkg:npm/x@2", bom_ref="ref-2")
    c = Component(name="y", ecosystem="npm", purl="pkg:npm/y@1", bom_ref="ref-1")
    assert match_key(a) == match_key(b)
    assert match_key(a) != match_key(c)


@pytest.mark.parametrize(
    ("purl", "fallback", "expected"),
    [
        ("pkg:npm/a@1", None, "npm"),
        ("pkg:pypi/a@1", None, "pypi"),
        ("pkg:cargo/a@1", None, "cargo"),
        ("pkg:maven/g/a@1", None, "maven"),
        ("pkg:golang/github.com/a/b@v1", None, "go"),
        ("pkg:gem/rails@7", None, "gem"),
        ("pkg:nuget/Newtonsoft.Json@13", None, "nuget"),
        ("pkg:composer/a/b@1", None, "composer"),
        ("pkg:deb/debian/libc6@2", "library", "deb"),  # other types: the type itself
        ("pkg:GOLANG/x/y@1", None, "go"),  # purl types are case-insensitive
        (None, "library", "library"),  # no purl: the component type
        ("garbage", "framework", "framework"),
        (None, None, "unknown"),
    ],
)
def test_ecosystem_strings_follow_bomdrift(
    purl: str | None, fallback: str | None, expected: str
) -> None:
    assert ecosystem_for(purl, fallback) == expected


@pytest.mark.parametrize(
    ("alg", "expected"),
    [
        ("SHA-1", "sha1"),
        ("sha1", "sha1"),
        ("SHA-256", "sha256"),
        ("SHA256", "sha256"),
        ("SHA-512", "sha512"),
        ("MD5", "md5"),
        ("SHA-384", "SHA-384"),
        ("BLAKE3", "BLAKE3"),
    ],
)
def test_hash_algorithms_normalise_like_bomdrift(alg: str, expected: str) -> None:
    assert normalize_hash_alg(alg) == expected


def _real_purls() -> list[str]:
    purls: set[str] = set()
    for path in sorted(ASSETS.glob("*.json")):
        doc = json.loads(path.read_text(encoding="utf-8"))
        for c in doc.get("components", []):
            if isinstance(c.get("purl"), str):
                purls.add(c["purl"])
    return sorted(purls)


def test_keys_agree_with_packageurl_python_on_every_real_purl() -> None:
    """The hand-rolled parser against the reference library, on ~1,700 real purls.

    Expected differences are the documented, deliberate ones: golang and npm namespaces fold
    case here, and pypi applies full PEP 503.
    """
    purls = _real_purls()
    assert len(purls) > 1500
    for purl in purls:
        ref = PackageURL.from_string(purl)
        namespace = ref.namespace or ""
        name = ref.name
        if ref.type in {"golang", "npm"}:
            namespace, name = namespace.lower(), name.lower()
        expected = "pkg:" + ref.type + "/" + (namespace + "/" if namespace else "") + name
        assert purl_key(purl) == expected, purl
        assert purl_type(purl) == ref.type


@settings(max_examples=3000, deadline=None)
@given(
    ptype=st.sampled_from(["npm", "pypi", "golang", "maven", "oci", "pub", "generic", "deb"]),
    path=st.text(alphabet="aZ0._-@/% \t\u3000\u00a0\u00e9+~", max_size=16),
)
def test_the_fast_normalisation_is_the_rule(ptype: str, path: str) -> None:
    # identity._normalized folds case without splitting when nothing needs decoding or
    # stripping; it must give what the general rule gives for every path.
    assert identity._normalized(ptype, path) == identity._normalized_general(ptype, path)
