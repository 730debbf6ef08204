"""The orjson fast path of the JSON/SARIF renderer writes exactly the stdlib's bytes."""

from __future__ import annotations

import json
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from bomhost.report.json import dumps_pretty

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
