"""The shipped banned-packages example, run as-is (its own shebang, banned.txt next to it)."""

from __future__ import annotations

from pathlib import Path

from bomhost.model import ChangeSet, Component, VersionChange
from bomhost.plugins.manifest import load_manifest
from tests.plugins.contract import comp, run

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "plugins" / "banned-packages"


def test_manifest_is_bomdrift_schema_only() -> None:
    loaded = load_manifest(EXAMPLE / "plugin.toml")
    assert loaded.warnings == ()
    m = loaded.manifest
    assert set(m.model_fields_set) == {"name", "description", "exec", "timeout_ms", "invoke_on"}


def test_prefix_rule() -> None:
    plugin = load_manifest(EXAMPLE / "plugin.toml")
    nameless = Component(name="left-pad", version="1.3.0", ecosystem="npm")
    vc = VersionChange(before=comp("event-stream", "3.3.5"), after=comp("event-stream", "3.3.6"))
    changes = ChangeSet(
        added=(
            comp("left-pad-plus", "1.0.0"),  # a prefix match, by design
            comp("lodash", "4.17.21"),
            nameless,  # no purl: never flagged
            comp("request", "2.88.2", "pypi"),
            comp("requests", "2.31.0", "pypi"),  # `pkg:pypi/request@` does not match
        ),
        version_changed=(vc,),
    )
    out = run([plugin], changes, jobs=2)
    assert out.errors == ()
    assert [(f.component_purl, f.rule_id, f.severity, f.kind) for f in out.findings] == [
        ("pkg:npm/left-pad-plus@1.0.0", "banned/pkg:npm/left-pad", "error", "banned"),
        ("pkg:pypi/request@2.88.2", "banned/pkg:pypi/request@", "error", "banned"),
        ("pkg:npm/event-stream@3.3.6", "banned/pkg:npm/event-stream@3.3.6", "error", "banned"),
    ]
    assert (
        out.findings[1].message == "pkg:pypi/request@2.88.2 matches banned prefix pkg:pypi/request@"
    )
