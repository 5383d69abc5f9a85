"""One coqidetop process: send a call, read its reply before a deadline, interrupt or kill.

The process runs in its own session so that a kill reaches everything it started. On a deadline
we first send SIGINT (Coq answers with ``User interrupt.`` and stays usable); if no reply
comes within ``grace`` seconds we kill the process group and the caller restarts.
"""

from __future__ import annotations

import os
import select
import shutil
import signal
import subprocess
import time

from agent.proc import WriteTimeout, kill_group, ready, spawn, write_bounded
from coq_env import protocol


class CoqDied(Exception):
    """The process exited, or was killed because it did not answer in time."""


class CoqKilled(CoqDied):
    """The call ran past its deadline and Coq ignored the interrupt, so it was killed."""


class CoqInterrupted(Exception):
    """The call ran past its deadline and Coq answered the interrupt; the process is usable."""


def find_idetop() -> str | None:
    for name in ("coqidetop.opt", "coqidetop"):
        path = shutil.which(name)
        if path:
            return path
    return None


class IdeTop:
    def __init__(self, *, args: tuple[str, ...] = (), cwd: str | None = None, grace: float = 2.0):
        exe = find_idetop()
        if exe is None:
            raise FileNotFoundError("coqidetop not found: install Coq (apt-get install coq)")
        self.grace = grace
        # no signal blocked (SIGINT must reach Coq: the interrupt below); its group is killed if
        # qstar dies first (agent.proc.reaper)
        self.proc = spawn([exe, "-main-channel", "stdfds", *args], stdin=subprocess.PIPE,
                          stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, cwd=cwd)
        self._buf = b""

    @property
    def alive(self) -> bool:
        return self.proc.poll() is None

    def call(self, payload: bytes, *, timeout: float) -> protocol.Reply:
        """Send one call and return its reply. Raises CoqInterrupted or CoqDied."""
        if not self.alive:
            raise CoqDied(f"coqidetop exited with status {self.proc.returncode}")
        deadline = time.monotonic() + timeout  # the clock runs from before the write
        try:
            write_bounded(self.proc, payload, deadline=deadline)
        except WriteTimeout as e:
            self.kill()
            raise CoqKilled(f"coqidetop took no input within {timeout:.1f}s ({e}); killed") from None
        except (BrokenPipeError, OSError) as e:
            self.kill()
            raise CoqDied(f"coqidetop pipe closed: {e}") from None
        raw = self._read_reply(deadline)
        if raw is not None:
            return protocol.parse_reply(raw)
        # Deadline passed: ask Coq to stop, then wait a little for its (failed) reply.
        try:
            os.kill(self.proc.pid, signal.SIGINT)
        except ProcessLookupError:
            pass
        raw = self._read_reply(time.monotonic() + self.grace)
        if raw is None:
            self.kill()
            raise CoqKilled(f"no reply within {timeout:.1f}s + {self.grace:.1f}s grace; killed")
        raise CoqInterrupted(protocol.parse_reply(raw).error)

    def _read_reply(self, deadline: float) -> bytes | None:
        fd = self.proc.stdout.fileno()
        while True:
            end = protocol.find_value_end(self._buf)
            if end >= 0:
                raw, self._buf = self._buf[:end], self._buf[end:]
                return raw
            left = deadline - time.monotonic()
            if left <= 0:
                return None
            if not ready(fd, select.POLLIN, left):
                continue
            chunk = os.read(fd, 1 << 16)
            if not chunk:
                self.kill()
                raise CoqDied(f"coqidetop exited (status {self.proc.poll()})")
            # Drop feedback we never read so the buffer stays small on long runs.
            self._buf += chunk
            if b"<value " not in self._buf and len(self._buf) > 1 << 20:
                self._buf = self._buf[-4096:]

    def kill(self) -> None:
        kill_group(self.proc)
