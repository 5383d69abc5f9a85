"""Lean 4 as a :class:`agent.env.ProofEnv`, over the leanprover-community REPL.

A theorem's context is split into its ``import`` lines (the header: one warm REPL per header,
since ``import Mathlib`` costs seconds and gigabytes) and the rest (sent once as a command in
the header's environment). The statement is sent as ``STATEMENT := by sorry``; the sorry's
proofState is the root. Every tactic creates a new proofState id that lives only as long as its
process, so callers hold tactic paths and this file maps paths to ids, replaying a path after a
restart, a timeout kill or a recycle.

Restarts: a process is killed on a tactic timeout, a crash or a memory overrun, and its
successor must rebuild the theorem's context. The first time a context body is elaborated, its
environment is pickled (the REPL's ``pickleTo``: the constants and scopes -- ``open``,
``set_option`` -- the body added, relative to its imports) into a folder this object owns; a
restarted process for that context sends one ``unpickleEnvFrom`` instead of the header and the
body. Unpickling still loads the imports' ``.olean`` files (the REPL's ``importModules``; they
are memory-mapped, so a warm restart costs what ``import`` costs) and re-adds the body's
constants, but it does not elaborate the body again: the saving is the context's elaboration --
for a user's file, every earlier declaration with its proof.

Step semantics (DESIGN.md): a reply ``{"message": ...}``, any message of severity error, or a
proofStatus that is not "Completed" with no goals left ("Incomplete: contains sorry",
"... metavariable(s)") is a failure; a reply that reports new sorries is a failure too (a
``have h : P := by sorry`` inside a tactic). Only proofStatus "Completed" is a proof.
"""

from __future__ import annotations

import hashlib
import os
import re
import shutil
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

from agent.env import (EnvCrash, Goals, ProofState, Proved, ProverDied, StartError, StepResult, TacticError,
                       TacticTimeout, Theorem)
from lean_env.goals import parse_goal, parse_goals
from lean_env.repl import InvalidRequest, Repl, ReplConfig, ReplDied, ReplError, ReplTimeout
from lean_env.screen import screen_body

DEFAULT_PROJECT = str(Path(__file__).resolve().parents[1] / "lean_project")


@dataclass
class LeanEnvConfig:
    """Settings of the Lean backend."""

    project_dir: str = DEFAULT_PROJECT
    """Lake project with Mathlib and the REPL (lean_project/ by default)."""
    repl_command: tuple[str, ...] = ("lake", "exe", "repl")
    """How to start the REPL inside project_dir."""
    header_timeout: float = 600.0
    """Wall-clock limit for importing a header (import Mathlib takes a while when cold)."""
    command_timeout: float = 120.0
    """Wall-clock limit for a context or statement command."""
    memory_limit_mb: int = 16384
    """RLIMIT_AS per REPL process, MiB."""
    rss_limit_mb: int = 12288
    """RSS watchdog limit per REPL process, MiB."""
    max_requests: int = 2000
    """Recycle a REPL after this many requests."""
    check_command: tuple[str, ...] = ("lake", "env", "lean")
    """Fresh-process checker for the final check, run inside project_dir."""
    extra_env: dict[str, str] = field(default_factory=dict)
    """Extra environment variables for the REPL process."""
    pickle_contexts: bool = True
    """Pickle each context body's environment once and restart from it (see the module doc)."""


def split_header(context: str) -> tuple[str, str]:
    """(import lines, everything after them). Imports must come first in Lean."""
    lines = context.splitlines(keepends=True)
    i = 0
    while i < len(lines) and (lines[i].strip() == "" or lines[i].lstrip().startswith("import ")
                              or lines[i].lstrip().startswith("--")):
        i += 1
    return "".join(lines[:i]), "".join(lines[i:])


def interpret_tactic_reply(reply: dict, path: tuple[str, ...]) -> StepResult | tuple[int, tuple[str, ...]]:
    """Map a tactic reply to a step result; open goals come back as (proofState, goals)."""
    if "message" in reply and "proofState" not in reply:
        return TacticError(str(reply["message"]))
    errors = [m.get("data", "") for m in reply.get("messages", []) if m.get("severity") == "error"]
    if errors:
        return TacticError("; ".join(str(e) for e in errors))
    if reply.get("sorries"):
        return TacticError("tactic introduced sorry")
    status = reply.get("proofStatus", "")
    goals = tuple(reply.get("goals") or ())
    if status == "Completed" and not goals:
        return Proved(path)
    if not goals:
        return TacticError(f"no goals left but proof not complete: {status or 'no proofStatus'}")
    if status.startswith("Incomplete") and "open goals" not in status:
        return TacticError(status)
    return (int(reply["proofState"]), goals)


class LeanEnv:
    def __init__(self, config: LeanEnvConfig | None = None):
        self.config = config or LeanEnvConfig()
        self._repl: Repl | None = None
        self._header: str | None = None
        self._header_env: int | None = None
        self._body_envs: dict[str, int] = {}  # context body -> env id, in the current process
        self._theorem: Theorem | None = None
        self._ids: dict[tuple[str, ...], int] = {}  # tactic path -> proofState, current process
        self._header_ready = False  # the current process has the header's own environment
        self._pickles: dict[tuple[str, str], str | None] = {}  # (header, body) -> pickle file (None: failed)
        self._pickle_dir: str | None = None
        self.spawns = 0
        self.restored = 0  # processes whose context came from a pickle

    # -- ProofEnv ---------------------------------------------------------------------------

    def start(self, theorem: Theorem, *, timeout: float | None = None) -> ProofState:
        self._theorem = theorem
        self._ids = {}
        try:
            ps, goal = self._open_theorem(timeout or self.config.command_timeout)
        except ReplDied as e:  # the process exited: not the statement's fault
            self._theorem = None
            raise ProverDied(f"{theorem.name}: the Lean REPL died while loading the statement: {e}") from None
        except (ReplError, StartError) as e:
            self._theorem = None
            raise StartError(f"{theorem.name}: {e}") from None
        return ProofState(goals=(parse_goal(goal),), path=())

    def apply(self, state: ProofState, tactic: str, *, timeout: float,
              deadline: float | None = None) -> StepResult:
        if self._theorem is None:
            raise RuntimeError("apply() before start()")
        why = screen_body(tactic)
        if why is not None:
            return TacticError(why)
        last = ""
        for _ in range(2):  # a process that died mid-request is restarted and asked again
            try:
                ps = self._resolve(state.path, deadline)
            except InvalidRequest as e:
                return TacticError(f"invalid request: {e}")
            except ReplTimeout:  # the state's rebuild used the caller's time: the tactic never ran
                self._drop_process()
                return TacticTimeout(timeout, cut=True)
            except (ReplDied, StartError) as e:
                last = str(e)
                self._drop_process()
                continue
            try:
                reply = self._repl.request({"tactic": tactic, "proofState": ps}, timeout=timeout)
            except InvalidRequest as e:
                return TacticError(f"invalid request: {e}")
            except ReplTimeout:
                self._drop_process()
                return TacticTimeout(timeout)
            except (ReplDied, StartError) as e:
                last = str(e)
                self._drop_process()
                continue
            path = (*state.path, tactic)
            out = interpret_tactic_reply(reply, path)
            if isinstance(out, tuple):
                ps_new, goals = out
                self._ids[path] = ps_new
                return Goals(ProofState(goals=parse_goals(goals), path=path))
            return out
        return EnvCrash(f"REPL died twice: {last}")

    def close(self) -> None:
        self._drop_process()
        if self._pickle_dir is not None:
            shutil.rmtree(self._pickle_dir, ignore_errors=True)
            self._pickle_dir, self._pickles = None, {}

    def __enter__(self) -> "LeanEnv":
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def kill_process(self) -> None:
        """Kill the REPL abruptly (for recovery tests); the next call restarts it."""
        if self._repl is not None:
            self._repl.kill()

    # -- internals --------------------------------------------------------------------------

    def _drop_process(self) -> None:
        if self._repl is not None:
            self._repl.kill()
        self._repl, self._header, self._header_env = None, None, None
        self._body_envs, self._ids, self._header_ready = {}, {}, False

    def _usable(self, header: str) -> bool:
        """The current process is alive, not worn out, and runs ``header``'s imports."""
        if self._repl is not None and (not self._repl.alive or self._repl.worn_out):
            self._drop_process()
        return self._repl is not None and self._header == header

    def _spawn(self, header: str) -> Repl:
        self._drop_process()
        if not shutil.which(self.config.repl_command[0]) and not os.path.exists(self.config.repl_command[0]):
            raise StartError(f"{self.config.repl_command[0]!r} not found: install a Lean toolchain "
                             "with elan and build lean_project/ (see lean_project/README.md)")
        cfg = ReplConfig(command=self.config.repl_command, cwd=self.config.project_dir,
                         memory_limit_mb=self.config.memory_limit_mb,
                         rss_limit_mb=self.config.rss_limit_mb, max_requests=self.config.max_requests)
        self._repl = Repl(cfg)
        self.spawns += 1
        self._header = header
        return self._repl

    def _ensure_header(self, header: str, timeout: float) -> Repl:
        if not self._usable(header) or not self._header_ready:
            # (a process restored from a pickle has no header environment of its own; importing
            # the header again in it would hold two copies of the imports: a fresh one instead)
            self._spawn(header)
        if not self._header_ready:
            if header.strip():
                reply = self._repl.request({"cmd": header}, timeout=timeout)
                _raise_on_errors(reply, "header")
                self._header_env = int(reply["env"])
            self._header_ready = True
        return self._repl

    def _context_env(self, header: str, body: str, timeout: float, header_timeout: float) -> int | None:
        """The environment of ``header`` + ``body`` in the current process (None: the REPL's
        fresh one). A new process for a context pickled before is restored from the pickle."""
        key = (header, body)
        if not self._usable(header) and body.strip() and self._pickles.get(key):
            self._spawn(header)
            reply = self._repl.request({"unpickleEnvFrom": self._pickles[key]}, timeout=header_timeout)
            try:
                _raise_on_errors(reply, "context (unpickled)")
            except StartError:  # a pickle the REPL cannot read: elaborate the context, as before
                self._pickles[key] = None
            else:
                self._body_envs[body] = int(reply["env"])
                self.restored += 1
                return self._body_envs[body]
        if body in self._body_envs and self._usable(header):
            return self._body_envs[body]
        self._ensure_header(header, header_timeout)
        if not body.strip():
            return self._header_env
        if body not in self._body_envs:
            reply = self._command(body, self._header_env, timeout)
            _raise_on_errors(reply, "context")
            self._body_envs[body] = int(reply["env"])
            if key not in self._pickles and self.config.pickle_contexts:
                self._pickles[key] = self._pickle(key, self._body_envs[body], timeout)
                if not self._usable(header):  # pickling killed the process: build it once more
                    return self._context_env(header, body, timeout, header_timeout)
        return self._body_envs[body]

    def _pickle(self, key: tuple[str, str], env: int, timeout: float) -> str | None:
        """Pickle ``env`` to a file of this object's folder; None when the REPL refuses (then the
        context is rebuilt by elaboration, as without pickles)."""
        if self._pickle_dir is None:
            self._pickle_dir = tempfile.mkdtemp(prefix="qstar-lean-env-")
        name = hashlib.sha256("\0".join(key).encode()).hexdigest()[:20] + ".olean"
        path = os.path.join(self._pickle_dir, name)
        try:
            reply = self._repl.request({"pickleTo": path, "env": env}, timeout=timeout)
        except ReplError:
            return None
        try:
            _raise_on_errors(reply, "pickle")
        except StartError:
            return None
        return path if os.path.isfile(path) else None

    def _command(self, text: str, env: int | None, timeout: float) -> dict:
        req: dict = {"cmd": text}
        if env is not None:
            req["env"] = env
        return self._repl.request(req, timeout=timeout)

    def _open_theorem(self, timeout: float, *, header_timeout: float | None = None) -> tuple[int, str]:
        th = self._theorem
        header, body = split_header(th.context)
        env = self._context_env(header, body, timeout,
                                self.config.header_timeout if header_timeout is None else header_timeout)
        reply = self._command(th.statement.rstrip() + " := by sorry", env, timeout)
        _raise_on_errors(reply, "statement")
        sorries = reply.get("sorries") or []
        if len(sorries) != 1 or "proofState" not in sorries[0]:
            raise StartError(f"statement did not open exactly one proof state ({len(sorries)} sorries)")
        self._ids[()] = int(sorries[0]["proofState"])
        return self._ids[()], str(sorries[0].get("goal", ""))

    def _resolve(self, path: tuple[str, ...], deadline: float | None = None) -> int:
        """The proofState id of ``path`` in the current process, replaying what is missing within
        the caller's ``deadline`` (ReplTimeout past it)."""
        def limit(cap: float) -> float:
            if deadline is None:
                return cap
            left = deadline - time.monotonic()
            if left <= 0:
                raise ReplTimeout("no time left to rebuild the state")
            return min(cap, left)

        if self._repl is None or not self._repl.alive or self._repl.worn_out or () not in self._ids:
            self._drop_process()
            self._open_theorem(limit(self.config.command_timeout),
                               header_timeout=limit(self.config.header_timeout))
        known = len(path)
        while path[:known] not in self._ids:
            known -= 1
        for i in range(known, len(path)):
            reply = self._repl.request({"tactic": path[i], "proofState": self._ids[path[:i]]},
                                       timeout=limit(self.config.command_timeout))
            out = interpret_tactic_reply(reply, path[:i + 1])
            if not isinstance(out, tuple):
                raise ReplDied(f"replay of {path[i]!r} did not reproduce its state: {out}")
            self._ids[path[:i + 1]] = out[0]
        return self._ids[path]


def _raise_on_errors(reply: dict, what: str) -> None:
    if "message" in reply and "env" not in reply:
        raise StartError(f"{what}: {reply['message']}")
    errors = [m.get("data", "") for m in reply.get("messages", []) if m.get("severity") == "error"]
    if errors:
        raise StartError(f"{what}: " + re.sub(r"\s+", " ", "; ".join(map(str, errors)))[:300])
    if "env" not in reply:
        raise StartError(f"{what}: reply without an environment")
