"""Coq 8.16 as a :class:`agent.env.ProofEnv`, driven through coqidetop's XML protocol.

The STM document in coqidetop is linear: ``context sentences, statement, Proof., tactics...``,
each with a state id. A search state is a tactic path from the root; to run a tactic on it we
``Edit_at`` the longest prefix of the path that is still in the document, re-add the rest of the
path, then add the tactic's sentences and ask for the goals (which executes them). Sibling
expansions therefore cost one ``Edit_at`` each; a jump to a distant node replays only the part of
its path that is not shared. A state id expires once we edit before it, so ids never leave this
file: callers hold paths.

Recovery: a dead process (crash, kill, or a tactic that ignored the interrupt) is restarted on
the next call and the document rebuilt from the theorem and the path, so a kill in the middle of
a search does not change its result.
"""

from __future__ import annotations

import functools
import shutil
import tempfile
import time
import weakref
from dataclasses import dataclass

from agent.env import (EnvCrash, Goal, Goals, ProofState, Proved, ProverDied, StartError, StepResult, TacticError,
                       TacticTimeout, Theorem)
from coq_env import protocol
from coq_env.idetop import CoqDied, CoqInterrupted, CoqKilled, IdeTop
from coq_env.screen import screen_body
from coq_env.sentences import SentenceError, split_sentences


# coqidetop's default error resilience skips a failing command and admits a failing proof, so a
# context that coqc rejects would load "fine": the search would run in another context than
# the final check's. Strict, a failing context sentence is a statement error.
STRICT_ARGS = ("-async-proofs-command-error-resilience", "off")


@dataclass
class CoqEnvConfig:
    """Settings of the Coq backend."""

    args: tuple[str, ...] = ()
    """Extra coqidetop arguments, e.g. ("-R", "theories", "MyLib")."""
    cwd: str | None = None
    """Working directory of the prover (default: a private temporary folder, so that tactic
    caches such as .lia.cache never land in the user's folder; give -R/-Q paths absolute)."""
    load_timeout: float = 120.0
    """Wall-clock limit for loading a theorem's context and statement."""
    interrupt_grace: float = 2.0
    """Seconds to wait for Coq to answer SIGINT before killing it."""
    edit_timeout: float = 10.0
    """Wall-clock limit for moving the document back after a failed or interrupted tactic (an
    Edit_at, normally milliseconds); past it the prover is restarted."""


class CoqEnv:
    """A ProofEnv over one coqidetop process (restarted as needed)."""

    def __init__(self, config: CoqEnvConfig | None = None):
        self.config = config or CoqEnvConfig()
        self._cwd = self.config.cwd
        if self._cwd is None:
            self._cwd = tempfile.mkdtemp(prefix="qstar-coq-")
            weakref.finalize(self, shutil.rmtree, self._cwd, True)
        self._top: IdeTop | None = None
        self._root_sid = 1  # state id after Init
        self._loaded: list[tuple[str, int]] = []  # (sentence, state id) of context + statement
        self._theorem: Theorem | None = None
        self._path: list[tuple[str, int]] = []  # (tactic, state id after it) on top of _loaded
        self._root_sentences: list[str] = []  # context + statement + "Proof." of the theorem
        self._deadline: float | None = None  # the caller's deadline for the call in progress
        self.spawns = 0  # processes started; more than one means crash/timeout recovery ran
        self.kernel_calls = 0

    # -- ProofEnv ---------------------------------------------------------------------------

    def start(self, theorem: Theorem, *, timeout: float | None = None) -> ProofState:
        try:
            sentences = [s.text for s in split_sentences(theorem.context)]
            stmt = [s.text for s in split_sentences(theorem.statement)]
        except SentenceError as e:
            raise StartError(f"{theorem.name}: {e}") from None
        if len(stmt) != 1:
            raise StartError(f"{theorem.name}: statement must be one sentence, got {len(stmt)}")
        self._theorem = theorem
        self._root_sentences = [*sentences, stmt[0], theorem.opener or "Proof."]
        try:
            goals = self._load(self._root_sentences, timeout or self.config.load_timeout)
        except (CoqKilled, CoqInterrupted) as e:  # too slow to load: the statement's
            self._theorem = None
            raise StartError(f"{theorem.name}: prover did not load the statement: {e}") from None
        except CoqDied as e:  # the process exited: not the statement's fault
            self._theorem = None
            raise ProverDied(f"{theorem.name}: coqidetop died while loading the statement: {e}") from None
        if goals is None or not goals.foreground:
            self._theorem = None
            raise StartError(f"{theorem.name}: statement opened no goal")
        return ProofState(goals=_state_goals(goals), path=())

    def apply(self, state: ProofState, tactic: str, *, timeout: float,
              deadline: float | None = None) -> StepResult:
        if self._theorem is None:
            raise RuntimeError("apply() before start()")
        sentences = _prepare(tactic)
        if isinstance(sentences, str):
            return TacticError(sentences)
        self._deadline = deadline
        for attempt in range(2):  # a process that dies mid-call is restarted and asked again
            try:
                return self._apply(state.path, tactic, sentences, timeout)
            except _NotRun:  # rebuilding the state used the caller's time: the tactic never ran
                return TacticTimeout(timeout, cut=True)
            except (CoqInterrupted, CoqKilled, _Timeout):
                return TacticTimeout(timeout)
            except (CoqDied, StartError) as e:
                last = str(e)
                self.close()
        return EnvCrash(f"coqidetop died twice: {last}")

    def close(self) -> None:
        if self._top is not None:
            self._top.kill()
            self._top = None
        self._loaded, self._path = [], []

    def __enter__(self) -> "CoqEnv":
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def kill_process(self) -> None:
        """Kill the prover abruptly (for recovery tests); the next call restarts it."""
        if self._top is not None:
            self._top.kill()

    # -- internals --------------------------------------------------------------------------

    def _ensure_process(self) -> IdeTop:
        if self._top is not None and self._top.alive:
            return self._top
        if self._top is not None:
            self._top.kill()
        self.spawns += 1
        top = IdeTop(args=(*STRICT_ARGS, *self.config.args), cwd=self._cwd, grace=self.config.interrupt_grace)
        reply = top.call(protocol.init_call(), timeout=self.config.load_timeout)
        if not reply.good:
            top.kill()
            raise CoqDied(f"Init failed: {reply.error}")
        self._root_sid = int(reply.root.find("state_id").get("val"))
        self._top, self._loaded, self._path = top, [], []
        return top

    def _call(self, payload: bytes, timeout: float) -> protocol.Reply:
        self.kernel_calls += 1
        top = self._top if self._top is not None else self._ensure_process()  # call() checks liveness
        try:
            return top.call(payload, timeout=timeout)
        except CoqDied:
            self.close()
            raise

    def _tip(self) -> int:
        if self._path:
            return self._path[-1][1]
        return self._loaded[-1][1] if self._loaded else self._root_sid

    def _edit_at(self, sid: int, timeout: float, *, force: bool = False) -> None:
        """Make ``sid`` the document's tip (a no-op when it is already, unless ``force``)."""
        if sid == self._tip() and not force:
            return
        reply = self._call(protocol.edit_at_call(sid), timeout)
        if not reply.good:
            raise CoqDied(f"Edit_at {sid} failed: {reply.error}")

    def _rollback(self, sid: int) -> None:
        """Move the document back to ``sid`` after a failed or interrupted tactic, within
        ``edit_timeout`` (not another tactic's limit); a prover that cannot is dropped, and the
        next call starts a fresh one (the tactic's own verdict stands)."""
        try:
            self._edit_at(sid, self.config.edit_timeout, force=True)
        except (CoqInterrupted, CoqDied):
            self.close()

    def _add(self, sentence: str, at: int, timeout: float) -> int | str:
        """Add one sentence after state ``at``; its new state id, or the parse error text."""
        reply = self._call(protocol.add_call(sentence, at), timeout)
        if not reply.good:
            return reply.error
        return protocol.new_state_id(reply)

    def _load(self, sentences: list[str], timeout: float) -> protocol.CoqGoals | None:
        """Make the document exactly ``sentences`` (reusing a shared prefix) and execute it."""
        self._ensure_process()
        keep = 0
        while (keep < len(self._loaded) and keep < len(sentences)
               and self._loaded[keep][0] == sentences[keep]):
            keep += 1
        self._edit_at(self._loaded[keep - 1][1] if keep else self._root_sid, timeout)
        self._loaded, self._path = self._loaded[:keep], []
        try:
            for s in sentences[keep:]:
                sid = self._add(s, self._tip(), timeout)
                if isinstance(sid, str):
                    raise StartError(f"does not parse: {s[:60]!r}: {sid}")
                self._loaded.append((s, sid))
            reply = self._call(protocol.goal_call(), timeout)
            if not reply.good:
                raise StartError(reply.error)
        except (StartError, CoqInterrupted):
            # A half-loaded document must never be reused: start afresh next time.
            self.close()
            raise
        return protocol.parse_goals(reply)

    def _replay_timeout(self) -> float:
        """The limit for rebuilding a state: the load limit, cut to the caller's time left."""
        if self._deadline is None:
            return self.config.load_timeout
        left = self._deadline - time.monotonic()
        if left <= 0:
            raise _Timeout()
        return min(self.config.load_timeout, left)

    def _sync(self, path: tuple[str, ...], deadline_timeout: float) -> None:
        """Bring the document to the state reached by ``path`` (replaying what is missing)."""
        if not self._loaded or self._top is None or not self._top.alive:
            goals = self._load(self._root_sentences, self._replay_timeout())
            if goals is None:
                raise CoqDied("reload opened no goal")
        keep = 0
        while keep < len(self._path) and keep < len(path) and self._path[keep][0] == path[keep]:
            keep += 1
        target = self._path[keep - 1][1] if keep else self._loaded[-1][1]
        self._edit_at(target, deadline_timeout)
        self._path = self._path[:keep]
        for tactic in path[keep:]:
            prepared = _prepare(tactic)
            if isinstance(prepared, str):
                raise CoqDied(f"replay of {tactic!r}: {prepared}")
            result = self._run_tactic(prepared, self._replay_timeout())
            if isinstance(result, str):
                raise CoqDied(f"replay of {tactic!r} failed: {result}")
            self._path.append((tactic, result[0]))

    def _run_tactic(self, sentences: tuple[str, ...], timeout: float) -> tuple[int, protocol.CoqGoals | None] | str:
        """Add and execute a tactic's sentences at the tip: (new tip id, goals), or an error text.

        On error the document is rolled back to where it was.
        """
        before = sid = self._tip()
        for s in sentences:
            added = self._add(s, sid, timeout)
            if isinstance(added, str):
                if sid != before:
                    self._rollback(before)
                return added
            sid = added
        try:
            reply = self._call(protocol.goal_call(), timeout)
        except CoqInterrupted:
            self._rollback(before)
            raise _Timeout() from None
        if not reply.good:
            self._rollback(before)
            return reply.error
        return sid, protocol.parse_goals(reply)

    def _apply(self, path: tuple[str, ...], tactic: str, sentences: tuple[str, ...],
               timeout: float) -> StepResult:
        try:
            self._sync(path, timeout)
        except (CoqInterrupted, CoqKilled, _Timeout):
            raise _NotRun() from None
        result = self._run_tactic(sentences, timeout)
        if isinstance(result, str):
            return TacticError(result)
        sid, goals = result
        self._path.append((tactic, sid))
        new_path = (*path, tactic)
        if goals is None:
            return TacticError("tactic left proof mode")
        if goals.given_up:
            return TacticError("tactic gave up a goal")
        if not (goals.foreground or goals.background or goals.shelved):
            return Proved(new_path)
        return Goals(ProofState(goals=_state_goals(goals), path=new_path))


class _Timeout(Exception):
    pass


class _NotRun(Exception):
    """The deadline passed while the state was being rebuilt, before the tactic ran."""


@functools.lru_cache(maxsize=1 << 16)
def _prepare(tactic: str) -> tuple[str, ...] | str:
    """A tactic's sentences, or why it is refused (screened, unterminated or empty). Search tries
    the same few hundred tactic texts at every state: each is screened and split once."""
    why = screen_body(tactic)
    if why is not None:
        return why
    sentences = tuple(s.text for s in split_sentences(tactic))
    return sentences or "empty tactic"


def _state_goals(g: protocol.CoqGoals) -> tuple[Goal, ...]:
    # Focused goals first; unfocused and shelved ones are still owed before Qed.
    return (*g.foreground, *g.background, *g.shelved)
