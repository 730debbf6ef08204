"""External per-call plugins: the envelope byte for byte, process groups, caps, env, loading."""

from __future__ import annotations

import hashlib
import json
import os
import sys
import time
from pathlib import Path

import pytest

from bomhost.errors import PluginLoadError
from bomhost.model import ChangeSet, Component, Hash, LicenseChange, VersionChange
from bomhost.plugins.external import PerCallPlugin
from tests.plugins.contract import NOW_MS, added, comp, kinds, run
from tests.plugins.util import install, manifest


def echo_of(outcome_message: str) -> object:
    return json.loads(outcome_message)


def test_v1_envelope_is_bomdrifts_byte_for_byte(tmp_path: Path) -> None:
    p = manifest(tmp_path, install(tmp_path, "behave.py"))
    before = Component(name="echo", version="1.0.0", ecosystem="npm", purl="pkg:npm/echo@1.0.0")
    after = Component(
        name="echo",
        version="1.1.0",
        ecosystem="npm",
        purl="pkg:npm/echo@1.1.0",
        licenses=("MIT",),
        hashes=(Hash(alg="sha256", value="ab12"),),
        relationship="direct",
    )
    changes = ChangeSet(
        added=(before,), version_changed=(VersionChange(before=before, after=after),)
    )
    out = run([p], changes)
    assert out.errors == ()
    messages = [f.message for f in out.findings]
    assert messages[0] == (
        '{"protocol_version":1,"component":{"name":"echo","version":"1.0.0","ecosystem":"npm",'
        '"purl":"pkg:npm/echo@1.0.0","licenses":[],"supplier":null,"hashes":[],'
        '"relationship":"unknown","source_url":null,"bom_ref":null},"event":"added","before":null}'
    )
    assert messages[1] == (
        '{"protocol_version":1,"component":{"name":"echo","version":"1.1.0","ecosystem":"npm",'
        '"purl":"pkg:npm/echo@1.1.0","licenses":["MIT"],"supplier":null,'
        '"hashes":[{"alg":"sha256","value":"ab12"}],"relationship":"direct","source_url":null,'
        '"bom_ref":null},"event":"version-changed","before":{"name":"echo","version":"1.0.0",'
        '"ecosystem":"npm","purl":"pkg:npm/echo@1.0.0","licenses":[],"supplier":null,'
        '"hashes":[],"relationship":"unknown","source_url":null,"bom_ref":null}}'
    )
    assert [f.component_purl for f in out.findings] == ["pkg:npm/echo@1.0.0", "pkg:npm/echo@1.1.0"]


def test_v2_envelope_adds_config_and_run_and_more_events(tmp_path: Path) -> None:
    p = manifest(
        tmp_path,
        install(tmp_path, "behave.py"),
        protocol_version=2,
        invoke_on=["license-changed", "removed", "added"],
        config={"banned": ["pkg:npm/left-pad"], "level": 2},
    )
    old = Component(name="echo", version="1.0.0", ecosystem="npm", licenses=("MIT",))
    new = Component(name="echo", version="1.0.0", ecosystem="npm", licenses=("ISC",))
    gone = Component(name="echo", version="9.0.0", ecosystem="pypi")
    changes = ChangeSet(
        added=(new,), removed=(gone,), license_changed=(LicenseChange(before=old, after=new),)
    )
    out = run([p], changes)
    got = [echo_of(f.message) for f in out.findings]
    # bomdrift's order first (added), then protocol 2's removed, then license-changed.
    assert [g["event"] for g in got] == ["added", "removed", "license-changed"]  # type: ignore[index]
    for g in got:
        assert g["protocol_version"] == 2  # type: ignore[index]
        assert g["config"] == {"banned": ["pkg:npm/left-pad"], "level": 2}  # type: ignore[index]
        assert g["run"] == {"bomhost_version": "0.1.0", "now_ms": NOW_MS}  # type: ignore[index]
    assert got[1]["component"]["version"] == "9.0.0"  # type: ignore[index]
    assert got[1]["before"] is None  # type: ignore[index]
    assert got[2]["before"]["licenses"] == ["MIT"]  # type: ignore[index]


def test_ecosystems_filter_and_invoke_on(tmp_path: Path) -> None:
    p = manifest(tmp_path, install(tmp_path, "behave.py"), ecosystems=["PyPI"], invoke_on=["added"])
    a, b = comp("finding-1", ecosystem="npm"), comp("finding-1", ecosystem="pypi")
    vc = VersionChange(
        before=comp("finding-2", ecosystem="pypi"), after=comp("finding-2", "2", "pypi")
    )
    out = run([p], ChangeSet(added=(a, b), version_changed=(vc,)))
    assert [f.component_purl for f in out.findings] == ["pkg:pypi/finding-1@1.0.0"]
    assert out.stats[p.name].count == 1


def test_plugins_run_in_cli_order(tmp_path: Path) -> None:
    script = install(tmp_path, "behave.py")
    first = manifest(tmp_path, script, name="zz-first")
    second = manifest(tmp_path, script, name="aa-second")
    out = run([first, second], added("finding-1", "finding-2"), jobs=3)
    assert [(f.plugin_name, f.component_purl, f.rule_id) for f in out.findings] == [
        ("zz-first", "pkg:npm/finding-1@1.0.0", "test/0"),
        ("zz-first", "pkg:npm/finding-2@1.0.0", "test/0"),
        ("zz-first", "pkg:npm/finding-2@1.0.0", "test/1"),
        ("aa-second", "pkg:npm/finding-1@1.0.0", "test/0"),
        ("aa-second", "pkg:npm/finding-2@1.0.0", "test/0"),
        ("aa-second", "pkg:npm/finding-2@1.0.0", "test/1"),
    ]


def _gone(pid: int) -> bool:
    """True once ``pid`` no longer runs (a zombie waiting for init counts as gone)."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except FileNotFoundError:
        return True
    return stat.rsplit(")", 1)[1].split()[0] in ("Z", "X")


@pytest.mark.parametrize(("name", "kind"), [("grandchild", "timeout"), ("grandchild-exit", None)])
def test_no_grandchild_survives(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, name: str, kind: str | None
) -> None:
    marker = tmp_path / "marker"
    monkeypatch.setenv("BOMHOST_TEST_MARKER", str(marker))
    timeout = 1_500 if kind == "timeout" else 30_000
    p = manifest(tmp_path, install(tmp_path, "behave.py"), timeout_ms=timeout)
    start = time.monotonic()
    out = run([p], added(name))
    assert [k for _, k in kinds(out)] == ([kind] if kind else [])
    pid = int((tmp_path / "marker.pid").read_text())
    deadline = time.monotonic() + 5
    while not _gone(pid) and time.monotonic() < deadline:
        time.sleep(0.02)
    assert _gone(pid), "the grandchild outlived the plugin call"
    time.sleep(max(0.0, start + 2.8 - time.monotonic()))  # it writes the marker after 2.5 s
    assert not marker.exists()


@pytest.mark.parametrize("name", ["escape", "escape-exit"])
def test_no_escaped_grandchild_survives(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, name: str
) -> None:
    # A grandchild that calls setsid() leaves the process group the kill reaches, and held
    # stdout open: before, it outlived bomhost, and an answered call was reported as timeout.
    marker = tmp_path / "marker"
    monkeypatch.setenv("BOMHOST_TEST_MARKER", str(marker))
    p = manifest(
        tmp_path, install(tmp_path, "behave.py"), timeout_ms=1_500 if name == "escape" else 10_000
    )
    start = time.monotonic()
    out = run([p], added(name, "finding-1"))
    elapsed = time.monotonic() - start
    pid = int((tmp_path / "marker.pid").read_text())
    assert _gone(pid), "the escaped grandchild outlived the plugin call"
    killed = f"pid {pid} (sh), pid "  # the shell and its sleep
    if name == "escape":
        [(kind, message)] = [(e.error_kind, e.message) for e in out.errors]
        assert kind == "timeout"
        assert message.startswith(f"no answer within 1500 ms; process group killed, and {killed}")
    else:
        assert elapsed < 5  # the answer is used at once, not after the timeout
        assert out.errors == ()
        [(level, message)] = [(log.level, log.message) for log in out.logs]
        assert level == "warning"
        assert message.startswith(f"plugin exited leaving processes running; killed {killed}")
    assert [f.component_purl for f in out.findings] == ["pkg:npm/finding-1@1.0.0"]
    time.sleep(max(0.0, start + 2.8 - time.monotonic()))  # it writes the marker after 2.5 s
    assert not marker.exists()


def test_crash_reports_status_and_keeps_stderr_tail(tmp_path: Path) -> None:
    p = manifest(tmp_path, install(tmp_path, "behave.py"))
    out = run([p], added("crash", "finding-1"))
    assert out.errors[0].message == "exited with status 3: boom"
    # stderr is kept for the failed call only.
    assert [(log.component_purl, log.level, log.message) for log in out.logs] == [
        ("pkg:npm/crash@1.0.0", "stderr", "starting\nboom")
    ]


def test_stderr_flood_neither_deadlocks_nor_grows(tmp_path: Path) -> None:
    p = manifest(tmp_path, install(tmp_path, "behave.py"))
    out = run([p], added("stderr-flood"))
    assert out.errors == ()  # 8 MiB of stderr was drained while the plugin ran
    assert out.logs == ()  # and not kept, since the call succeeded
    inst = PerCallPlugin(p, stderr_cap=1000)
    request = b'{"component":{"name":"stderr-flood","purl":null}}'
    result = inst.call(request, "x")
    assert result.failure is None
    assert len(result.logs[0].message) <= 1000


def test_stdout_cap_is_configurable(tmp_path: Path) -> None:
    p = manifest(tmp_path, install(tmp_path, "behave.py"))
    inst = PerCallPlugin(p, stdout_cap=10)
    result = inst.call(b'{"component":{"name":"finding-3","purl":null}}', "x")
    assert result.failure is not None
    assert result.failure.kind == "output_too_large"
    assert result.failure.message.startswith("stdout exceeded 10 bytes")


def test_spawn_failure_is_recorded(tmp_path: Path) -> None:
    script = tmp_path / "broken.py"
    script.write_text("#!/nonexistent/python3\n")
    script.chmod(0o755)
    p = manifest(tmp_path, script)
    out = run([p], added("none", "none2"))
    assert kinds(out) == [
        ("pkg:npm/none@1.0.0", "spawn_failed"),
        ("pkg:npm/none2@1.0.0", "spawn_failed"),
    ]
    assert out.errors[0].message == (
        f"cannot start {script}: interpreter of '#!/nonexistent/python3' not found"
    )


def test_env_inherited_by_default(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("BOMHOST_TEST_SECRET", "s3cret")
    p = manifest(tmp_path, install(tmp_path, "behave.py"))
    out = run([p], added("env"))
    assert "BOMHOST_TEST_SECRET" in out.findings[0].message.split()


def test_env_clean_keeps_only_allowed(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("BOMHOST_TEST_SECRET", "s3cret")
    monkeypatch.setenv("BOMHOST_TEST_KEEP", "1")
    p = manifest(
        tmp_path,
        install(tmp_path, "behave.py"),
        env="clean",
        env_allow=["BOMHOST_TEST_KEEP", "NOT_SET_ANYWHERE"],
    )
    out = run([p], added("env"))
    names = out.findings[0].message.split()
    assert "BOMHOST_TEST_KEEP" in names
    assert "BOMHOST_TEST_SECRET" not in names
    assert "PATH" not in names
    assert "HOME" not in names


def test_load_refuses_missing_or_non_executable(tmp_path: Path) -> None:
    with pytest.raises(PluginLoadError, match="does not exist"):
        run([manifest(tmp_path, tmp_path / "nope.py")], added("none"))
    script = tmp_path / "plain.py"
    script.write_text("print()\n")
    with pytest.raises(PluginLoadError, match="not executable"):
        run([manifest(tmp_path, script)], added("none"))


def test_sha256_pin(tmp_path: Path) -> None:
    script = install(tmp_path, "behave.py")
    digest = hashlib.sha256(script.read_bytes()).hexdigest()
    ok = manifest(tmp_path, script, name="ok", sha256=digest.upper())
    assert len(run([ok], added("finding-1")).findings) == 1
    bad = manifest(tmp_path, script, name="bad", sha256="0" * 64)
    with pytest.raises(PluginLoadError, match=f"sha256 of .* is {digest}, manifest pins 0000"):
        run([bad], added("finding-1"))


def test_all_plugins_load_before_any_call(tmp_path: Path) -> None:
    marker = tmp_path / "called"
    script = tmp_path / "touch.py"
    script.write_text(f"#!{sys.executable} -S\nopen({str(marker)!r}, 'w').close()\n")
    script.chmod(0o755)
    first = manifest(tmp_path, script, name="first")
    second = manifest(tmp_path, tmp_path / "missing", name="second")
    with pytest.raises(PluginLoadError, match="'second'"):
        run([first, second], added("none"))
    assert not marker.exists()


def test_no_plugins_no_work() -> None:
    out = run([], added("none"))
    assert out.findings == ()
    assert out.errors == ()
    assert out.stats == {}


def test_stats_cover_every_call(tmp_path: Path) -> None:
    p = manifest(tmp_path, install(tmp_path, "behave.py"))
    out = run([p], added("none", "finding-1", "garbage"), jobs=2)
    st = out.stats[p.name]
    assert st.count == 3
    assert st.elapsed_ms is not None
    assert 0 < st.elapsed_ms.p50 <= st.elapsed_ms.p95 <= st.elapsed_ms.max
    assert st.fuel is None


def test_fd_and_process_hygiene(tmp_path: Path) -> None:
    """Hundreds of calls leave no fds or zombie children behind."""
    p = manifest(tmp_path, install(tmp_path, "behave.py"))
    before = len(os.listdir("/proc/self/fd"))
    run([p], added(*[f"finding-{i % 3}" for i in range(40)], "crash", "garbage"), jobs=4)
    assert len(os.listdir("/proc/self/fd")) == before
    with pytest.raises(ChildProcessError):
        os.waitpid(-1, os.WNOHANG)


@pytest.mark.parametrize("mode", ["per-call", "persistent"])
def test_request_larger_than_a_pipe_buffer(tmp_path: Path, mode: str) -> None:
    """A 300 KB request is written while the answer is read: no deadlock either way."""
    script = "behave.py" if mode == "per-call" else "behave_lines.py"
    p = manifest(tmp_path, install(tmp_path, script), protocol_version=2, mode=mode)
    big = Component(
        name="echo",
        version="1",
        ecosystem="npm",
        licenses=tuple(f"LicenseRef-{i:05d}" for i in range(20_000)),
    )
    out = run([p], ChangeSet(added=(big,)))
    assert out.errors == ()
    echoed = json.loads(out.findings[0].message)
    assert len(out.findings[0].message) > 300_000
    assert echoed["component"]["licenses"][-1] == "LicenseRef-19999"


def test_pinned_exec_runs_the_hashed_bytes_even_if_swapped(tmp_path: Path) -> None:
    # The pin used to be checked on the file, which was then executed by path: a swap in
    # between ran unverified code. Now the hashed bytes run, from a sealed in-memory copy.
    script = install(tmp_path, "behave.py")
    digest = hashlib.sha256(script.read_bytes()).hexdigest()
    pinned = manifest(tmp_path, script, name="pinned", sha256=digest)
    evil = f"#!{sys.executable} -S\nprint('{{\"findings\": []}}')\n"
    inst = PerCallPlugin(pinned)  # loaded: pin checked
    try:
        script.write_text(evil, encoding="utf-8")  # rewritten in place
        replacement = tmp_path / "swap.py"
        replacement.write_text(evil, encoding="utf-8")
        replacement.chmod(0o755)
        os.replace(replacement, script)  # and swapped for another file
        got = inst.call(json.dumps(REQUEST_FINDING_1).encode(), "pkg:npm/finding-1@1.0.0")
    finally:
        inst.close()
    assert got.failure is None
    assert len(json.loads(got.output)["findings"]) == 1  # behave.py's answer, not the swap's
    assert inst.exec_path.startswith("/proc/self/fd/")


REQUEST_FINDING_1 = {
    "protocol_version": 1,
    "component": {"name": "finding-1", "version": "1.0.0", "purl": "pkg:npm/finding-1@1.0.0"},
    "event": "added",
}
