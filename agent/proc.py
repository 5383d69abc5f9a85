"""Start external processes with a clean signal mask; run a one-shot command under a wall-clock
limit, killing its whole process group."""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
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


def run_bounded(cmd: list[str], *, timeout: float, cwd: str | None = None,
                env: dict[str, str] | None = None) -> Finished:
    with unblocked_signals():
        proc = subprocess.Popen(cmd, cwd=cwd, env=env, stdout=subprocess.PIPE,
                                stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
                                start_new_session=True)
    try:
        out, _ = proc.communicate(timeout=timeout)
        return Finished(proc.returncode, out.decode("utf-8", "replace"), False)
    except subprocess.TimeoutExpired:
        _signal_group(proc)
        out, _ = proc.communicate()
        return Finished(None, out.decode("utf-8", "replace"), True)


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
    for stream in (proc.stdin, proc.stdout):
        if stream is None:
            continue
        try:
            stream.close()
        except OSError:
            pass
