"""Persistent mode: one process per plugin for the run, JSON Lines, restarted once if it dies."""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Any

from bomhost.model import ChangeSet
from bomhost.plugins.manifest import LoadedManifest
from tests.plugins.contract import NOW_MS, comp, kinds, run
from tests.plugins.test_external import _gone
from tests.plugins.util import install, manifest


def persistent(tmp_path: Path, **fields: Any) -> LoadedManifest:
    fields.setdefault("timeout_ms", 30_000)
    return manifest(
        tmp_path,
        install(tmp_path, "behave_lines.py"),
        name="lines",
        protocol_version=2,
        mode="persistent",
        **fields,
    )


def seq(*names: str) -> ChangeSet:
    # Distinct versions keep the subjects apart when a name repeats.
    return ChangeSet(added=tuple(comp(n, f"{i}.0.0") for i, n in enumerate(names)))


def test_one_process_for_the_whole_run(tmp_path: Path) -> None:
    out = run([persistent(tmp_path)], seq(*["pid"] * 12), jobs=4)
    pids = {f.message for f in out.findings}
    assert len(out.findings) == 12
    assert len(pids) == 1
    pid = int(pids.pop())
    deadline = time.monotonic() + 5
    while not _gone(pid) and time.monotonic() < deadline:
        time.sleep(0.02)
    assert _gone(pid), "the persistent process outlived the run"


def test_request_is_one_protocol_2_line(tmp_path: Path) -> None:
    out = run([persistent(tmp_path, config={"k": "v"})], seq("echo"))
    req = json.loads(out.findings[0].message)
    assert req["protocol_version"] == 2
    assert req["config"] == {"k": "v"}
    assert req["run"] == {"bomhost_version": "0.1.0", "now_ms": NOW_MS}
    assert "\n" not in out.findings[0].message


def test_restarted_once_after_a_crash_then_given_up(tmp_path: Path) -> None:
    out = run([persistent(tmp_path)], seq("pid", "crash", "pid", "crash", "pid", "pid"))
    assert [f.component_purl for f in out.findings] == ["pkg:npm/pid@0.0.0", "pkg:npm/pid@2.0.0"]
    first, second = (f.message for f in out.findings)
    assert first != second  # a fresh process after the first crash
    assert [k for _, k in kinds(out)] == ["exit_status"] * 4
    assert out.errors[0].message == "persistent process exited with status 3 before answering: boom"
    assert out.errors[2].message.startswith("persistent process failed 2 times, not restarted")
    assert out.summary_lines() == [
        "plugin lines: 4 of 6 calls failed (4 exit_status); see enrichment.plugin_errors"
    ]


def test_timeout_kills_and_restarts(tmp_path: Path) -> None:
    out = run([persistent(tmp_path, timeout_ms=1_500)], seq("sleep", "pid"))
    assert kinds(out) == [("pkg:npm/sleep@0.0.0", "timeout")]
    assert (
        out.errors[0].message
        == "no answer within 1500 ms; process killed; restarted on the next call"
    )
    assert len(out.findings) == 1


def test_second_timeout_says_no_restart_is_left(tmp_path: Path) -> None:
    out = run([persistent(tmp_path, timeout_ms=500)], seq("sleep", "sleep", "pid"))
    assert [e.message for e in out.errors] == [
        "no answer within 500 ms; process killed; restarted on the next call",
        "no answer within 500 ms; process killed",
        "persistent process failed 2 times, not restarted (last: no answer within 500 ms; "
        "process killed)",
    ]


def test_bad_line_does_not_cost_the_process(tmp_path: Path) -> None:
    out = run([persistent(tmp_path)], seq("pid", "garbage", "badshape", "pid"))
    assert [k for _, k in kinds(out)] == ["bad_output", "bad_output"]
    assert len({f.message for f in out.findings}) == 1  # same process throughout


def test_spawn_failure_is_retried_once(tmp_path: Path) -> None:
    script = tmp_path / "broken.py"
    script.write_text("#!/nonexistent/python3\n")
    script.chmod(0o755)
    p = manifest(tmp_path, script, protocol_version=2, mode="persistent")
    out = run([p], seq("none", "none", "none"))
    assert [k for _, k in kinds(out)] == ["spawn_failed"] * 3
    assert "not restarted" in out.errors[2].message
