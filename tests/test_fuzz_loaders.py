"""Fuzzing the manifest and policy loaders and the plugin response decoder.

Whatever the input, the only exception is the loader's own one-line error (``ManifestError``,
``PolicyError``; ``BadResponse`` for a plugin's output), and each input is handled within the
Hypothesis deadline (5 s, documented in docs/threat-model.md). ``make test`` runs a short pass;
``make fuzz`` sets BOMHOST_FUZZ_EXAMPLES for a long one. Every crash found goes to
tests/assets/fuzz/ (run by tests/test_crash_corpus.py).
"""

from __future__ import annotations

import json
import math
import os
import tempfile
from datetime import timedelta
from pathlib import Path
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bomhost.errors import ManifestError, PolicyError
from bomhost.plugins.manifest import load_manifest
from bomhost.plugins.protocol import BadResponse, decode_response
from bomhost.policy.load import load_policy

FUZZ = settings(
    max_examples=int(os.environ.get("BOMHOST_FUZZ_EXAMPLES", "60")),
    deadline=timedelta(seconds=5),
    suppress_health_check=[HealthCheck.too_slow],
)

leaf = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(2**70), max_value=2**70),
    st.floats(allow_nan=False),
    st.text(max_size=16),
    st.sampled_from(["wasm", "external", "persistent", "inherit", "clean", "*", "bomdrift.log"]),
)
tomlish = st.recursive(
    leaf.filter(lambda v: v is not None),
    lambda inner: st.one_of(
        st.lists(inner, max_size=3), st.dictionaries(st.text(max_size=8), inner, max_size=3)
    ),
    max_leaves=12,
)
MANIFEST_KEYS = [
    "name",
    "exec",
    "type",
    "protocol_version",
    "invoke_on",
    "timeout_ms",
    "mode",
    "env",
    "env_allow",
    "sha256",
    "config",
    "description",
]
POLICY_KEYS = ["budgets", "imports", "fs", "net", "plugins"]


def _load(loader: Any, text: bytes, errors: tuple[type[Exception], ...]) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "x.toml"
        path.write_bytes(text)
        message = ""
        try:
            loader(path)
        except errors as exc:
            message = str(exc)
        assert "\n" not in message


def _value(v: Any) -> str:
    """TOML for a value: inline tables and arrays, JSON-escaped strings."""
    if isinstance(v, dict):
        return "{" + ", ".join(f"{json.dumps(k)} = {_value(x)}" for k, x in v.items()) + "}"
    if isinstance(v, list):
        return "[" + ", ".join(_value(x) for x in v) + "]"
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, float) and math.isinf(v):
        return "inf" if v > 0 else "-inf"
    return json.dumps(v)


def _toml(doc: dict[str, Any]) -> bytes:
    return "\n".join(f"{json.dumps(k)} = {_value(v)}" for k, v in doc.items()).encode()


@FUZZ
@given(st.one_of(st.binary(max_size=300), st.text(max_size=300).map(str.encode)))
def test_manifest_loader_raw_bytes(data: bytes) -> None:
    _load(load_manifest, data, (ManifestError,))


@FUZZ
@given(st.dictionaries(st.sampled_from(MANIFEST_KEYS), tomlish, max_size=8))
def test_manifest_loader_fields(table: dict[str, Any]) -> None:
    _load(load_manifest, _toml({"plugin": table}), (ManifestError,))


@FUZZ
@given(st.one_of(st.binary(max_size=300), st.text(max_size=300).map(str.encode)))
def test_policy_loader_raw_bytes(data: bytes) -> None:
    _load(load_policy, data, (PolicyError,))


@FUZZ
@given(st.dictionaries(st.sampled_from(POLICY_KEYS), tomlish, max_size=5))
def test_policy_loader_fields(doc: dict[str, Any]) -> None:
    _load(load_policy, _toml(doc), (PolicyError,))


@FUZZ
@given(
    st.one_of(
        st.binary(max_size=300),
        st.recursive(leaf, lambda i: st.lists(i, max_size=3), max_leaves=8).map(
            lambda v: repr({"findings": v}).replace("'", '"').encode()
        ),
        st.just(b'{"findings": [' + b"9" * 5001 + b"]}"),
    )
)
def test_response_decoder(data: bytes) -> None:
    message = ""
    try:
        decode_response(data)
    except BadResponse as exc:
        message = str(exc)
    assert "\n" not in message
