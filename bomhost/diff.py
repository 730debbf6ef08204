"""The SBOM diff: a pure function of two component lists to a ``ChangeSet``.

Pairing follows bomdrift (src/diff/mod.rs): components are grouped by ``match_key``; within one
key, versions present on both sides pair exactly (a licence difference there is a
``license_changed``). bomdrift reports a version change only for the one-version-each case; here
the leftovers after exact pairing are a version change whenever exactly one old and one new
version remain (``{1, 2} -> {2, 3}`` is ``1 -> 3``), which includes bomdrift's case. Any other
shape stays added/removed: pairing several leftovers would be a guess, and nothing is synthesised.

Beyond bomdrift: duplicate entries of one (key, version) count once (npm SBOMs repeat a package
once per place it is installed); ``hash_changed`` reports same-version digests that differ for an
algorithm present on both sides; ``VersionChange.direction`` says upgrade/downgrade/unknown.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from bomhost.identity import MatchKey, purl_key
from bomhost.model import (
    ChangeSet,
    Component,
    Direction,
    Hash,
    HashChange,
    LicenseChange,
    VersionChange,
)
from bomhost.sbom.common import gc_paused


def diff(old: Sequence[Component], new: Sequence[Component]) -> ChangeSet:
    """Compare ``old`` to ``new``; every bucket is sorted by match key, then version."""
    with gc_paused():
        return _diff(old, new)


def _diff(old: Sequence[Component], new: Sequence[Component]) -> ChangeSet:
    before = _group(old)
    after = _group(new)
    added: list[Component] = []
    removed: list[Component] = []
    version_changed: list[VersionChange] = []
    license_changed: list[LicenseChange] = []
    hash_changed: list[HashChange] = []

    def same_version(b: Component, a: Component) -> None:
        if b.licenses != a.licenses and frozenset(b.licenses) != frozenset(a.licenses):
            license_changed.append(LicenseChange(before=b, after=a))
        algorithms = _changed_hash_algorithms(b, a)
        if algorithms:
            hash_changed.append(HashChange(before=b, after=a, algorithms=algorithms))

    def version_change(b: Component, a: Component) -> None:
        version_changed.append(
            VersionChange(before=b, after=a, direction=direction(b.version, a.version))
        )

    for key in sorted(before.keys() | after.keys()):
        old_versions = before.get(key)
        new_versions = after.get(key)
        if new_versions is None:
            assert old_versions is not None
            removed.extend(old_versions[v] for v in sorted(old_versions))
            continue
        if old_versions is None:
            added.extend(new_versions[v] for v in sorted(new_versions))
            continue
        if len(old_versions) == 1 and len(new_versions) == 1:
            # The common case, kept off the set arithmetic below.
            ((old_version, b),) = old_versions.items()
            ((new_version, a),) = new_versions.items()
            if old_version == new_version:
                if b is not a:  # the same object: the readers shared an unchanged component
                    same_version(b, a)
            else:
                version_change(b, a)
            continue
        for version in sorted(old_versions.keys() & new_versions.keys()):
            same_version(old_versions[version], new_versions[version])
        only_old = sorted(old_versions.keys() - new_versions.keys())
        only_new = sorted(new_versions.keys() - old_versions.keys())
        if len(only_old) == 1 and len(only_new) == 1:
            version_change(old_versions[only_old[0]], new_versions[only_new[0]])
        else:
            removed.extend(old_versions[v] for v in only_old)
            added.extend(new_versions[v] for v in only_new)

    # Validated, and cheap: pydantic does not re-validate the Component instances inside.
    return ChangeSet(
        added=tuple(added),
        removed=tuple(removed),
        version_changed=tuple(version_changed),
        license_changed=tuple(license_changed),
        hash_changed=tuple(hash_changed),
    )


def _group(components: Sequence[Component]) -> dict[MatchKey, dict[str, Component]]:
    """key -> version -> component; the first entry of a duplicated (key, version) wins.

    ``match_key`` inlined (the same rule, tests/test_identity.py checks it): this loop runs for
    every component of both sides, and the call and attribute lookups were a third of it.
    """
    grouped: dict[MatchKey, dict[str, Component]] = {}
    setdefault = grouped.setdefault
    for component in components:
        fields = component.__dict__
        purl = fields["purl"]
        key = purl_key(purl) if purl else None
        versions = setdefault(
            (key, "") if key is not None else (fields["ecosystem"], fields["name"]), {}
        )
        if fields["version"] not in versions:
            versions[fields["version"]] = component
    return grouped


def _same_hash(x: Hash, y: Hash) -> bool:
    """Same algorithm and same digest, as written."""
    # ``__dict__`` holds exactly the two fields: one C-level dict comparison is ~3x faster than
    # comparing attributes in a generator (0.25 s of a 200k pair); pydantic's __eq__ is slower.
    return x.__dict__ == y.__dict__


def _changed_hash_algorithms(before: Component, after: Component) -> tuple[str, ...]:
    """Algorithms present on both sides whose digests differ (hex case is not a difference).

    An algorithm on one side only is no evidence of anything (generators differ in what they
    compute), so it is never reported. With several digests of one algorithm on a side, the
    sets of digests are compared.
    """
    if not before.hashes or not after.hashes:
        return ()
    if len(before.hashes) == len(after.hashes) and all(
        map(_same_hash, before.hashes, after.hashes)
    ):
        return ()  # the common case: identical digests in the same order
    old: dict[str, set[str]] = {}
    for h in before.hashes:
        old.setdefault(h.alg, set()).add(h.value.lower())
    new: dict[str, set[str]] = {}
    for h in after.hashes:
        new.setdefault(h.alg, set()).add(h.value.lower())
    return tuple(sorted(alg for alg in old.keys() & new.keys() if old[alg] != new[alg]))


# --- version direction ----------------------------------------------------------------------

_RELEASE = re.compile(r"(\d+(?:\.\d+)*)(.*)\Z", re.DOTALL)
_TOKENS = re.compile(r"\d+|[a-z]+")
_SUFFIX_CHARS = re.compile(r"[a-z0-9.\-_]*\Z")
# Pre-release tags in PEP 440 order (dev < a < b < rc); semver's alpha < beta < rc agrees.
_PRE_RANK: dict[str, int] = {
    "dev": 0,
    "snapshot": 0,
    "a": 1,
    "alpha": 1,
    "b": 2,
    "beta": 2,
    "m": 2,
    "milestone": 2,
    "c": 3,
    "rc": 3,
    "cr": 3,
    "pre": 3,
    "preview": 3,
}
_POST_TAGS = frozenset({"post", "rev", "r", "p", "patch", "sp"})
_FINAL_TAGS = frozenset({"final", "release", "ga"})
_UNKNOWN_TAG_RANK = 4

VersionKey = tuple[tuple[int, ...], int, tuple[tuple[int, int, str], ...]]


def version_key(version: str) -> VersionKey | None:
    """A sortable key for semver-ish / PEP 440-ish versions, or None when it cannot be read.

    ``(release numbers without trailing zeros, phase, suffix tokens)`` with phase 0 for a
    pre-release, 1 final, 2 post-release. Suffix tokens compare numbers below words (semver) and
    known words by PEP 440 rank. A leading ``v`` and ``+build`` metadata are ignored. Strings that
    do not start with a number, or glue an unknown word to the digits (a git hash such as
    ``0221fd4``), are unreadable: a direction is reported only when it means something.
    """
    text = version.strip().lower()
    if text[:1] == "v":
        text = text[1:]
    text = text.split("+", 1)[0]
    match = _RELEASE.match(text)
    if match is None:
        return None
    release = [int(part) for part in match.group(1).split(".")]
    while len(release) > 1 and release[-1] == 0:
        release.pop()
    suffix = match.group(2)
    if not suffix:
        return (tuple(release), 1, ())
    if _SUFFIX_CHARS.match(suffix) is None:
        return None
    words = _TOKENS.findall(suffix)
    if not words:  # only separators, e.g. "1.0."
        return None
    first = words[0]
    glued = suffix[0] not in ".-_"
    known = first in _PRE_RANK or first in _POST_TAGS or first in _FINAL_TAGS
    if glued and not first.isdigit() and not known:
        return None
    if first in _FINAL_TAGS and len(words) == 1:
        return (tuple(release), 1, ())
    phase = 2 if first in _POST_TAGS else 0
    if phase == 2:
        words = words[1:]
    tokens = tuple(
        (0, int(w), "") if w.isdigit() else (1, _PRE_RANK.get(w, _UNKNOWN_TAG_RANK), w)
        for w in words
    )
    return (tuple(release), phase, tokens)


def direction(old: str, new: str) -> Direction:
    """upgrade / downgrade when both versions are readable and differ in order, else unknown."""
    a, b = version_key(old), version_key(new)
    if a is None or b is None or a == b:
        return "unknown"
    return "upgrade" if b > a else "downgrade"
