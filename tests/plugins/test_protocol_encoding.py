"""The request encoder writes exactly the envelope the pydantic models define, byte for byte."""

from __future__ import annotations

import json

import pytest

from bomhost.model import Component, Event, Hash
from bomhost.plugins.protocol import RequestEncoder, RequestV1, RequestV2, RunInfo
from tests.report.test_json import COMPONENT_KEYS

RUN = RunInfo(bomhost_version="0.1.0", now_ms=1_700_000_000_000)
LEFT_PAD = Component(
    name="left-pad",
    version="1.0.0",
    ecosystem="npm",
    purl="pkg:npm/left-pad@1.0.0",
    licenses=("MIT",),
    hashes=(Hash(alg="sha256", value="ab" * 32),),
    relationship="direct",
)
ODD = Component(name='quo"te \\ ü 🚀', ecosystem="generic", supplier="Ünïcode <x@y>")
CONFIGS = [
    {},
    {"banned": ["pkg:npm/a", "pkg:pypi/ü"], "nested": {"n": 1, "f": 1.5, "t": True}},
]


@pytest.mark.parametrize("config", CONFIGS)
@pytest.mark.parametrize(("component", "before"), [(LEFT_PAD, None), (LEFT_PAD, ODD), (ODD, None)])
def test_encoder_matches_the_models(
    config: dict[str, object], component: Component, before: Component | None
) -> None:
    event: Event = "added" if before is None else "version-changed"
    v1 = RequestEncoder(1, config, RUN).encode(component, event, before)
    assert (
        v1 == RequestV1(component=component, event=event, before=before).model_dump_json().encode()
    )
    v2 = RequestEncoder(2, config, RUN).encode(component, event, before)
    expected = RequestV2(component=component, event=event, before=before, config=config, run=RUN)
    assert v2 == expected.model_dump_json().encode()
    assert json.loads(v2)["config"] == config


def test_protocol_1_is_bomdrifts_envelope_field_for_field() -> None:
    sent = json.loads(RequestEncoder(1, {"ignored": 1}, RUN).encode(LEFT_PAD, "added", None))
    assert list(sent) == ["protocol_version", "component", "event", "before"]
    assert list(sent["component"]) == COMPONENT_KEYS  # bomdrift's Component, in order


def test_batch_encoding_is_the_models_json() -> None:
    """The fast batch encoder writes exactly what RequestBatch serialises to."""
    from bomhost.model import Component
    from bomhost.plugins.protocol import BatchItem, RequestBatch, RequestEncoder, RunInfo

    run = RunInfo(bomhost_version="0.1.0", now_ms=1)
    a = Component(name="a", version="1", ecosystem="npm", purl="pkg:npm/a@1")
    b = Component(name='b\u00e9"', version="2", ecosystem="pypi")
    old = Component(name='b\u00e9"', version="1", ecosystem="pypi")
    items: list[tuple[str, Component, Event, Component | None]] = [
        ("pkg:npm/a@1", a, "added", None),
        ('b\u00e9"', b, "version-changed", old),
    ]
    model = RequestBatch(
        batch=tuple(
            BatchItem(component_purl=s, component=c, event=e, before=p) for s, c, e, p in items
        ),
        config={"k": [1]},
        run=run,
    )
    encoder = RequestEncoder(2, {"k": [1]}, run)
    assert encoder.encode_batch(items) == model.model_dump_json().encode()
