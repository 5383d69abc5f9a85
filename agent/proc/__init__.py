"""Start external processes with a clean signal mask; run a one-shot command under a wall-clock
limit, killing its whole process group."""

from __future__ import annotations

import contextlib
import os
import select
import signal
import subprocess
import time
from dataclasses import dataclass


@contextlib.contextmanager
def unblocked_signals():
    """Around a ``Popen``: the calling thread's blocked signals unblocked, so the child starts
    with none blocked. A blocked mask survives ``exec``, and some hosts block SIGINT in the
    threads that run our code (Ray's actors do): Coq would then never see the interrupt that
    ends an over-long tactic, and every tactic timeout would cost a kill, a restart and a
    reload of the theorem's context."""
    old = signal.pthread_sigmask(signal.SIG_SETMASK, [])  # this thread's mask only: no lock needed
    try:
        yield
    finally:
        signal.pthread_sigmask(signal.SIG_SETMASK, old)


@dataclass(frozen=True)
class Finished:
    returncode: int | None  # None when killed at the deadline
    output: str  # stdout and stderr, interleaved
    timed_out: bool


def spawn(cmd: list[str], **popen_kw) -> subprocess.Popen:
    """Start ``cmd`` in a session of its own (a kill of its group reaches all it starts), with
    no signal blocked, and watched by ``agent.proc.reaper``: its group is killed if this process dies
    without reaping it (``kill_group``)."""
    from agent.proc import reaper
    with unblocked_signals():
        proc = subprocess.Popen(cmd, start_new_session=True, **popen_kw)
    reaper.watch(proc.pid)
    return proc


# After a kill, the pipes of a group whose member escaped it (a grandchild that left the session)
# may stay open: read what is left for at most this long, then give up on the output.
_DRAIN_SECONDS = 5.0


def run_bounded(cmd: list[str], *, timeout: float, cwd: str | None = None,
                env: dict[str, str] | None = None, stdin_path: str | None = None) -> Finished:
    """Run ``cmd`` to its end or ``timeout`` seconds (then its process group is killed), its
    stdin a file's contents (``stdin_path``) or nothing."""
    source = open(stdin_path, "rb") if stdin_path else None
    try:
        proc = spawn(cmd, cwd=cwd, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                     stdin=source if source is not None else subprocess.DEVNULL)
    finally:
        if source is not None:
            source.close()
    try:
        out, _ = proc.communicate(timeout=timeout)
        return Finished(proc.returncode, out.decode("utf-8", "replace"), False)
    except subprocess.TimeoutExpired:
        _signal_group(proc)
        try:
            out, _ = proc.communicate(timeout=_DRAIN_SECONDS)
        except subprocess.TimeoutExpired:
            out = b""
        return Finished(None, out.decode("utf-8", "replace"), True)
    finally:
        # A one-shot command's group ends with it: what it left running (CoqHammer's other ATPs
        # once one has answered) is killed now, not left to its own limits.
        _signal_group(proc)
        kill_group(proc)


def _signal_group(proc: subprocess.Popen) -> None:
    try:
        os.killpg(proc.pid, signal.SIGKILL)
    except ProcessLookupError:
        pass


def kill_group(proc: subprocess.Popen) -> None:
    """SIGKILL a process started with start_new_session=True and its whole group, reap it,
    and close our ends of its pipes."""
    if proc.poll() is None:
        _signal_group(proc)
    try:
        proc.wait(timeout=5)
    except subprocess.TimeoutExpired:
        pass
    else:
        from agent.proc import reaper
        reaper.release(proc.pid)
    for stream in (proc.stdin, proc.stdout):
        if stream is None:
            continue
        try:
            stream.close()
        except OSError:
            pass


class WriteTimeout(Exception):
    """A process did not take its input before the deadline (it reads nothing while it works)."""


def write_bounded(proc: subprocess.Popen, data: bytes, *, deadline: float) -> None:
    """Write ``data`` to ``proc``'s stdin by ``deadline`` (a monotonic instant). A prover busy in
    a tactic reads no input: once the pipe's buffer is full a plain write would wait forever.
    Raises WriteTimeout past the deadline, BrokenPipeError / OSError when the pipe is closed."""
    fd = proc.stdin.fileno()
    if os.get_blocking(fd):
        os.set_blocking(fd, False)
    view = memoryview(data)
    while view:
        left = deadline - time.monotonic()
        if left <= 0:
            raise WriteTimeout(f"input not taken within the deadline ({len(view)} bytes left)")
        if ready(fd, select.POLLOUT, left):
            try:
                view = view[os.write(fd, view):]
            except BlockingIOError:
                continue


def ready(fd: int, event: int, timeout: float) -> bool:
    """Whether ``fd`` is ready for ``event`` (select.POLLIN / POLLOUT) within ``timeout`` seconds
    (an error or hang-up counts: the read or write that follows says what happened). poll, not
    select: select refuses descriptors numbered 1024 and up, which a long-lived process holding
    many provers, Ray sockets or a test session's leftovers reaches."""
    p = select.poll()
    p.register(fd, event)
    return bool(p.poll(max(0.0, timeout) * 1000))
