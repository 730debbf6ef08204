"""The runner without processes: planning, stats, summaries, progress, and the lazy registry."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from bomhost.errors import ManifestError
from bomhost.model import ChangeSet, LicenseChange, PluginError, VersionChange
from bomhost.plugins.manifest import load_manifest
from bomhost.plugins.outcome import summarize_errors
from bomhost.plugins.registry import runtime_for
from bomhost.plugins.runner import distribution, plan, run_plugins
from tests.plugins.contract import comp, ctx
from tests.plugins.util import install, manifest


def test_plan_order_events_and_filter(tmp_path: Path) -> None:
    p = manifest(
        tmp_path,
        "x",
        protocol_version=2,
        invoke_on=["license-changed", "removed", "version-changed", "added"],
        ecosystems=["npm"],
    )
    vc = VersionChange(before=comp("b", "1"), after=comp("b", "2"))
    lc = LicenseChange(before=comp("d"), after=comp("d"))
    changes = ChangeSet(
        added=(comp("a"), comp("skipped", ecosystem="pypi")),
        removed=(comp("c"),),
        version_changed=(vc,),
        license_changed=(lc,),
    )
    calls = plan(p, 7, changes)
    assert [(c.plugin, c.event, c.subject) for c in calls] == [
        (7, "added", "pkg:npm/a@1.0.0"),
        (7, "version-changed", "pkg:npm/b@2"),
        (7, "removed", "pkg:npm/c@1.0.0"),
        (7, "license-changed", "pkg:npm/d@1.0.0"),
    ]
    assert calls[1].before == vc.before


def test_bomdrift_manifest_gets_added_and_version_changed_only(tmp_path: Path) -> None:
    p = manifest(tmp_path, "x")
    changes = ChangeSet(
        added=(comp("a"),),
        removed=(comp("c"),),
        license_changed=(LicenseChange(before=comp("d"), after=comp("d")),),
    )
    assert [c.event for c in plan(p, 0, changes)] == ["added"]


def test_distribution_is_nearest_rank() -> None:
    d = distribution([float(v) for v in range(100, 0, -1)])
    assert (d.p50, d.p95, d.max) == (50.0, 95.0, 100.0)
    one = distribution([3.14159])
    assert (one.p50, one.p95, one.max) == (3.142, 3.142, 3.142)


def test_summary_without_and_with_counts() -> None:
    errs = [
        PluginError(plugin_name="b", component_purl="x", error_kind="timeout", message="m"),
        PluginError(plugin_name="a", component_purl="y", error_kind="bad_output", message="m"),
        PluginError(plugin_name="b", component_purl="z", error_kind="bad_output", message="m"),
        PluginError(plugin_name="b", component_purl="w", error_kind="timeout", message="m"),
    ]
    assert summarize_errors(errs, {"a": 9, "b": 120}) == [
        "plugin b: 3 of 120 calls failed (2 timeout, 1 bad_output); see enrichment.plugin_errors",
        "plugin a: 1 of 9 calls failed (1 bad_output); see enrichment.plugin_errors",
    ]
    assert summarize_errors(errs[1:2]) == [
        "plugin a: 1 call failed (1 bad_output); see enrichment.plugin_errors"
    ]


class Recorder:
    """A real Progress implementation that remembers what it was told."""

    def __init__(self) -> None:
        self.total: int | None = None
        self.advanced = 0

    def start(self, total: int) -> None:
        self.total = total

    def advance(self) -> None:
        self.advanced += 1


def test_progress_is_told_every_call(tmp_path: Path) -> None:
    p = manifest(tmp_path, install(tmp_path, "behave.py"))
    rec = Recorder()
    changes = ChangeSet(added=(comp("none"), comp("garbage"), comp("finding-1")))
    run_plugins([p], changes, ctx(2), jobs=2, progress=rec)
    assert (rec.total, rec.advanced) == (3, 3)


def test_runtime_registry_is_lazy() -> None:
    assert runtime_for("external").name == "external"
    code = (
        "import sys, bomhost.plugins.runner, bomhost.plugins.external;"
        "sys.exit('wasmtime' in sys.modules)"
    )
    assert subprocess.run([sys.executable, "-c", code], check=False).returncode == 0


@pytest.mark.parametrize(
    ("body", "problem"),
    [
        ('name = "x"\nexec = "./x"\ntimeout_ms = 0', "timeout_ms"),
        ('name = "x"', "exec"),
        ('name = "x"\nexec = "./x"\ninvoke_on = ["removed"]', "protocol_version = 2"),
        ('name = "x"\nexec = "./x"\nprotocol_version = 2\ninvoke_on = ["deleted"]', "invoke_on"),
        ('name = "x"\nexec = "./x"\nmode = "persistent"', "persistent"),
        ('name = "x"\nexec = "./x\n', "invalid TOML"),
    ],
)
def test_bad_manifest_names_file_and_problem(tmp_path: Path, body: str, problem: str) -> None:
    path = tmp_path / "p.toml"
    path.write_text(f"[plugin]\n{body}\n", encoding="utf-8")
    with pytest.raises(ManifestError) as info:
        load_manifest(path)
    line = str(info.value)
    assert "\n" not in line
    assert line.startswith(str(path))
    assert problem in line


def test_unknown_key_warns_and_still_loads(tmp_path: Path) -> None:
    path = tmp_path / "p.toml"
    path.write_text('[plugin]\nname = "x"\nexec = "m.wasm"\ntimeout = 100\n', encoding="utf-8")
    loaded = load_manifest(path)
    assert loaded.warnings == (
        f"{path}: unknown key plugin.timeout ignored (bomdrift would ignore it silently)",
    )
    assert loaded.manifest.timeout_ms == 5000
    assert (loaded.manifest.runtime, loaded.manifest.protocol) == ("wasm", 2)
