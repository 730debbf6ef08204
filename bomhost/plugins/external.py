"""The external-process runtime: bomdrift's plugin model, one process per call (or persistent).

Every call spawns the plugin with no arguments in a new process group (its own session), writes
the request to stdin and closes it, then pumps stdin/stdout/stderr with one ``selectors`` loop
per call until the plugin has exited and both pipes are at EOF. Why a selector loop rather than
``communicate()``: the caps (1 MiB stdout, 64 KiB stderr tail) are enforced while reading, so a
plugin writing 8 MiB costs at most the cap in memory and is killed as soon as it crosses it.
Why not a reader thread per pipe: two extra threads per call would double the per-call cost
for nothing; the calling thread (one of the runner's ``jobs`` workers) can wait on all pipes.

The child's exit is watched through a pidfd (Linux), so the group can be killed *before* the
child is reaped: the group id cannot be recycled while the zombie exists, so ``killpg`` never
hits an unrelated process. The whole group is killed on timeout, on overflow, and also after a
normal exit, so no grandchild a plugin leaves behind survives the call; processes that left
the group (``setsid``) are found and killed by ``bomhost.plugins.reaper``.
"""

from __future__ import annotations

import contextlib
import fcntl
import os
import selectors
import signal
import subprocess
import time
from collections.abc import Callable, Mapping
from typing import Literal

from bomhost.errors import PluginLoadError
from bomhost.plugins import reaper
from bomhost.plugins.interface import (
    CallResult,
    Failure,
    LogLine,
    PluginInstance,
    RunContext,
    Usage,
)
from bomhost.plugins.manifest import LoadedManifest, PluginManifest

STDOUT_CAP = 1024 * 1024
STDERR_CAP = 64 * 1024
_CHUNK = 64 * 1024
# Without a pidfd the exit is polled; this bounds how late a plain exit is noticed.
_POLL_S = 0.02
# One select() waits at most this long: bomdrift accepts any timeout_ms up to TOML's i64 maximum,
# which as one wait would overflow the platform's time_t; the loop simply waits again.
_MAX_WAIT_S = 3600.0

PumpStop = Literal["done", "timeout", "too_large"]


def plugin_env(
    manifest: PluginManifest, environ: Mapping[str, str] | None = None
) -> dict[str, str] | None:
    """The plugin's environment: ``None`` (inherit, as bomdrift) or only the allowed names."""
    if manifest.env == "inherit":
        return None
    source = os.environ if environ is None else environ
    return {name: source[name] for name in manifest.env_allow if name in source}


def describe_exit(returncode: int) -> str:
    """``exited with status 3`` or ``killed by signal SIGSEGV``."""
    if returncode < 0:
        try:
            name = signal.Signals(-returncode).name
        except ValueError:
            name = str(-returncode)
        return f"killed by signal {name}"
    return f"exited with status {returncode}"


def last_line(data: bytes | bytearray) -> str:
    """The last non-blank line of a stream, for one-line error messages."""
    for line in reversed(bytes(data).decode("utf-8", "replace").splitlines()):
        if line.strip():
            return line.strip()[:300]
    return ""


class Channel:
    """One spawned plugin process and its three pipes, pumped by the calling thread.

    Not thread-safe: a channel belongs to one call (per-call mode) or is used under the
    persistent plugin's lock.
    """

    def __init__(
        self,
        exec_path: str,
        env: dict[str, str] | None,
        *,
        stdout_cap: int = STDOUT_CAP,
        stderr_cap: int = STDERR_CAP,
        pass_fds: tuple[int, ...] = (),
    ) -> None:
        # Every process the plugin starts inherits the call's token (bomhost.plugins.reaper).
        reaper.enable_subreaper()
        self.token = reaper.new_token()
        call_env = dict(os.environ if env is None else env)
        call_env[reaper.CALL_ENV] = self.token
        # What was killed besides the process group (descendants that left it), for messages.
        self.killed: list[str] = []
        # Raises OSError (missing interpreter, exec format error): the caller maps it.
        self.proc = subprocess.Popen(
            [exec_path],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            env=call_env,
            start_new_session=True,
            bufsize=0,
            pass_fds=pass_fds,
        )
        reaper.register_leader(self.proc.pid)
        self.stdout_cap = stdout_cap
        self.stderr_cap = stderr_cap
        self.stdout = bytearray()
        self.stderr = bytearray()
        self.stdout_eof = False
        self.stderr_eof = False
        self.exited = False
        self._reaped = False
        self._swept = False
        self._pending = memoryview(b"")
        self._close_stdin_after = False
        self._sel = selectors.DefaultSelector()
        assert self.proc.stdin
        assert self.proc.stdout
        assert self.proc.stderr
        self._in = self.proc.stdin.fileno()
        self._out = self.proc.stdout.fileno()
        self._err = self.proc.stderr.fileno()
        self._stdin_open = True
        os.set_blocking(self._in, False)
        self._sel.register(self._out, selectors.EVENT_READ)
        self._sel.register(self._err, selectors.EVENT_READ)
        self._pidfd: int | None
        try:
            self._pidfd = os.pidfd_open(self.proc.pid)
        except (AttributeError, OSError):  # not Linux >= 5.3: poll with waitid(WNOWAIT)
            self._pidfd = None
        else:
            self._sel.register(self._pidfd, selectors.EVENT_READ)

    # -- writing ---------------------------------------------------------------------------

    def send(self, data: bytes, *, then_close: bool) -> None:
        """Queue ``data`` for stdin; written by ``pump`` as the pipe accepts it."""
        if not self._stdin_open:
            return
        if self._pending:  # an earlier request the plugin never finished reading
            data = bytes(self._pending) + data
        self._pending = memoryview(data)
        self._close_stdin_after = then_close
        if data:
            if self._in not in self._sel.get_map():
                self._sel.register(self._in, selectors.EVENT_WRITE)
        elif then_close:
            self._close_stdin()

    def _write_some(self) -> None:
        try:
            n = os.write(self._in, self._pending[:_CHUNK])
        except BlockingIOError:
            return
        except OSError:  # EPIPE: the plugin stopped reading; its exit tells the rest
            self._pending = memoryview(b"")
            self._close_stdin()
            return
        self._pending = self._pending[n:]
        if not self._pending:
            self._sel.unregister(self._in)
            if self._close_stdin_after:
                self._close_stdin()

    def _close_stdin(self) -> None:
        if not self._stdin_open:
            return
        self._stdin_open = False
        if self._in in self._sel.get_map():
            self._sel.unregister(self._in)
        assert self.proc.stdin
        with contextlib.suppress(OSError):
            self.proc.stdin.close()

    def close_stdin(self) -> None:
        """Signal end of input (persistent mode's shutdown)."""
        self._close_stdin()

    # -- the loop ---------------------------------------------------------------------------

    def pump(self, deadline: float, done: Callable[[], bool]) -> PumpStop:
        """Move bytes until ``done()``; stop early on the deadline or when stdout passes its cap."""
        while not done():
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                return "timeout"
            wait = remaining if self._pidfd is not None or self.exited else min(remaining, _POLL_S)
            wait = min(wait, _MAX_WAIT_S)
            for key, _ in self._sel.select(wait):
                fd = key.fd
                if fd == self._out:
                    if self._read_stdout():
                        return "too_large"
                elif fd == self._err:
                    self._read_stderr()
                elif fd == self._in:
                    self._write_some()
                elif fd == self._pidfd:
                    self._sel.unregister(fd)
                    self._on_exit()
            if self._pidfd is None and not self.exited and self._poll_exit():
                self._on_exit()
        return "done"

    def _read_stdout(self) -> bool:
        """Read one chunk; True when the cap is exceeded (the caller kills the plugin)."""
        data = self._read(self._out)
        if data is None:
            self.stdout_eof = True
            return False
        if len(self.stdout) + len(data) > self.stdout_cap:
            return True
        self.stdout += data
        return False

    def _read_stderr(self) -> None:
        data = self._read(self._err)
        if data is None:
            self.stderr_eof = True
            return
        self.stderr += data
        # Keep the tail: the last lines say why a plugin failed.
        if len(self.stderr) > self.stderr_cap:
            del self.stderr[: len(self.stderr) - self.stderr_cap]

    def _read(self, fd: int) -> bytes | None:
        try:
            data = os.read(fd, _CHUNK)
        except BlockingIOError:
            return b""
        except OSError:
            data = b""
        if not data:
            self._sel.unregister(fd)
            return None
        return data

    def _poll_exit(self) -> bool:
        try:
            info = os.waitid(os.P_PID, self.proc.pid, os.WEXITED | os.WNOHANG | os.WNOWAIT)
        except ChildProcessError:
            return True
        return info is not None

    def _on_exit(self) -> None:
        self.exited = True
        # Stragglers in the group, or descendants that left it (setsid), would hold the pipes
        # open and outlive the call: kill them now, while the unreaped leader pins the group id.
        self.kill_descendants()
        self.kill_group()

    # -- ending -----------------------------------------------------------------------------

    def kill_group(self) -> None:
        """SIGKILL the plugin's whole process group (never after the leader has been reaped)."""
        if self._reaped:
            return
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(self.proc.pid, signal.SIGKILL)

    def kill_descendants(self) -> None:
        """Kill every other process carrying this call's token, wherever it went.

        Once after the leader has exited (an exited leader starts nothing new): one /proc
        scan, about 4 ms, per call.
        """
        if not self._reaped and not self._swept:
            self._swept = self.exited
            self.killed += reaper.kill_call(self.token, self.proc.pid)

    def reap(self) -> int:
        """Kill what is left of the group, collect the exit status and release every fd."""
        if not self._reaped:
            # Descendants first (stopped, killed, reaped), then whatever joined the group since.
            self.kill_descendants()
            self.kill_group()
            returncode = self.proc.wait()
            self._reaped = True
            reaper.forget_leader(self.proc.pid)
            reaper.reap_zombies()
        else:
            returncode = self.proc.returncode
        self._close_stdin()
        for stream in (self.proc.stdout, self.proc.stderr):
            if stream is not None:
                stream.close()
        if self._pidfd is not None:
            os.close(self._pidfd)
            self._pidfd = None
        self._sel.close()
        return returncode


def stderr_logs(stderr: bytearray) -> tuple[LogLine, ...]:
    """The stderr tail as one log record; the runner keeps it only for failed calls."""
    if not stderr.strip():
        return ()
    return (LogLine(level="stderr", message=bytes(stderr).decode("utf-8", "replace").rstrip()),)


def spawn_failure(exec_path: str, exc: OSError, shown: str | None = None) -> Failure:
    """Why a process could not start; names the interpreter when the ``#!`` line is the cause.

    ``shown`` is the path to name when ``exec_path`` is a sealed copy (``/proc/self/fd/N``).
    """
    detail = exc.strerror or str(exc)
    if isinstance(exc, FileNotFoundError):
        try:
            with open(exec_path, "rb") as fh:
                first = fh.readline(256)
        except OSError:
            first = b""
        if first.startswith(b"#!"):
            shebang = first.decode("utf-8", "replace").strip()
            detail = f"interpreter of '{shebang}' not found"
    return Failure("spawn_failed", f"cannot start {shown or exec_path}: {detail}")


def _exec_hint(exec_: str) -> str:
    """Why a plausible-looking ``exec`` is not found: bomdrift takes one path, verbatim."""
    if exec_.startswith("~"):
        return " (exec is a path: ~ is not expanded, as in bomdrift)"
    if any(ch.isspace() for ch in exec_):
        return " (exec is one path with no arguments, as in bomdrift: use a wrapper script)"
    return ""


def check_executable(plugin: LoadedManifest) -> None:
    """Refuse a missing or non-executable exec file."""
    path = plugin.exec_path
    if not path.is_file():
        raise PluginLoadError(
            f"plugin {plugin.name!r}: exec {path} does not exist or is not a file"
            + _exec_hint(plugin.manifest.exec)
        )
    if not os.access(path, os.X_OK):
        raise PluginLoadError(f"plugin {plugin.name!r}: exec {path} is not executable (chmod +x)")


def sealed_copy(plugin: LoadedManifest) -> int | None:
    """A sealed in-memory copy of a pinned exec, or None where memfds do not exist.

    Hashing the file and then executing it by path leaves a window in which it can be swapped
    or rewritten. The pinned bytes are read once, hashed, written to a memfd that is then
    sealed against every change, and every call executes ``/proc/self/fd/N``: the bytes that
    run are the bytes that were hashed. A ``#!`` script's interpreter is handed that same path
    (so ``__file__`` / ``$0`` is ``/proc/self/fd/N``; docs/plugins.md "Pinning").
    """
    data = plugin.read_exec_verified()
    if not hasattr(os, "memfd_create") or not os.path.isdir("/proc/self/fd"):
        return None
    fd = os.memfd_create(f"bomhost-{plugin.name}", os.MFD_CLOEXEC | os.MFD_ALLOW_SEALING)
    try:
        view = memoryview(data)
        while view:
            view = view[os.write(fd, view) :]
        seals = fcntl.F_SEAL_SEAL | fcntl.F_SEAL_SHRINK | fcntl.F_SEAL_GROW | fcntl.F_SEAL_WRITE
        fcntl.fcntl(fd, fcntl.F_ADD_SEALS, seals)
    except OSError:
        os.close(fd)
        raise
    return fd


class ProcessPlugin:
    """What both external modes hold: the checked executable, its environment and its caps."""

    def __init__(
        self,
        plugin: LoadedManifest,
        *,
        stdout_cap: int = STDOUT_CAP,
        stderr_cap: int = STDERR_CAP,
    ) -> None:
        check_executable(plugin)
        self.shown_path = str(plugin.exec_path)  # what messages name
        self.exec_fd: int | None = None
        self.exec_path = self.shown_path  # what is executed
        if plugin.manifest.sha256 is not None:
            self.exec_fd = sealed_copy(plugin)
            if self.exec_fd is not None:
                self.exec_path = f"/proc/self/fd/{self.exec_fd}"
        self.pass_fds = () if self.exec_fd is None else (self.exec_fd,)
        self.env = plugin_env(plugin.manifest)
        self.timeout_ms = plugin.manifest.timeout_ms
        self.stdout_cap = stdout_cap
        self.stderr_cap = stderr_cap

    def channel(self, stdout_cap: int) -> Channel:
        """Start one plugin process (raises OSError if it cannot start)."""
        return Channel(
            self.exec_path,
            self.env,
            stdout_cap=stdout_cap,
            stderr_cap=self.stderr_cap,
            pass_fds=self.pass_fds,
        )

    def spawn_failure(self, exc: OSError) -> Failure:
        return spawn_failure(self.exec_path, exc, self.shown_path)

    def release_exec(self) -> None:
        """Close the sealed copy of a pinned exec (after the last call)."""
        if self.exec_fd is not None:
            os.close(self.exec_fd)
            self.exec_fd = None


class PerCallPlugin(ProcessPlugin):
    """bomdrift's model: one fresh process per call; safe to call from many threads at once."""

    def call(self, request: bytes, subject: str, scale: int = 1) -> CallResult:
        start = time.monotonic()
        timeout_ms, stdout_cap = self.timeout_ms * scale, self.stdout_cap * scale
        try:
            chan = self.channel(stdout_cap)
        except OSError as exc:
            return CallResult(
                failure=self.spawn_failure(exc), usage=Usage(elapsed_ms=_ms_since(start))
            )
        failure: Failure | None = None
        try:
            chan.send(request, then_close=True)
            stop = chan.pump(
                start + timeout_ms / 1000,
                lambda: chan.stdout_eof and chan.stderr_eof and chan.exited,
            )
        finally:
            returncode = chan.reap()
        logs = stderr_logs(chan.stderr)
        if stop == "timeout":
            failure = Failure(
                "timeout",
                f"no answer within {timeout_ms} ms; process group killed"
                + (f", and {reaper.describe(chan.killed)}" if chan.killed else ""),
            )
        elif stop == "too_large":
            failure = Failure(
                "output_too_large", f"stdout exceeded {stdout_cap} bytes; process group killed"
            )
        elif returncode != 0:
            failure = Failure("exit_status", _exit_message(returncode, chan.stderr))
        elif chan.killed:
            # It answered and exited, but left processes behind: the answer stands.
            logs += (
                LogLine(
                    "warning",
                    "plugin exited leaving processes running; killed "
                    + reaper.describe(chan.killed),
                ),
            )
        return CallResult(
            output=b"" if failure else bytes(chan.stdout),
            failure=failure,
            logs=logs,
            usage=Usage(elapsed_ms=_ms_since(start)),
        )

    def close(self) -> None:
        """Nothing outlives a per-call invocation; only the sealed exec copy is released."""
        self.release_exec()


def _exit_message(returncode: int, stderr: bytearray) -> str:
    tail = last_line(stderr)
    return f"{describe_exit(returncode)}: {tail}" if tail else describe_exit(returncode)


def _ms_since(start: float) -> float:
    return (time.monotonic() - start) * 1000


class ExternalRuntime:
    """Runs plugins as local processes: trusted code, as in bomdrift (no sandbox)."""

    name = "external"

    def load(self, plugin: LoadedManifest, ctx: RunContext) -> PluginInstance:
        if plugin.manifest.mode == "persistent":
            # Imported here because persistent.py builds on this module's Channel.
            from bomhost.plugins.persistent import PersistentPlugin

            return PersistentPlugin(plugin)
        return PerCallPlugin(plugin)
