"""The orjson fast path of the JSON/SARIF renderer writes exactly the stdlib's bytes."""

from __future__ import annotations

import json
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bomhost.model import Component, Hash
from bomhost.report.json import _component, dumps_pretty

_scalars = (
    st.none()
    | st.booleans()
    | st.integers(min_value=-(2**70), max_value=2**70)  # past 64 bits: the stdlib fallback
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text()
)
_values = st.recursive(
    _scalars,
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(), inner, max_size=4),
    max_leaves=20,
)


def _stdlib(value: Any) -> str:
    return json.dumps(value, indent=2, ensure_ascii=False, allow_nan=False) + "\n"


@settings(max_examples=300, deadline=None)
@given(_values)
def test_same_bytes_as_the_stdlib(value: Any) -> None:
    assert dumps_pretty(value) == _stdlib(value)


def test_non_string_keys_take_the_stdlib_path() -> None:
    assert dumps_pretty({1: "a"}) == _stdlib({1: "a"})


def test_floats_keep_pythons_repr() -> None:
    # orjson alone writes 0.0000117 and 1e+16 differently; the bytes must not change.
    value = {"a": 1.17e-05, "b": 1e16, "c": [0.1, -0.0, 123456789.0, 5e-324]}
    assert dumps_pretty(value) == _stdlib(value)


def test_values_only_the_stdlib_writes_take_its_path() -> None:
    for value in ({"big": 2**64}, {"neg": -(2**63) - 1}, [True, 2**64 - 1, -(2**63)]):
        assert dumps_pretty(value) == _stdlib(value)
    with pytest.raises(ValueError, match="Out of range float"):
        dumps_pretty({"nan": float("nan")})


@settings(max_examples=100, deadline=None)
@given(st.builds(Component, hashes=st.lists(st.builds(Hash)).map(tuple)))
def test_component_dict_is_model_dump(component: Component) -> None:
    assert _component(component) == component.model_dump(mode="json")
