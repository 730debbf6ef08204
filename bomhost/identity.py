"""Component identity: purl normalisation, ecosystem and hash-algorithm mapping, the match key.

Two SBOMs of the same project, made by different generators, spell the same package in
different ways (``pkg:npm/%40babel/core`` vs ``pkg:npm/@babel/core``, ``Foo_Bar`` vs ``foo-bar``
on PyPI, a ``#subpath`` or ``?type=jar`` qualifier on one side only). The diff pairs components by
``match_key``: the purl reduced to type, namespace and name, normalised per the purl-spec type
rules; or, with no usable purl, ``(ecosystem, name)``. ``bom-ref`` is never an identity.

The purl parser is hand-rolled rather than ``packageurl.PackageURL.from_string``: that one builds
a full object, parses and re-encodes qualifiers and costs ~15 us per purl, which alone would spend
1.5 s of the 3 s budget on a 50k-component pair. The rules below were checked against
packageurl-python on every purl of the real SBOMs in tests/assets (see tests/test_identity.py);
where they differ it is on purpose and said so next to the rule.
"""

from __future__ import annotations

import re
from functools import lru_cache
from urllib.parse import unquote

from bomhost.model import Component

# bomdrift's closed ecosystem set; any other purl type is reported as the type itself.
_ECOSYSTEM_BY_PURL_TYPE: dict[str, str] = {
    "npm": "npm",
    "pypi": "pypi",
    "cargo": "cargo",
    "maven": "maven",
    "golang": "go",
    "gem": "gem",
    "nuget": "nuget",
    "composer": "composer",
}

# purl-spec types whose namespace / name are case-insensitive and "must be lowercased".
# packageurl-python leaves golang and the npm scope as written; the purl-spec type definitions
# (types/golang-definition.json, types/npm-definition.json) mark both case_sensitive: false, and
# the Go toolchain itself refuses two modules that differ only in case in one build, so folding
# case cannot merge two real packages, while not folding it splits one package in two whenever
# two generators disagree on case.
_LOWER_NAMESPACE = frozenset(
    {
        "alpm",
        "apk",
        "bitbucket",
        "composer",
        "github",
        "gitlab",
        "golang",
        "hex",
        "luarocks",
        "npm",
        "pypi",
        "qpkg",
    }
)
_LOWER_NAME = _LOWER_NAMESPACE | {"bitnami", "oci", "pub"}

# PEP 503 name normalisation (the purl-spec pypi rule): runs of "-", "_", "." become one "-".
# packageurl-python only maps "_" to "-", which leaves ``zope.interface`` and ``zope-interface``
# apart although pip treats them as one project.
_PEP503_SEPARATORS = re.compile(r"[-_.]+")

# scheme (any case, slashes tolerated as the spec allows), type (letters, digits, ".+-_", not
# starting with a digit), then the path up to the qualifiers or subpath, whichever comes first.
_PURL = re.compile(r"[pP][kK][gG]:/*([A-Za-z.+\-_][A-Za-z0-9.+\-_]*)/([^?#]*)")

_HASH_ALGS: dict[str, str] = {
    "SHA-1": "sha1",
    "SHA1": "sha1",
    "SHA-256": "sha256",
    "SHA256": "sha256",
    "SHA-512": "sha512",
    "SHA512": "sha512",
    "MD5": "md5",
}

MatchKey = tuple[str, str]
"""``(normalised purl, "")`` when the purl is usable, else ``(ecosystem, name)``.

A name is never empty (readers skip such entries), so the two shapes cannot collide.
"""


def purl_type(purl: str) -> str | None:
    """The lower-cased type of a purl (``pkg:NPM/x`` -> ``npm``), or None if it is not a purl."""
    match = _PURL.match(purl)
    return match.group(1).lower() if match else None


def ecosystem_for(purl: str | None, fallback: str | None) -> str:
    """bomdrift's ecosystem string: the mapped purl type, else ``fallback``, else ``unknown``.

    ``fallback`` is the component type (CycloneDX ``type``, Syft ``type``, SPDX purpose). Unlike
    bomdrift the purl type is lower-cased first: purl types are case-insensitive by the spec.
    """
    if purl:
        ecosystem = _purl_ecosystem(purl)
        if ecosystem:
            return ecosystem
    return fallback or "unknown"


# ``pkg:npm`` -> ``npm``: the purl type depends only on the text before the first "/" (the type
# cannot contain one and must be followed by one), so it is looked up once per distinct prefix,
# not matched per component (0.4 -> 0.1 us). Bounded: a hostile file cannot grow it.
_ECOSYSTEM_BY_HEAD: dict[str, str | None] = {}
_HEAD_CACHE_MAX = 4096


def _purl_ecosystem(purl: str) -> str | None:
    slash = purl.find("/")
    if slash <= 4:  # "pkg:/..." (slashes after the scheme) or no path: match the whole purl
        ptype = purl_type(purl)
        return _ECOSYSTEM_BY_PURL_TYPE.get(ptype, ptype) if ptype else None
    head = purl[:slash]
    try:
        return _ECOSYSTEM_BY_HEAD[head]
    except KeyError:
        pass
    ptype = purl_type(head + "/")
    ecosystem = _ECOSYSTEM_BY_PURL_TYPE.get(ptype, ptype) if ptype else None
    if len(_ECOSYSTEM_BY_HEAD) < _HEAD_CACHE_MAX:
        _ECOSYSTEM_BY_HEAD[head] = ecosystem
    return ecosystem


def normalize_hash_alg(alg: str) -> str:
    """``SHA-256``/``sha256`` -> ``sha256`` (likewise sha1, sha512, md5); anything else as written."""
    return _HASH_ALGS.get(alg.upper(), alg)


@lru_cache(maxsize=1 << 18)
def purl_key(purl: str) -> str | None:
    """The purl without version, qualifiers and subpath, normalised; None if unparseable.

    The result is ``pkg:<type>/<namespace segments>/<name>`` with every segment percent-decoded
    (so ``%40scope`` and ``@scope`` agree) and case/separators folded per the type's rules. It is
    an identity for matching, not a purl to print: decoded segments are not re-encoded.
    Cached: the old and the new SBOM share most purls, so the second side is nearly all hits.
    """
    match = _PURL.match(purl)
    if match is None:
        return None
    path = match.group(2)
    # The version follows the last "@" of the last path segment. An "@" opening a segment is an
    # unencoded npm scope (``pkg:npm/@babel/core``), not a version separator.
    at = path.rfind("@")
    if at > path.rfind("/") + 1:
        path = path[:at]
    return _normalized(match.group(1).lower(), path)


def _normalized(ptype: str, path: str) -> str | None:
    """The per-type normalisation of a version-less purl path."""
    if (
        path
        and "%" not in path
        and " " not in path
        and path.isprintable()  # with no " ": no whitespace at all, so nothing to strip
        and "//" not in path
        and path[:1] != "/"
        and path[-1:] != "/"
    ):
        # Nearly every purl: non-empty segments, nothing to decode or strip, so the general
        # rule below reduces to case folding, done without splitting (2.2 -> 1.4 us a purl).
        cut = path.rfind("/") + 1
        namespace, name = path[:cut], path[cut:]
        if ptype in _LOWER_NAME:
            name = name.lower()
        if ptype == "pypi":
            name = _PEP503_SEPARATORS.sub("-", name)
        if ptype in _LOWER_NAMESPACE:
            namespace = namespace.lower()
        return "pkg:" + ptype + "/" + namespace + name
    return _normalized_general(ptype, path)


def _normalized_general(ptype: str, path: str) -> str | None:
    """The rule itself: segments percent-decoded and stripped, empty ones dropped, then folded."""
    segments = [unquote(seg).strip() if "%" in seg else seg.strip() for seg in path.split("/")]
    segments = [seg for seg in segments if seg]
    if not segments:
        return None
    name = segments[-1]
    namespace = segments[:-1]
    if ptype in _LOWER_NAME:
        name = name.lower()
    if ptype == "pypi":
        name = _PEP503_SEPARATORS.sub("-", name)
    if ptype in _LOWER_NAMESPACE:
        namespace = [seg.lower() for seg in namespace]
    return "pkg:" + ptype + "/" + "/".join([*namespace, name])


def match_key(component: Component) -> MatchKey:
    """What pairs a component across two SBOMs (see ``MatchKey``)."""
    if component.purl:
        key = purl_key(component.purl)
        if key is not None:
            return (key, "")
    return (component.ecosystem, component.name)
