"""One leanprover-community REPL process: framing, deadlines, memory limits, kill and recycle.

Framing: a request is one JSON object followed by a blank line; a reply is JSON ended by a
blank line (JSON strings never hold a raw newline, so the first blank line after the object
ends it). Requests are serialised with ``json.dumps``, which escapes newlines inside tactics.

The REPL has no wall-clock limit of its own and dies on malformed input, so every request is
validated here first, and every read has a deadline after which the whole process group is
killed. Memory: ``RLIMIT_AS`` is set in the child before exec, and a watchdog thread kills the
group when its resident set passes a limit. Nothing in the REPL is ever freed, so callers
recycle the process after ``max_requests`` requests.
"""

from __future__ import annotations

import json
import os
import resource
import select
import signal
import subprocess
import threading
import time
from dataclasses import dataclass

from agent.proc import WriteTimeout, kill_group, ready, spawn, write_bounded


class ReplError(Exception):
    """Base of the failures below."""


class ReplTimeout(ReplError):
    """No reply before the deadline; the process group was killed."""


class ReplDied(ReplError):
    """The process exited (or was killed for memory) before replying."""


class InvalidRequest(ReplError):
    """The client refused to send a request that would kill the REPL."""


@dataclass
class ReplConfig:
    """How to run one REPL process."""

    command: tuple[str, ...] = ("lake", "exe", "repl")
    """The REPL command, run in ``cwd`` (a Lake project that has the REPL as a dependency)."""
    cwd: str | None = None
    """Working directory: the Lake project."""
    memory_limit_mb: int = 16384
    """RLIMIT_AS of the REPL process in MiB (Mathlib needs >= 12 GiB of address space); 0 = none."""
    rss_limit_mb: int = 12288
    """Kill the process group when its resident memory passes this, in MiB; 0 = no watchdog."""
    max_requests: int = 2000
    """Recycle the process after this many requests (the REPL frees nothing)."""


_ALLOWED = {
    "cmd": str, "env": int, "tactic": str, "proofState": int, "path": str, "allTactics": bool,
    "rootGoals": bool, "infotree": str, "pickleTo": str, "unpickleEnvFrom": str,
    "unpickleProofStateFrom": str,
}


def validate_request(req: dict) -> None:
    """Raise InvalidRequest unless ``req`` is a well-formed REPL request."""
    if not isinstance(req, dict) or not req:
        raise InvalidRequest("request must be a non-empty JSON object")
    for key, value in req.items():
        typ = _ALLOWED.get(key)
        if typ is None:
            raise InvalidRequest(f"unknown request field {key!r}")
        if type(value) is not typ:  # bool is an int subclass: compare exactly
            raise InvalidRequest(f"field {key!r} must be {typ.__name__}")
        if typ is int and value < 0:
            raise InvalidRequest(f"field {key!r} must be >= 0")
        if typ is str and "\x00" in value:
            raise InvalidRequest(f"field {key!r} holds a NUL character")
    kinds = [k for k in ("cmd", "tactic", "path", "pickleTo", "unpickleEnvFrom",
                         "unpickleProofStateFrom") if k in req]
    if len(kinds) != 1:
        raise InvalidRequest("request needs exactly one of cmd / tactic / path / pickle fields")
    if "tactic" in req and "proofState" not in req:
        raise InvalidRequest("a tactic request needs a proofState")
    if "tactic" in req and not req["tactic"].strip():
        raise InvalidRequest("empty tactic")


def limited(command: list[str], mb: int) -> list[str]:
    """``command`` run under an address-space limit of ``mb`` MiB (none when ``mb`` <= 0).

    The limit is set by ``sh``'s ``ulimit -v`` in the child, which then ``exec``s the command:
    no Python code runs between fork and exec (``preexec_fn``, which Python documents as unsafe
    in a process with threads, and the REPL is started from worker threads), and the limit holds
    from the first instruction of the REPL and of every process it starts (``lake`` starts the
    REPL binary)."""
    if mb <= 0:
        return list(command)
    return ["sh", "-c", 'ulimit -v "$0" && exec "$@"', str(mb * 1024), *command]


def group_rss_mb(pgid: int) -> float:
    """Resident memory of every process in a process group, in MiB (Linux /proc)."""
    total = 0
    for pid in os.listdir("/proc"):
        if not pid.isdigit():
            continue
        try:
            with open(f"/proc/{pid}/stat", "rb") as f:
                fields = f.read().rsplit(b")", 1)[1].split()
            if int(fields[2]) != pgid:  # field 5 of stat: pgrp
                continue
            total += int(fields[21]) * resource.getpagesize()  # field 24: rss in pages
        except (OSError, IndexError, ValueError):
            continue
    return total / (1024 * 1024)


class Repl:
    def __init__(self, config: ReplConfig):
        self.config = config
        self.requests = 0
        self._buf = b""
        self._oom = threading.Event()
        self.proc = spawn(limited(list(config.command), config.memory_limit_mb), cwd=config.cwd,
                          stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)
        self._stop = threading.Event()
        if config.rss_limit_mb > 0:
            threading.Thread(target=self._watchdog, daemon=True).start()

    @property
    def alive(self) -> bool:
        return self.proc.poll() is None

    @property
    def worn_out(self) -> bool:
        return self.requests >= self.config.max_requests

    def request(self, req: dict, *, timeout: float) -> dict:
        validate_request(req)
        if not self.alive:
            raise ReplDied(f"REPL exited with status {self.proc.returncode}")
        self.requests += 1
        deadline = time.monotonic() + timeout  # the clock runs from before the write
        try:
            write_bounded(self.proc, json.dumps(req, ensure_ascii=False).encode() + b"\n\n", deadline=deadline)
        except WriteTimeout:
            self.kill()
            raise ReplTimeout(f"the REPL took no input within {timeout:.1f}s; killed") from None
        except (BrokenPipeError, OSError):
            self.kill()
            raise ReplDied("REPL closed its input") from None
        fd = self.proc.stdout.fileno()
        while True:
            reply = self._take_reply()
            if reply is not None:
                return reply
            left = deadline - time.monotonic()
            if left <= 0:
                self.kill()
                raise ReplTimeout(f"no reply within {timeout:.1f}s; REPL killed")
            if not ready(fd, select.POLLIN, min(left, 0.5)):
                continue
            chunk = os.read(fd, 1 << 16)
            if not chunk:
                self.kill()
                if self._oom.is_set():
                    raise ReplDied(f"REPL killed: resident memory over {self.config.rss_limit_mb} MiB")
                raise ReplDied(f"REPL exited (status {self.proc.returncode})")
            self._buf += chunk

    def _take_reply(self) -> dict | None:
        while True:
            end = self._buf.find(b"\n\n")
            if end < 0:
                return None
            block, self._buf = self._buf[:end], self._buf[end + 2:]
            if not block.strip():
                continue
            try:
                return json.loads(block)
            except json.JSONDecodeError as e:
                self.kill()
                raise ReplDied(f"REPL sent a reply that is not JSON: {e}") from None

    def _watchdog(self) -> None:
        while not self._stop.wait(0.5):
            if self.proc.poll() is not None:
                return
            if group_rss_mb(self.proc.pid) > self.config.rss_limit_mb:
                self._oom.set()
                self._killpg()
                return

    def _killpg(self) -> None:
        try:
            os.killpg(self.proc.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass

    def kill(self) -> None:
        self._stop.set()
        kill_group(self.proc)
