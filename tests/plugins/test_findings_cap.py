"""The findings count cap: one call returns at most 1,000 findings per component it carries.

Past the cap the call is ``output_too_large`` (one error per component, one sandbox event for a
WASM call), never a finding or an event per extra finding; other calls keep their findings.
"""

from __future__ import annotations

import json
from pathlib import Path

from bomhost.plugins.protocol import MAX_FINDINGS_PER_COMPONENT
from tests.plugins.contract import added, kinds, run
from tests.plugins.util import install, manifest
from tests.plugins.wasm.helpers import run as run_wasm
from tests.plugins.wasm.helpers import wat


def test_external_call_past_the_cap_fails_alone(tmp_path: Path) -> None:
    p = manifest(tmp_path, install(tmp_path, "behave.py"))
    out = run([p], added("finding-1000", "finding-1001"))
    assert kinds(out) == [("pkg:npm/finding-1001@1.0.0", "output_too_large")]
    assert (
        out.errors[0].message
        == "response has 1001 findings, more than the 1000 one call may return"
    )
    assert len(out.findings) == MAX_FINDINGS_PER_COMPONENT
    assert {f.component_purl for f in out.findings} == {"pkg:npm/finding-1000@1.0.0"}


def test_batch_cap_scales_with_the_components_sent(tmp_path: Path) -> None:
    p = manifest(
        tmp_path, install(tmp_path, "behave.py"), protocol_version=2, invoke="batch", batch_size=2
    )
    # 1,500 + 400 findings for two components: under 2 x 1,000, kept whole.
    out = run([p], added("finding-1500", "finding-400"))
    assert out.errors == ()
    assert len(out.findings) == 1900
    # 1,500 + 1,500: past 2,000, so both components of the call fail, with one message.
    out = run([p], added("finding-1500", "finding-1501"))
    assert [e.error_kind for e in out.errors] == ["output_too_large"] * 2
    assert out.errors[0].message.startswith("response has 3001 findings, more than the 2000")
    assert out.findings == ()


def test_wasm_call_past_the_cap_is_one_event(tmp_path: Path) -> None:
    one = {"kind": "x", "message": "m", "severity": "info", "rule_id": "x/1"}
    body = json.dumps({"findings": [one] * 5000}, separators=(",", ":"))
    module = tmp_path / "many_findings.wat"
    escaped = body.replace("\\", "\\\\").replace('"', '\\"')
    module.write_text(
        f"""(module
 (memory (export "memory") 8)
 (func (export "bomdrift_alloc") (param i32) (result i32) (i32.const 400000))
 (data (i32.const 16) "{escaped}")
 (func (export "bomdrift_enrich") (param i32 i32) (result i64)
   (i64.or (i64.shl (i64.const 16) (i64.const 32)) (i64.const {len(body)}))))
""",
        encoding="utf-8",
    )
    out = run_wasm([manifest(tmp_path, module, name="many"), wat(tmp_path, "good")], added("a"))
    assert kinds(out) == [("pkg:npm/a@1.0.0", "output_too_large")]
    assert [(f.plugin_name, f.rule_id) for f in out.findings] == [("good", "echo/seen")]
    assert [(e.rule_id, e.reason_code, e.context) for e in out.events] == [
        ("protocol.max_findings", "output_too_large", {"limit": 1000, "used": 5000})
    ]
