"""What every reader shares: type checks that name the JSON path, and building a Component.

Readers check every value they take (right JSON type, or a ``SbomContentError`` naming the JSON
path) and then build models without pydantic validation. Measured on this machine: validating
the 50k components (with their hashes) of one side of the benchmark pair costs 0.28 s, so 0.55 s
of the 3 s budget for a pair; per object, validated ``Component(...)`` 2.2 us,
``model_construct`` 3.3 us (slower than validating), ``_build`` below 0.8 us. ``_build`` does
what ``model_construct`` does for a model whose every field is given: set ``__dict__`` and
pydantic's three slots. The checks establish what validation would (strings are str, hashes are
``Hash``, sequences are tuples, relationship is one of three literals), and
tests/sbom/test_readers.py re-validates every component of every asset to prove the objects are
indistinguishable from validated ones.

``gc_paused``: a 50k-component document is millions of small dicts and lists; the cyclic
collector re-scans them over and over while they are being created (none of them is garbage),
which measured at ~40% of the read time of a 50k-component file. Pausing it for the read and
the diff is the standard remedy; the previous state is always restored.
"""

from __future__ import annotations

import gc
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any, TypeVar

from pydantic import BaseModel

from bomhost.errors import SbomContentError
from bomhost.identity import ecosystem_for, normalize_hash_alg
from bomhost.model import Component, Hash, Relationship

_M = TypeVar("_M", bound=BaseModel)


# One fields-set per model class, shared by every instance ``_build`` makes: every field is always
# given, so it is the same set for all of them, and a private 10-name set per component was
# 728 bytes of 2 KB (290 MB of a 200k pair). Sharing is safe because these models are frozen:
# pydantic adds to the set only in ``__setattr__`` (refused when frozen), and ``model_copy``
# copies it before updating.
_FIELDS_SET: dict[type[BaseModel], set[str]] = {}


def _build(cls: type[_M], values: dict[str, Any]) -> _M:
    """An instance of ``cls`` from already-checked values for all of its fields (see module doc)."""
    obj = cls.__new__(cls)
    fields_set = _FIELDS_SET.get(cls)
    if fields_set is None:
        fields_set = _FIELDS_SET[cls] = set(cls.model_fields)
    object.__setattr__(obj, "__dict__", values)
    object.__setattr__(obj, "__pydantic_fields_set__", fields_set)
    object.__setattr__(obj, "__pydantic_extra__", None)
    object.__setattr__(obj, "__pydantic_private__", None)
    return obj


_HASH_FIELDS: set[str] = set(Hash.model_fields)
_COMPONENT_FIELDS: set[str] = set(Component.model_fields)
_set = object.__setattr__


def new_hash(alg: str, value: str) -> Hash:
    """``_build(Hash, ...)`` unrolled: it runs for every digest of every component."""
    obj = Hash.__new__(Hash)
    _set(obj, "__dict__", {"alg": alg, "value": value})
    _set(obj, "__pydantic_fields_set__", _HASH_FIELDS)
    _set(obj, "__pydantic_extra__", None)
    _set(obj, "__pydantic_private__", None)
    return obj


def new_component(values: dict[str, Any]) -> Component:
    """``_build(Component, values)`` unrolled; ``values`` in field order (see make_component)."""
    obj = Component.__new__(Component)
    _set(obj, "__dict__", values)
    _set(obj, "__pydantic_fields_set__", _COMPONENT_FIELDS)
    _set(obj, "__pydantic_extra__", None)
    _set(obj, "__pydantic_private__", None)
    return obj


class Interner:
    """Equal values built once, across both SBOMs of a diff: components, digests, licence lists.

    Why: the new SBOM of a pull request repeats almost every component of the old one, and each
    component costs ~1.5 KB (its dict, strings, digest objects). Handing the new side the old
    side's object whenever every field is equal halves the memory of a large pair, and lets the
    diff skip unchanged components by identity. Sharing is safe because components are frozen.

    A component is looked up by its purl (else its name) and reused only when its whole
    ``__dict__`` is equal, so the result is indistinguishable from building a new one; a
    digest by its value, reused only for the same algorithm. The tables hold references the
    documents hold anyway, and live only as long as the caller keeps the interner.
    """

    def __init__(self) -> None:
        self._raw: dict[bytes, Component] = {}
        self._components: dict[str, Component] = {}
        self._hashes: dict[str, Hash] = {}
        self._licenses: dict[tuple[str, ...], tuple[str, ...]] = {}

    def component(self, values: dict[str, Any]) -> Component:
        """``new_component(values)``, or an earlier component with exactly these values."""
        key = values["purl"] or values["name"]
        seen = self._components.get(key)
        if seen is not None and seen.__dict__ == values:
            return seen
        built = new_component(values)
        if seen is None:
            self._components[key] = built
        return built

    def known_raw(self, digest: bytes) -> Component | None:
        """The component made from a source entry whose bytes have this SHA-256 digest.

        A reader that can see an entry's bytes (CycloneDX JSON) skips decoding and building it
        when the other side had the very same bytes: most of a pull request's new SBOM. 256
        bits, so no crafted entry can collide with another and hide a change. SHA-256 rather
        than BLAKE2b: with the SHA extensions of current x86 and ARM CPUs it hashes a 48 MB
        document's entries in ~55 ms against ~100 ms.
        """
        return self._raw.get(digest)

    def remember_raw(self, digest: bytes, component: Component) -> None:
        """Record what the entry with these bytes made (the first one, if repeated)."""
        self._raw.setdefault(digest, component)

    def hash(self, alg: str, value: str) -> Hash:
        """``new_hash(alg, value)``, or an earlier equal digest."""
        seen = self._hashes.get(value)
        if seen is not None and seen.__dict__["alg"] == alg:
            return seen
        built = new_hash(alg, value)
        if seen is None:
            self._hashes[value] = built
        return built

    def licenses(self, names: list[str]) -> tuple[str, ...]:
        """``tuple(names)``, shared: a handful of licence lists cover most components."""
        value = tuple(names)
        return self._licenses.setdefault(value, value)


@contextmanager
def gc_paused() -> Iterator[None]:
    """Pause the cyclic garbage collector for a bulk build (see module doc)."""
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


def opt_str(obj: dict[str, Any], key: str, source: str, where: str) -> str | None:
    """``obj[key]`` if it is a string, None if absent or null; anything else is a content error."""
    value = obj.get(key)
    if value is None or isinstance(value, str):
        return value
    raise SbomContentError(source, f"{where}.{key}: expected a string, got {_kind(value)}")


def opt_list(obj: dict[str, Any], key: str, source: str, where: str) -> list[Any]:
    """``obj[key]`` if it is a list, [] if absent or null; anything else is a content error."""
    value = obj.get(key)
    if value is None:
        return []
    if isinstance(value, list):
        return value
    raise SbomContentError(source, f"{where}.{key}: expected a list, got {_kind(value)}")


def opt_obj(obj: dict[str, Any], key: str, source: str, where: str) -> dict[str, Any] | None:
    """``obj[key]`` if it is an object, None if absent or null; anything else is a content error."""
    value = obj.get(key)
    if value is None or isinstance(value, dict):
        return value
    raise SbomContentError(source, f"{where}.{key}: expected an object, got {_kind(value)}")


def need_obj(value: Any, source: str, where: str) -> dict[str, Any]:
    """``value`` itself must be an object (an array entry, say)."""
    if isinstance(value, dict):
        return value
    raise SbomContentError(source, f"{where}: expected an object, got {_kind(value)}")


def hash_list(
    obj: dict[str, Any], key: str, alg_key: str, value_key: str, source: str, where: str
) -> list[Hash]:
    """``obj[key]`` as ``Hash``es: a list of objects with string ``alg_key`` and ``value_key``.

    The algorithm is normalised as bomdrift does (``SHA-256`` -> ``sha256``). Paths in error
    messages are built only on error: this loop runs for every digest of every component.
    """
    raw = obj.get(key)
    if raw is None:
        return []
    if type(raw) is not list:
        raise SbomContentError(source, f"{where}.{key}: expected a list, got {_kind(raw)}")
    out: list[Hash] = []
    for i, item in enumerate(raw):
        if type(item) is dict:
            alg = item.get(alg_key)
            value = item.get(value_key)
            if type(alg) is str and alg and type(value) is str:
                out.append(new_hash(normalize_hash_alg(alg), value))
                continue
        raise SbomContentError(
            source,
            f"{where}.{key}[{i}]: expected an object with string {alg_key!r} and {value_key!r}",
        )
    return out


_STR_OR_NONE = frozenset({str, type(None)})


def str_fields(
    obj: dict[str, Any], keys: tuple[str, ...], source: str, where: str
) -> tuple[str | None, ...]:
    """``opt_str`` for several keys at once: one C-level type check in the common case."""
    values = tuple(map(obj.get, keys))
    if not set(map(type, values)) <= _STR_OR_NONE:
        for key in keys:
            opt_str(obj, key, source, where)  # raises for the first offending key
    return values


def make_component(
    *,
    name: str,
    version: str | None,
    purl: str | None,
    type_hint: str | None,
    licenses: list[str],
    supplier: str | None,
    hashes: list[Hash],
    relationship: Relationship,
    source_url: str | None,
    bom_ref: str | None,
) -> Component:
    """The one place a reader turns checked raw values into a ``Component`` (see module doc)."""
    purl = purl or None
    # Keys in field order: model_dump and the plugin envelope follow __dict__ order.
    return new_component(
        {
            "name": name,
            "version": version or "",
            "ecosystem": ecosystem_for(purl, type_hint),
            "purl": purl,
            "licenses": tuple(licenses),
            "supplier": supplier or None,
            "hashes": tuple(hashes),
            "relationship": relationship,
            "source_url": source_url or None,
            "bom_ref": bom_ref or None,
        }
    )


def require_name(name: str | None, purl: str | None, source: str, where: str) -> bool:
    """True if the entry has a name; False if it has neither name nor purl (skip and count).

    A purl without a name is an error, not a skip: every format requires the name, and a
    component with a purl is clearly meant to be one.
    """
    if name:
        return True
    if purl:
        raise SbomContentError(source, f"{where}.name: required, missing or empty")
    return False


def _kind(value: Any) -> str:
    """A JSON type name for error messages."""
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, int | float):
        return "a number"
    if isinstance(value, str):
        return "a string"
    if isinstance(value, list):
        return "an array"
    if isinstance(value, dict):
        return "an object"
    return "null"
