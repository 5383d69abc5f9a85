"""Provers never outlive qstar: one watchdog process per qstar process kills every process
group qstar started once qstar is gone, however it went (exit, exception, SIGTERM, SIGKILL,
the out-of-memory killer).

qstar starts each prover (coqidetop, the Lean REPL, coqc / lake checks, and what they start:
CoqHammer's provers run in coqidetop's group) in a session of its own, so a terminal's signals
never reach it and a kill of the group reaches all of it. The watchdog holds the read end of a
pipe whose only write end is qstar's; qstar writes ``+PGID`` when it starts a group and
``-PGID`` once it has reaped it. When the pipe reads end-of-file, qstar has died (the kernel
closes its descriptors whatever killed it), and the watchdog sends SIGKILL to every group still
registered, then exits. Linux's parent-death signal would do for direct children only, and it
fires when the *thread* that started the child ends, which a worker pool's threads do; the
watchdog has neither limit.

The watchdog is started lazily, at the first prover, in a session of its own (so Ctrl-C in the
terminal or ``timeout``'s group signal does not end it before it has done its work), with no
descriptor but its pipe. It costs one small Python process per qstar process.
"""

from __future__ import annotations

import os
import subprocess
import sys
import threading

_SCRIPT = r"""
import os, signal, sys
groups = set()
for line in sys.stdin:
    line = line.strip()
    if line[:1] == "+":
        groups.add(int(line[1:]))
    elif line[:1] == "-":
        groups.discard(int(line[1:]))
for g in groups:
    try:
        os.killpg(g, signal.SIGKILL)
    except OSError:
        pass
"""

_lock = threading.Lock()
_watchdog: subprocess.Popen | None = None
_owner = 0  # the pid that started it: a forked child (Ray's workers) starts its own


def _send(line: str) -> None:
    global _watchdog, _owner
    with _lock:
        if _watchdog is None or _owner != os.getpid() or _watchdog.poll() is not None:
            _watchdog = subprocess.Popen([sys.executable, "-S", "-c", _SCRIPT], stdin=subprocess.PIPE,
                                         stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                                         start_new_session=True, close_fds=True)
            _owner = os.getpid()
        try:
            _watchdog.stdin.write(line.encode() + b"\n")
            _watchdog.stdin.flush()
        except OSError:  # it died: the next call starts another (this group goes unwatched)
            _watchdog = None


def watch(pgid: int) -> None:
    """Kill process group ``pgid`` if this process dies before ``release(pgid)``."""
    _send(f"+{pgid}")


def release(pgid: int) -> None:
    """``pgid`` has been reaped: never signal it (its number may be reused)."""
    if _watchdog is not None and _owner == os.getpid():
        _send(f"-{pgid}")


def watchdog_pid() -> int | None:
    """The watchdog's pid (tests), or None before the first prover."""
    return _watchdog.pid if _watchdog is not None and _owner == os.getpid() else None
