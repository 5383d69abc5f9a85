"""SIGTERM and SIGHUP stop qstar the way Ctrl-C does.

People and schedulers stop long runs with SIGTERM (``timeout``, Slurm, systemd, ``kill``), and a
closed terminal sends SIGHUP. Inside ``stop_signals()`` each of them raises :class:`Stopped`, a
``KeyboardInterrupt``, so every path that keeps the work done on Ctrl-C (atomic rewrites of the
output and report, provers closed, workers stopped) runs for them too; the command then says
which signal stopped it and exits with 128 + its number, as a shell reports a signal's death.
A second signal while that clean-up runs is ignored (the clean-up is bounded; SIGKILL remains,
and ``agent.proc.reaper`` still kills the provers then). A signal the process inherited as
ignored stays ignored, as shells, ``make`` and ``rsync`` leave it: ``nohup qstar bench ...``
survives its terminal closing (SIGHUP), and a background job of a script ignores SIGINT (Python
itself leaves an ignored SIGINT alone).
"""

from __future__ import annotations

import contextlib
import signal
import threading

STOP_SIGNALS = (signal.SIGTERM, signal.SIGHUP)


class Stopped(KeyboardInterrupt):
    """A stop signal other than SIGINT arrived."""

    def __init__(self, signum: int):
        super().__init__(signal.Signals(signum).name)
        self.signum = signum


def signum_of(exc: BaseException) -> int:
    """The signal behind an interrupt: Stopped's own, SIGINT for a plain Ctrl-C."""
    return getattr(exc, "signum", signal.SIGINT)


def signal_name(exc: BaseException) -> str:
    return signal.Signals(signum_of(exc)).name


def exit_status(exc: BaseException) -> int:
    return 128 + signum_of(exc)


@contextlib.contextmanager
def stop_signals():
    """SIGTERM and SIGHUP raise Stopped in the main thread while the block runs, unless the process
    inherited them ignored (elsewhere, or in another thread, the block runs unchanged)."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    fired = []

    def handler(signum, frame):
        if fired:
            return  # already stopping
        fired.append(signum)
        raise Stopped(signum)

    old = {s: signal.signal(s, handler) for s in STOP_SIGNALS
           if signal.getsignal(s) is not signal.SIG_IGN}
    try:
        yield
    finally:
        for s, h in old.items():
            signal.signal(s, h)
