"""Hostile WAT modules against the sandbox, each in a run with a good plugin that must keep its findings."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import pytest

from bomhost.errors import PluginLoadError
from bomhost.model import ChangeSet, Finding, SandboxEvent
from bomhost.plugins.wasm import host
from bomhost.plugins.wasm.runtime import WasmRuntime
from bomhost.policy.model import Policy
from tests.plugins.contract import added, comp, kinds
from tests.plugins.util import manifest
from tests.plugins.wasm.helpers import ROOT, context, policy, run, wat

TWO = added("left-pad", "right-pad")


def good_findings(purls: list[str]) -> list[Finding]:
    return [
        Finding(
            plugin_name="good",
            component_purl=p,
            kind="echo",
            message="seen",
            severity="info",
            rule_id="echo/seen",
        )
        for p in purls
    ]


PURLS = ["pkg:npm/left-pad@1.0.0", "pkg:npm/right-pad@1.0.0"]

# module, budgets, error_kind, rule_id, reason_code, context keys that must carry numbers
HOSTILE: list[tuple[str, dict[str, int], str, str, str, set[str]]] = [
    (
        "fuel_burner",
        {"fuel": 200_000},
        "out_of_fuel",
        "budgets.fuel",
        "fuel_exhausted",
        {"limit", "used"},
    ),
    (
        "infinite_loop",
        {"timeout_ms": 200, "fuel": 10**15},
        "timeout",
        "budgets.timeout_ms",
        "wall_clock_timeout",
        {"limit", "elapsed"},
    ),
    (
        "memory_bomb",
        {"memory_bytes": 1 << 20},
        "memory_limit",
        "budgets.memory_bytes",
        "memory_limit",
        {"limit", "used"},
    ),
    ("deep_recursion", {}, "trap", "sandbox.trap", "stack_overflow", set()),
    ("init_trap", {}, "trap", "sandbox.trap", "unreachable", set()),
    ("oob_output", {}, "bad_output", "abi.bounds", "pointer_out_of_bounds", set()),
    ("log_oob", {}, "trap", "abi.bounds", "host_call_fault", set()),
    (
        "huge_output",
        {"max_output_bytes": 1024},
        "output_too_large",
        "budgets.max_output_bytes",
        "output_too_large",
        {"limit", "used"},
    ),
]


@pytest.mark.parametrize(
    ("stem", "budgets", "kind", "rule_id", "reason", "numbers"),
    HOSTILE,
    ids=[h[0] for h in HOSTILE],
)
def test_hostile_module_fails_alone(
    tmp_path: Path,
    stem: str,
    budgets: dict[str, int],
    kind: str,
    rule_id: str,
    reason: str,
    numbers: set[str],
) -> None:
    out = run([wat(tmp_path, stem), wat(tmp_path, "good")], TWO, policy(**budgets), jobs=2)
    assert kinds(out) == [(p, kind) for p in PURLS]
    assert list(out.findings) == good_findings(PURLS)
    denies = [e for e in out.events if e.plugin_name == stem]
    assert [(e.component_purl, e.decision, e.rule_id, e.reason_code) for e in denies] == [
        (p, "deny", rule_id, reason) for p in PURLS
    ]
    for event in denies:
        assert numbers <= set(event.context)
        assert all(isinstance(event.context[k], int) for k in numbers)
    assert out.stats[stem].count == 2
    assert out.stats["good"].count == 2


def test_fuel_event_reports_the_budget(tmp_path: Path) -> None:
    out = run([wat(tmp_path, "fuel_burner")], added("a"), policy(fuel=123_456))
    assert out.events[0].context == {"limit": 123_456, "used": 123_456}
    assert out.errors[0].message == "fuel budget of 123456 units exhausted"


def test_infinite_loop_stops_near_the_limit(tmp_path: Path) -> None:
    start = time.monotonic()
    out = run([wat(tmp_path, "infinite_loop")], added("a"), policy(timeout_ms=300, fuel=10**15))
    elapsed = time.monotonic() - start
    assert kinds(out) == [("pkg:npm/a@1.0.0", "timeout")]
    assert 0.3 <= elapsed < 0.6  # about 1.1x in practice; see benchmarks/bench_wasm.py
    assert out.events[0].context["elapsed"] >= 300


def test_manifest_timeout_only_lowers_the_policy(tmp_path: Path) -> None:
    lower = run(
        [wat(tmp_path, "infinite_loop", timeout_ms=100)],
        added("a"),
        policy(timeout_ms=5000, fuel=10**15),
    )
    assert lower.events[0].context["limit"] == 100
    higher = run(
        [wat(tmp_path, "infinite_loop", timeout_ms=9000)],
        added("a"),
        policy(timeout_ms=150, fuel=10**15),
    )
    assert higher.events[0].context["limit"] == 150


def test_memory_bomb_is_named_with_numbers(tmp_path: Path) -> None:
    out = run([wat(tmp_path, "memory_bomb")], added("a"), policy(memory_bytes=2 << 20))
    assert out.errors[0].message == (
        "memory limit of 2097152 bytes reached (memory.grow of 65536 bytes refused, 2097152 in use)"
    )
    assert out.events[0].context == {"limit": 2 << 20, "used": 2 << 20, "requested": 65536}
    assert out.stats["memory_bomb"].memory_bytes is not None
    assert out.stats["memory_bomb"].memory_bytes.max == 2 << 20


def test_traps_carry_the_trap_message(tmp_path: Path) -> None:
    out = run([wat(tmp_path, "deep_recursion"), wat(tmp_path, "init_trap")], added("a"))
    # The kind says "trap" already: the message is wasmtime's reason alone, so the terminal
    # line reads "trap: call stack exhausted", not "trap: trap: ...".
    assert [(e.error_kind, e.message) for e in out.errors] == [
        ("trap", "call stack exhausted"),
        ("trap", "wasm `unreachable` instruction executed"),
    ]


@pytest.mark.parametrize("stem", ["invalid_json", "invalid_utf8"])
def test_unparseable_output_is_bad_output(tmp_path: Path, stem: str) -> None:
    out = run([wat(tmp_path, stem), wat(tmp_path, "good")], TWO)
    assert kinds(out) == [(p, "bad_output") for p in PURLS]
    assert list(out.findings) == good_findings(PURLS)
    # The sandbox's log shows the refusal too, one deny event per call.
    assert [(e.component_purl, e.decision, e.rule_id, e.reason_code) for e in out.events] == [
        (p, "deny", "protocol.response", "bad_output") for p in PURLS
    ]


def test_log_flood_is_truncated_and_the_call_succeeds(tmp_path: Path) -> None:
    # 10,000 host calls cost 10,000 x HOST_CALL_FUEL (plus bytes): more than the default fuel.
    out = run([wat(tmp_path, "log_flood")], added("a"), policy(max_log_bytes=1000, fuel=10**9))
    assert out.errors == ()
    assert [f.kind for f in out.findings] == ["echo"]
    assert sum(len(line.message) for line in out.logs) == 1000
    assert out.events == (
        SandboxEvent(
            plugin_name="log_flood",
            component_purl="pkg:npm/a@1.0.0",
            decision="deny",
            rule_id="budgets.max_log_bytes",
            reason_code="log_limit",
            context={"limit": 1000, "used": 1_000_000},
        ),
    )


def test_no_state_survives_between_calls(tmp_path: Path) -> None:
    out = run([wat(tmp_path, "state")], added("a", "b", "c"), jobs=1)
    assert [f.message for f in out.findings] == ["call 1", "call 1", "call 1"]


def test_logs_reach_the_report(tmp_path: Path) -> None:
    out = run([wat(tmp_path, "good")], added("a"))
    assert [(line.plugin_name, line.level, line.message) for line in out.logs] == [
        ("good", "info", "hello from good")
    ]


def test_wasi_stdout_is_a_log_and_the_clock_is_the_runs(tmp_path: Path) -> None:
    # The module traps unless WASI's clock_time_get equals bomdrift.now_ms (deterministic time).
    out = run([wat(tmp_path, "wasi_print")], added("a"))
    assert out.errors == ()
    assert [(line.level, line.message) for line in out.logs] == [("info", "printed via wasi")]


def test_request_arrives_intact(tmp_path: Path) -> None:
    p = wat(tmp_path, "echo")
    out = run([p], added("a"))
    # The echo plugin answers with the request, which is not a response: the runner says why.
    assert kinds(out) == [("pkg:npm/a@1.0.0", "bad_output")]
    assert "findings" in out.errors[0].message
    inst = WasmRuntime().load(p, context())
    request = b'{"protocol_version":2,"x":"\xc3\xa9"}'
    result = inst.call(request, "s")
    assert result.output == request
    assert result.usage is not None
    assert result.usage.fuel is not None
    assert result.usage.fuel > 0


@pytest.mark.parametrize(
    ("stem", "name"),
    [("env_import", "env.system"), ("wasi_path_open", "wasi_snapshot_preview1.path_open")],
)
def test_disallowed_import_stops_the_run_before_any_call(
    tmp_path: Path, stem: str, name: str
) -> None:
    with pytest.raises(PluginLoadError) as err:
        run([wat(tmp_path, "good"), wat(tmp_path, stem)], TWO)
    assert str(err.value) == (
        f"plugin '{stem}': import {name} is not allowed by the policy (built-in default policy);"
        " the plugin was not run"
    )


def test_policy_can_grant_wasi_path_open(tmp_path: Path) -> None:
    from bomhost.policy.model import DEFAULT_IMPORTS, Imports, Policy

    granted = Policy(imports=Imports(allow=(*DEFAULT_IMPORTS, "wasi_snapshot_preview1.path_open")))
    out = run([wat(tmp_path, "wasi_path_open")], added("a"), granted)
    assert out.errors == ()
    assert len(out.findings) == 1


def test_allowed_but_unknown_import_is_refused(tmp_path: Path) -> None:
    from bomhost.policy.model import DEFAULT_IMPORTS, Imports, Policy

    granted = Policy(imports=Imports(allow=(*DEFAULT_IMPORTS, "env.system")), source="p.toml")
    with pytest.raises(
        PluginLoadError, match=r"import env\.system is not provided by bomhost \(policy p\.toml\)"
    ):
        run([wat(tmp_path, "env_import")], added("a"), granted)


def test_not_a_module_and_missing_exports_are_load_errors(tmp_path: Path) -> None:
    bad = tmp_path / "bad.wat"
    bad.write_text("(module (func $f))")
    with pytest.raises(
        PluginLoadError, match="missing export memory; missing export bomdrift_alloc"
    ):
        WasmRuntime().load(manifest(tmp_path, bad, name="x"), context())
    garbage = tmp_path / "garbage.wasm"
    garbage.write_bytes(b"\x00asm\x01\x00\x00\x00\xff")
    with pytest.raises(PluginLoadError, match="is not a valid WASM module"):
        WasmRuntime().load(manifest(tmp_path, garbage, name="y"), context())


def test_sha256_pin_is_enforced(tmp_path: Path) -> None:
    with pytest.raises(PluginLoadError, match="manifest pins"):
        WasmRuntime().load(wat(tmp_path, "good", sha256="0" * 64), context())


def test_parallel_calls_match_serial(tmp_path: Path) -> None:
    plugins = [wat(tmp_path, "good"), wat(tmp_path, "state"), wat(tmp_path, "log_flood")]
    changes = ChangeSet(added=tuple(comp(f"c{i}") for i in range(12)))
    # log_flood makes 10000 host calls per invocation; each needs the GIL, so under contention
    # it is slow: a generous timeout keeps this test about results, not speed.
    pol = policy(max_log_bytes=300, timeout_ms=60_000, fuel=10**9)
    serial = run(plugins, changes, pol, jobs=1)
    parallel = run(plugins, changes, pol, jobs=4)
    assert serial.errors == parallel.errors == ()
    assert parallel.findings == serial.findings
    assert len(serial.findings) == 36
    assert parallel.events == serial.events
    assert parallel.logs == serial.logs


def test_stats_let_a_user_size_budgets(tmp_path: Path) -> None:
    out = run([wat(tmp_path, "good")], added("a", "b", "c"))
    stats = out.stats["good"]
    assert stats.count == 3
    assert stats.fuel is not None
    # A few dozen operators plus one log call (HOST_CALL_FUEL + 15 bytes).
    assert host.HOST_CALL_FUEL + 15 < stats.fuel.p50 <= stats.fuel.max < host.HOST_CALL_FUEL + 1000
    assert stats.memory_bytes is not None
    assert stats.memory_bytes.max == 65536


def _inst(tmp_path: Path, stem: str, **budgets: Any) -> Any:
    return WasmRuntime().load(wat(tmp_path, stem), context(policy(**budgets)))


def test_call_never_raises_and_reports_usage(tmp_path: Path) -> None:
    result = _inst(tmp_path, "memory_bomb", memory_bytes=1 << 20).call(b"{}", "s")
    assert result.failure is not None
    assert result.failure.kind == "memory_limit"
    assert result.usage.memory_bytes == 1 << 20


def test_compiled_module_cache_is_used_and_survives_corruption(tmp_path: Path) -> None:
    cache = tmp_path / "cache"
    ctx = context()
    ctx = type(ctx)(**{**ctx.__dict__, "cache_dir": str(cache)})
    first = WasmRuntime()
    first.load(wat(tmp_path, "good"), ctx)
    assert first.engine(ctx).cache_hits == 0
    entries = list((cache / "wasm").glob("*.cwasm"))
    assert len(entries) == 1
    second = WasmRuntime()
    second.load(wat(tmp_path, "good"), ctx)
    assert second.engine(ctx).cache_hits == 1
    blob = entries[0].read_bytes()
    entries[0].write_bytes(blob[:-100] + b"\0" * 100)  # corrupt: checksum no longer matches
    third = WasmRuntime()
    result = third.load(wat(tmp_path, "good"), ctx).call(b"{}", "s")
    assert third.engine(ctx).cache_hits == 0
    assert result.failure is None
    assert entries[0].read_bytes() == blob  # rebuilt and rewritten


@pytest.mark.parametrize("memory_bytes", [64 << 20, 128 << 20])
@pytest.mark.parametrize("jobs", [1, 2])
def test_no_memory_survives_between_calls(tmp_path: Path, memory_bytes: int, jobs: int) -> None:
    # Each call looks for words the previous call left low in memory and 2 MiB up, then leaves
    # them: with the pooling allocator (64 MiB) a slot is reused, and must come back zeroed;
    # with a larger budget the run has no pool.
    out = run(
        [wat(tmp_path, "memory_residue")],
        added(*"abcdefgh"),
        policy(memory_bytes=memory_bytes),
        jobs=jobs,
    )
    assert out.errors == ()
    assert out.findings == ()


def test_the_pool_serves_every_budget_of_the_run_or_none(tmp_path: Path) -> None:
    def slots(pol: Policy) -> int:
        runtime = WasmRuntime()
        runtime.load(wat(tmp_path, "good"), context(pol, jobs=3)).close()
        return runtime.engine(context(pol)).pool_slots

    assert slots(Policy()) == 3  # one slot per thread; a caller's extra threads wait
    big = Policy.model_validate({"plugins": {"other": {"budgets": {"memory_bytes": 65 << 20}}}})
    assert slots(big) == 0  # one plugin's budget does not fit a slot: no pool for the run


def test_a_module_too_big_for_a_pool_slot_runs_without_the_pool(tmp_path: Path) -> None:
    # 68.75 MiB of memory at start does not fit a 64 MiB slot: the plugin still loads (on an
    # engine without the pool), each call fails on its memory budget, and a plugin beside it
    # keeps its findings. Granted the memory, it runs.
    big = wat(tmp_path, "big_initial_memory")
    out = run([big, wat(tmp_path, "good")], added("a"), jobs=2)
    assert kinds(out) == [("pkg:npm/a@1.0.0", "memory_limit")]
    assert [f.plugin_name for f in out.findings] == ["good"]
    assert run([big], added("a"), policy(memory_bytes=128 << 20)).errors == ()


def test_an_interrupt_inside_a_host_call_stops_the_run(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Ctrl-C lands in whatever Python runs; inside a host call it must not be swallowed as a
    # plugin fault: the guest is stopped (a trap) and the interrupt raised from the call.
    def interrupted(*_args: Any) -> int:
        raise KeyboardInterrupt

    index = host._INDEX[("bomdrift", "now_ms")]
    entry = host._ENTRIES[index]
    assert entry is not None
    entries = list(host._ENTRIES)
    entries[index] = (interrupted, *entry[1:])
    monkeypatch.setattr(host, "_ENTRIES", entries)
    plugin = manifest(tmp_path, ROOT / "benchmarks/plugins/log-clock/plugin.wat", name="lc")
    inst = WasmRuntime().load(plugin, context())
    with pytest.raises(KeyboardInterrupt):
        inst.call(b"{}", "s")
    inst.close()


def test_threads_beyond_the_pool_slots_wait_for_one(tmp_path: Path) -> None:
    # A caller may call one loaded plugin from more threads than the run planned (the pool has
    # one slot per planned thread): each call waits for a free slot instead of failing.
    from concurrent.futures import ThreadPoolExecutor

    inst = WasmRuntime().load(wat(tmp_path, "memory_residue"), context(jobs=1))
    with ThreadPoolExecutor(max_workers=8) as pool:
        results = list(pool.map(lambda n: inst.call(b"{}", f"s{n}"), range(64)))
    inst.close()
    assert [r.failure for r in results] == [None] * 64
    assert {r.output for r in results} == {b'{"findings":[]}'}


def test_ctrl_c_during_host_calls_stops_the_call(tmp_path: Path) -> None:
    # A real SIGINT while the guest spins on host calls: the call ends at once (not at its
    # 5 s timeout) and raises KeyboardInterrupt, instead of the interrupt being printed and
    # lost inside wasmtime's callback.
    import os
    import signal
    import threading

    pol = Policy.model_validate(
        {"budgets": {"timeout_ms": 5000, "fuel": 10**15}, "imports": {"allow": ["bomdrift.now_ms"]}}
    )
    inst = WasmRuntime().load(wat(tmp_path, "now_loop"), context(pol))
    timer = threading.Timer(0.3, os.kill, (os.getpid(), signal.SIGINT))
    started = time.monotonic()
    timer.start()
    try:
        with pytest.raises(KeyboardInterrupt):
            inst.call(b"{}", "s")
    finally:
        timer.cancel()
        inst.close()
    assert time.monotonic() - started < 2.5
