"""Process tracking for external plugins: no process a plugin starts outlives its call.

Killing the plugin's process group is not enough: a grandchild that calls ``setsid()`` leaves
the group (and the session), and used to survive bomhost. Two mechanisms close that:

- bomhost makes itself a *child subreaper* (Linux ``prctl(PR_SET_CHILD_SUBREAPER)``): a process
  whose parent dies is re-parented to bomhost instead of init, so it stays visible and can be
  reaped.
- every plugin process is started with ``BOMHOST_PLUGIN_CALL=<token>`` in its environment, a
  token per call, inherited by everything it starts. After a call (or when the leader exits),
  every process carrying the token, and every descendant of one, is stopped, killed and reaped.

A descendant that also clears its environment is no longer attributable to a call; it is still
bomhost's child (subreaper), and ``sweep_orphans`` at the end of a CLI run kills every child
bomhost did not start itself. See docs/threat-model.md.
"""

from __future__ import annotations

import contextlib
import ctypes
import itertools
import os
import signal
import threading
import time
from collections.abc import Iterable

CALL_ENV = "BOMHOST_PLUGIN_CALL"
_PR_SET_CHILD_SUBREAPER = 36
# After SIGKILL, how long to wait for the killed processes to become reapable zombies.
_REAP_WAIT_S = 1.0

_lock = threading.Lock()
_subreaper: bool | None = None
_tokens = itertools.count(1)
# Pids started (and reaped) by subprocess.Popen: never waited for here.
_leaders: set[int] = set()


def enable_subreaper() -> bool:
    """Make this process the reaper of its orphaned descendants (once; False if unsupported)."""
    global _subreaper
    with _lock:
        if _subreaper is None:
            try:
                libc = ctypes.CDLL(None, use_errno=True)
                _subreaper = libc.prctl(_PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0) == 0
            except (OSError, AttributeError):
                _subreaper = False
        return _subreaper


def subreaper_enabled() -> bool:
    """Whether an external plugin ran in this process (and the subreaper was set)."""
    return bool(_subreaper)


def new_token() -> str:
    """A token unique to one plugin process in this bomhost process."""
    return f"{os.getpid()}-{next(_tokens)}"


def register_leader(pid: int) -> None:
    with _lock:
        _leaders.add(pid)


def forget_leader(pid: int) -> None:
    with _lock:
        _leaders.discard(pid)


def _processes() -> dict[int, tuple[int, str]]:
    """Every visible process: pid -> (parent pid, command name), from /proc."""
    out: dict[int, tuple[int, str]] = {}
    try:
        names = os.listdir("/proc")
    except OSError:
        return out
    for name in names:
        if not name.isdigit():
            continue
        try:
            with open(f"/proc/{name}/stat", "rb") as fh:
                stat = fh.read()
        except OSError:
            continue
        # "pid (comm) state ppid ...": comm may hold spaces and parentheses.
        head, _, rest = stat.rpartition(b")")
        fields = rest.split()
        if len(fields) < 2 or fields[0] == b"Z":
            continue  # a zombie is dead already; it is reaped below if it is ours
        comm = head.partition(b"(")[2].decode("utf-8", "replace")
        out[int(name)] = (int(fields[1]), comm)
    return out


def _carries(pid: int, marker: bytes) -> bool:
    try:
        with open(f"/proc/{pid}/environ", "rb") as fh:
            environ = fh.read()
    except OSError:
        return False
    return any(entry.startswith(marker) for entry in environ.split(b"\0"))


def _with_descendants(roots: set[int], procs: dict[int, tuple[int, str]]) -> set[int]:
    found = set(roots)
    frontier = set(roots)
    while frontier:
        frontier = {pid for pid, (ppid, _) in procs.items() if ppid in frontier} - found
        found |= frontier
    return found


def _kill(pids: set[int], procs: dict[int, tuple[int, str]]) -> list[str]:
    """Stop all first (a forking process cannot outrun us), then kill; reap those now ours."""
    for sig in (signal.SIGSTOP, signal.SIGKILL):
        for pid in pids:
            with contextlib.suppress(ProcessLookupError, PermissionError):
                os.kill(pid, sig)
    pending = set(pids)
    deadline = time.monotonic() + _REAP_WAIT_S
    while pending and time.monotonic() < deadline:
        for pid in list(pending):
            try:
                done, _ = os.waitpid(pid, os.WNOHANG)
            except ChildProcessError:  # not our child, or gone: its own parent reaps it
                if not os.path.exists(f"/proc/{pid}") or _ppid(pid) != os.getpid():
                    pending.discard(pid)
                continue
            if done:
                pending.discard(pid)
        if pending:
            time.sleep(0.005)
    return [f"pid {pid} ({procs[pid][1]})" for pid in sorted(pids)]


def _ppid(pid: int) -> int | None:
    try:
        with open(f"/proc/{pid}/stat", "rb") as fh:
            return int(fh.read().rpartition(b")")[2].split()[1])
    except (OSError, IndexError, ValueError):
        return None


def kill_call(token: str, leader: int) -> list[str]:
    """Kill every process of one call except its leader; what was killed, as ``pid N (name)``."""
    procs = _processes()
    marker = f"{CALL_ENV}={token}".encode()
    me = os.getpid()
    # Only bomhost's descendants can be the call's (the subreaper keeps orphans among them).
    mine = _with_descendants({me}, procs) if enable_subreaper() else set(procs)
    roots = {pid for pid in mine if pid not in (leader, me) and _carries(pid, marker)}
    targets = _with_descendants(roots, procs) - {leader, os.getpid()}
    return _kill(targets, procs) if targets else []


def reap_zombies() -> None:
    """Collect dead plugin processes re-parented here (the subreaper makes them ours).

    Only zombies outside bomhost's own session: every plugin runs in a session of its own, so
    a child that bomhost's host program started some other way is never waited for here.
    """
    me, my_sid = os.getpid(), os.getsid(0)
    with _lock:
        leaders = set(_leaders)
    try:
        names = [n for n in os.listdir("/proc") if n.isdigit()]
    except OSError:
        return
    for name in names:
        try:
            with open(f"/proc/{name}/stat", "rb") as fh:
                fields = fh.read().rpartition(b")")[2].split()
        except OSError:
            continue
        # state ppid pgrp session ...
        if len(fields) < 4 or fields[0] != b"Z" or int(fields[1]) != me:
            continue
        pid = int(name)
        if pid in leaders or int(fields[3]) == my_sid:
            continue
        with contextlib.suppress(ChildProcessError):
            os.waitpid(pid, os.WNOHANG)


def sweep_orphans(exclude: Iterable[int] = ()) -> list[str]:
    """Kill every child of this process (and its descendants) that bomhost did not start.

    For the end of a CLI run, when bomhost has no child of its own left: with the subreaper
    set, anything still there was re-parented to bomhost by a plugin that escaped tracking.
    """
    me = os.getpid()
    procs = _processes()
    with _lock:
        keep = _leaders | set(exclude)
    roots = {pid for pid, (ppid, _) in procs.items() if ppid == me and pid not in keep}
    targets = _with_descendants(roots, procs) - {me}
    return _kill(targets, procs) if targets else []


def describe(killed: list[str], limit: int = 5) -> str:
    """``pid 12 (sleep), pid 13 (sh)`` (and how many more)."""
    more = len(killed) - limit
    return ", ".join(killed[:limit]) + (f" and {more} more" if more > 0 else "")
