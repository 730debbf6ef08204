"""WAT plugins calling read_file and http_get through the real WASM runtime and plugin runner.

Each case builds a tiny module from tests/assets/wat/policy/host_call.wat (the argument, such as
a URL with the test server's port, is filled in here), runs it on real components under a real
policy file, and checks the finding the plugin wrote and the event the report would show.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from bomhost import __version__
from bomhost.errors import PluginLoadError
from bomhost.model import ChangeSet, Component
from bomhost.plugins.interface import RunContext
from bomhost.plugins.outcome import PluginOutcome
from bomhost.plugins.runner import run_plugins
from bomhost.policy.model import Policy
from tests.plugins.util import manifest

from .conftest import Server, write_policy

TEMPLATE = Path(__file__).resolve().parents[1] / "assets" / "wat" / "policy" / "host_call.wat"
GRANTS = (
    '[imports]\nallow = ["bomdrift.log", "bomdrift.read_file", "bomdrift.http_get"]\n'
    "[budgets]\ntimeout_ms = 2000\n"
)


def _components(n: int) -> ChangeSet:
    return ChangeSet(
        added=tuple(
            Component(name=f"c{i}", version="1.0.0", ecosystem="npm", purl=f"pkg:npm/c{i}@1.0.0")
            for i in range(n)
        )
    )


def _run(
    tmp: Path, policy: Policy, func: str, arg: str, n: int = 1, cap: int = 3000
) -> PluginOutcome:
    wat = (
        TEMPLATE.read_text(encoding="utf-8")
        .replace("@FUNC@", func)
        .replace("@ARG_LEN@", str(len(arg.encode())))
        .replace("@ARG@", arg)
        .replace("@CAP@", str(cap))
    )
    module = tmp / f"{func}.wat"
    module.write_text(wat, encoding="utf-8")
    plugin = manifest(tmp, module, name="probe")
    ctx = RunContext(bomhost_version=__version__, now_ms=0, policy=policy, jobs=1)
    return run_plugins([plugin], _components(n), ctx, jobs=1)


def _messages(outcome: PluginOutcome) -> list[str]:
    assert outcome.errors == ()
    return [f.message for f in outcome.findings]


def _reasons(outcome: PluginOutcome) -> list[tuple[str, str, str]]:
    return [(e.decision, e.rule_id, e.reason_code) for e in outcome.events]


@pytest.fixture
def files(tmp_path: Path) -> tuple[Path, Policy]:
    (tmp_path / "lists").mkdir()
    (tmp_path / "lists" / "banned.txt").write_text("left-pad event-stream")
    (tmp_path / "lists" / "big.txt").write_bytes(b"b" * 2000)
    (tmp_path / "secret.txt").write_text("TOKEN")
    os.symlink(tmp_path / "secret.txt", tmp_path / "lists" / "sneaky.txt")
    policy = write_policy(
        tmp_path,
        GRANTS
        + """
[[fs.read]]
id = "lists"
path = "lists"
max_bytes_per_invocation = 1000
max_bytes_per_run = 30
""",
    )
    return tmp_path, policy


def test_plugin_reads_an_allowed_file(files: tuple[Path, Policy]) -> None:
    tmp, policy = files
    out = _run(tmp, policy, "read_file", "lists/banned.txt")
    assert _messages(out) == ["left-pad event-stream"]
    assert _reasons(out) == [("allow", "lists", "fs_read")]
    assert out.events[0].component_purl == "pkg:npm/c0@1.0.0"


@pytest.mark.parametrize(
    "path", ["secret.txt", "lists/../secret.txt", "lists/sneaky.txt", "/etc/passwd"]
)
def test_plugin_is_denied_outside_its_rule(files: tuple[Path, Policy], path: str) -> None:
    tmp, policy = files
    out = _run(tmp, policy, "read_file", path)
    assert _messages(out) == ["E1"]
    assert _reasons(out) == [("deny", "fs.default", "fs_path_denied")]


def test_plugin_hits_the_quotas(files: tuple[Path, Policy]) -> None:
    tmp, policy = files
    assert _messages(_run(tmp, policy, "read_file", "lists/big.txt")) == ["E3"]
    # 21 bytes per component, 30 per run: the second component's read is refused.
    out = _run(tmp, policy, "read_file", "lists/banned.txt", n=2)
    assert _messages(out) == ["left-pad event-stream", "E3"]
    assert _reasons(out)[1] == ("deny", "lists", "fs_quota_exceeded")


def test_without_the_import_grant_the_plugin_is_refused(files: tuple[Path, Policy]) -> None:
    tmp, _ = files
    with pytest.raises(PluginLoadError, match=r"bomdrift\.read_file"):
        _run(tmp, Policy(), "read_file", "lists/banned.txt")


def _net_policy(tmp: Path, port: int) -> Policy:
    return write_policy(
        tmp,
        GRANTS
        + f"""
[[net.allow]]
id = "local"
scheme = "http"
host = "127.0.0.1"
port = {port}
max_requests = 2
timeout_ms = 300
""",
    )


def test_plugin_fetches_from_the_allowed_port(tmp_path: Path, server: Server) -> None:
    out = _run(
        tmp_path,
        _net_policy(tmp_path, server.port),
        "http_get",
        f"http://127.0.0.1:{server.port}/ok",
    )
    assert _messages(out) == ["hello"]
    assert _reasons(out) == [("allow", "local", "net_ok")]


@pytest.mark.parametrize(
    ("url", "reason"),
    [
        ("http://127.0.0.1:{other}/ok", "net_port_denied"),
        ("http://localhost:{port}/ok", "net_host_denied"),
    ],
)
def test_plugin_is_denied_elsewhere(tmp_path: Path, server: Server, url: str, reason: str) -> None:
    target = url.format(port=server.port, other=server.port + 1)
    out = _run(tmp_path, _net_policy(tmp_path, server.port), "http_get", target)
    assert _messages(out) == ["E1"]
    assert _reasons(out) == [("deny", "net.default", reason)]
    assert server.requests == []


def test_plugin_request_quota_and_slow_server(tmp_path: Path, server: Server) -> None:
    policy = _net_policy(tmp_path, server.port)
    out = _run(tmp_path, policy, "http_get", f"http://127.0.0.1:{server.port}/ok", n=3)
    assert _messages(out) == ["hello", "hello", "E3"]
    slow = _run(tmp_path, policy, "http_get", f"http://127.0.0.1:{server.port}/slow")
    assert _messages(slow) == ["E5"]
    assert _reasons(slow) == [("deny", "local", "net_timeout")]


def test_buffer_beyond_guest_memory_faults_before_the_broker_reads(
    files: tuple[Path, Policy],
) -> None:
    # The module has 128 KiB of memory and offers a 2 GiB buffer at 8192. Before the fix, the
    # broker read the whole file into host memory (up to 4 GiB) and logged it as delivered.
    tmp, policy = files
    out = _run(tmp, policy, "read_file", "lists/banned.txt", cap=0x7FFFFFFF)
    assert [(e.error_kind, e.message) for e in out.errors] == [
        (
            "trap",
            "bomdrift.read_file: guest range 0x2000+2147483647 lies outside its memory"
            " (131072 bytes)",
        )
    ]
    assert _reasons(out) == [("deny", "abi.bounds", "host_call_fault")]


def test_long_url_is_sent_whole_not_truncated(tmp_path: Path, server: Server) -> None:
    # Before the fix, a URL argument was cut at 4096 bytes and the shorter URL fetched.
    url = f"http://127.0.0.1:{server.port}/ok?" + "q" * 5000
    out = _run(tmp_path, _net_policy(tmp_path, server.port), "http_get", url)
    assert _messages(out) == ["hello"]
    assert server.requests == [url.split(str(server.port), 1)[1]]
