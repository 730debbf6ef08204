"""read_file through the broker: rules, escapes by .. and symlink, quotas, buffer sizes, events."""

from __future__ import annotations

import os
import threading
import time
from pathlib import Path

import pytest

from bomhost.policy.broker import DENIED, NOT_FOUND, QUOTA, TOO_SMALL, Broker, InvocationBroker
from bomhost.policy.model import Policy

from .conftest import write_policy

FAR = 1e12  # a deadline that never comes: file reads do not depend on it


@pytest.fixture
def tree(tmp_path: Path) -> Path:
    """policy.toml next to lists/ (allowed folder), one.txt (allowed file) and secret.txt."""
    (tmp_path / "lists").mkdir()
    (tmp_path / "lists" / "banned.txt").write_text("left-pad\nevent-stream\n")
    (tmp_path / "lists" / "big.txt").write_bytes(b"y" * 5000)
    (tmp_path / "one.txt").write_text("one")
    (tmp_path / "secret.txt").write_text("TOKEN")
    return tmp_path


def _policy(tree: Path, extra: str = "") -> Policy:
    return write_policy(
        tree,
        """
[[fs.read]]
id = "lists"
path = "lists"
max_bytes_per_invocation = 3000
max_bytes_per_run = 4000

[[fs.read]]
id = "one-file"
path = "one.txt"
"""
        + extra,
    )


def _inv(policy: Policy, plugin: str = "p", broker: Broker | None = None) -> InvocationBroker:
    return (broker or Broker(policy)).for_invocation(plugin, "pkg:npm/left-pad@1.0.0", FAR)


def test_allowed_file_in_folder_and_single_file(tree: Path) -> None:
    inv = _inv(_policy(tree))
    assert inv.read_file("lists/banned.txt", 1024) == b"left-pad\nevent-stream\n"
    assert inv.read_file(str(tree / "one.txt"), 1024) == b"one"
    assert [(e.decision, e.rule_id, e.reason_code) for e in inv.events] == [
        ("allow", "lists", "fs_read"),
        ("allow", "one-file", "fs_read"),
    ]
    first = inv.events[0]
    assert first.plugin_name == "p"
    assert first.component_purl == "pkg:npm/left-pad@1.0.0"
    assert first.context["bytes"] == 22
    assert first.context["resolved"] == str(tree / "lists" / "banned.txt")


def test_file_outside_every_rule_is_denied(tree: Path) -> None:
    inv = _inv(_policy(tree))
    assert inv.read_file("secret.txt", 1024) == DENIED
    assert inv.read_file("/etc/passwd", 1024) == DENIED
    assert inv.read_file("", 1024) == DENIED
    assert inv.read_file("lists/\0banned.txt", 1024) == DENIED
    assert {(e.decision, e.rule_id, e.reason_code) for e in inv.events} == {
        ("deny", "fs.default", "fs_path_denied")
    }


def test_dotdot_escape_is_denied_and_named(tree: Path) -> None:
    inv = _inv(_policy(tree))
    assert inv.read_file("lists/../secret.txt", 1024) == DENIED
    event = inv.events[0]
    assert event.reason_code == "fs_path_denied"
    assert event.context["resolved"] == str(tree / "secret.txt")


def test_symlink_escape_is_denied_and_named(tree: Path) -> None:
    os.symlink(tree / "secret.txt", tree / "lists" / "sneaky.txt")
    inv = _inv(_policy(tree))
    assert inv.read_file("lists/sneaky.txt", 1024) == DENIED
    assert inv.events[0].context["escapes_rule"] == "lists"


def test_symlink_that_stays_inside_the_rule_is_allowed(tree: Path) -> None:
    os.symlink("banned.txt", tree / "lists" / "alias.txt")
    inv = _inv(_policy(tree))
    assert inv.read_file("lists/alias.txt", 1024) == b"left-pad\nevent-stream\n"


def test_prefix_sibling_folder_does_not_match(tree: Path) -> None:
    # "lists-private" starts with "lists" but is not inside it.
    (tree / "lists-private").mkdir()
    (tree / "lists-private" / "x.txt").write_text("private")
    inv = _inv(_policy(tree))
    assert inv.read_file("lists-private/x.txt", 1024) == DENIED


def test_missing_and_unreadable_files(tree: Path) -> None:
    os.mkfifo(tree / "lists" / "fifo")
    inv = _inv(_policy(tree))
    assert inv.read_file("lists/nope.txt", 1024) == NOT_FOUND
    assert inv.read_file("lists", 1024) == NOT_FOUND  # a folder is not a file
    assert inv.read_file("lists/fifo", 1024) == NOT_FOUND  # would block forever if opened plainly
    assert [(e.decision, e.rule_id, e.reason_code) for e in inv.events] == [
        ("allow", "lists", "fs_not_found"),
        ("allow", "lists", "fs_unreadable"),
        ("allow", "lists", "fs_unreadable"),
    ]


def test_buffer_too_small(tree: Path) -> None:
    inv = _inv(_policy(tree))
    assert inv.read_file("lists/banned.txt", 5) == TOO_SMALL
    assert inv.events[0].context["size"] == 22
    # Nothing was delivered, so nothing counts against the quota: a retry fits.
    assert inv.read_file("lists/banned.txt", 22) == b"left-pad\nevent-stream\n"


def test_per_invocation_quota(tree: Path) -> None:
    inv = _inv(_policy(tree))
    assert inv.read_file("lists/big.txt", 10_000) == QUOTA  # 5000 > 3000 per invocation
    event = inv.events[0]
    assert (event.decision, event.rule_id, event.reason_code) == (
        "deny",
        "lists",
        "fs_quota_exceeded",
    )
    assert event.context["quota"] == "max_bytes_per_invocation"
    assert event.context["limit"] == 3000
    assert event.context["size"] == 5000


def test_per_run_quota_spans_invocations_of_one_plugin_only(tree: Path) -> None:
    (tree / "lists" / "k.txt").write_bytes(b"k" * 1500)
    broker = Broker(_policy(tree))
    results = [_inv(broker.policy, broker=broker).read_file("lists/k.txt", 4096) for _ in range(3)]
    assert results[:2] == [b"k" * 1500, b"k" * 1500]
    assert results[2] == QUOTA  # 4500 > 4000 per run
    other = _inv(broker.policy, plugin="other", broker=broker)
    assert other.read_file("lists/k.txt", 4096) == b"k" * 1500


def test_run_quota_holds_under_parallel_invocations(tree: Path) -> None:
    (tree / "lists" / "k.txt").write_bytes(b"k" * 1000)
    broker = Broker(_policy(tree))
    got: list[bytes | int] = []
    lock = threading.Lock()

    def one() -> None:
        r = _inv(broker.policy, broker=broker).read_file("lists/k.txt", 4096)
        with lock:
            got.append(r)

    threads = [threading.Thread(target=one) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    delivered = sum(len(r) for r in got if isinstance(r, bytes))
    assert delivered <= 4000
    assert QUOTA in got


def test_plugin_table_tightens_and_extends(tree: Path) -> None:
    policy = _policy(
        tree,
        """
[plugins.narrow]
inherit = false
[[plugins.narrow.fs.read]]
id = "narrow-banned"
path = "lists/banned.txt"
max_bytes_per_invocation = 10

[[plugins.wide.fs.read]]
id = "wide-secret"
path = "secret.txt"
""",
    )
    broker = Broker(policy)
    narrow = _inv(policy, "narrow", broker)
    assert narrow.read_file("one.txt", 100) == DENIED  # top-level rules dropped
    assert narrow.read_file("lists/banned.txt", 100) == QUOTA  # its own, tighter quota
    assert narrow.events[1].rule_id == "narrow-banned"
    wide = _inv(policy, "wide", broker)
    assert wide.read_file("secret.txt", 100) == b"TOKEN"
    assert wide.read_file("one.txt", 100) == b"one"  # inherited
    assert _inv(policy, "anyone", broker).read_file("secret.txt", 100) == DENIED


def test_rule_path_is_fixed_at_load_time(tree: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    policy = _policy(tree)
    monkeypatch.chdir("/")
    assert _inv(policy).read_file("lists/banned.txt", 100) == b"left-pad\nevent-stream\n"


def test_events_are_deterministic(tree: Path) -> None:
    def run() -> list[dict[str, object]]:
        inv = _inv(_policy(tree))
        inv.read_file("lists/banned.txt", 100)
        inv.read_file("lists/big.txt", 100_000)
        inv.read_file("secret.txt", 100)
        return [e.model_dump() for e in inv.events]

    first = run()
    time.sleep(0.01)
    assert run() == first


def test_fifo_never_blocks_even_with_a_writer(tree: Path) -> None:
    fifo = tree / "lists" / "fifo"
    os.mkfifo(fifo)
    inv = _inv(_policy(tree))
    start = time.monotonic()
    assert inv.read_file("lists/fifo", 1024) == NOT_FOUND  # no writer: a plain open would block
    writer = os.open(fifo, os.O_RDWR | os.O_NONBLOCK)  # a writer that never writes
    try:
        assert inv.read_file("lists/fifo", 1024) == NOT_FOUND  # a plain read would block
    finally:
        os.close(writer)
    assert time.monotonic() - start < 1
    assert [e.context["error"] for e in inv.events] == ["not a regular file"] * 2


def test_proc_and_sys_files_are_refused_whatever_the_rule(tree: Path) -> None:
    # /proc/self/environ is the CI job's secrets; a rule covering "/" must not reach it.
    pol = write_policy(tree, '[[fs.read]]\nid = "everything"\npath = "/"\n')
    inv = _inv(pol)
    for path in (
        "/proc/self/environ",
        "/proc/self/cmdline",
        "/sys/kernel/mm/transparent_hugepage/enabled",
        "/dev/zero",
    ):
        assert inv.read_file(path, 1 << 20) == DENIED, path
    assert {(e.decision, e.rule_id, e.reason_code) for e in inv.events} == {
        ("deny", "fs.pseudo_files", "fs_pseudo_file_denied")
    }
    assert inv.read_file(str(tree / "one.txt"), 1024) == b"one"  # the rule itself works


def test_symlink_to_proc_inside_an_allowed_folder_is_denied(tree: Path) -> None:
    (tree / "lists" / "env").symlink_to("/proc/self/environ")
    inv = _inv(_policy(tree))
    assert inv.read_file("lists/env", 1 << 20) == DENIED
    assert inv.events[0].context["escapes_rule"] == "lists"
    assert inv.events[0].reason_code == "fs_path_denied"


def test_file_growing_while_read_stays_under_the_cap(tree: Path) -> None:
    grow = tree / "lists" / "grow.txt"
    grow.write_bytes(b"g" * 1000)
    stop = threading.Event()

    def append() -> None:
        with grow.open("ab") as fh:
            while not stop.is_set():
                fh.write(b"g" * 65536)
                fh.flush()

    writer = threading.Thread(target=append)
    writer.start()
    try:
        time.sleep(0.05)
        pol = write_policy(tree, '[[fs.read]]\nid = "lists"\npath = "lists"\n')
        inv = _inv(pol)
        start = time.monotonic()
        got = inv.read_file("lists/grow.txt", 100_000)
        assert time.monotonic() - start < 1
    finally:
        stop.set()
        writer.join()
    # The buffer is the cap: more bytes on disk than it holds is "too small", never more bytes.
    assert got == TOO_SMALL
    assert inv.events[0].reason_code == "fs_buffer_too_small"
    quota = _inv(_policy(tree)).read_file("lists/grow.txt", 1 << 30)
    assert quota == QUOTA  # the 3000-byte invocation quota holds however large the file grew
