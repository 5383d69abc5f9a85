"""The port between search and a proof assistant.

A backend (``coq_env.CoqEnv``, ``lean_env.LeanEnv``) implements :class:`ProofEnv`. Search code
never parses prover text: it branches on the closed set of result types below.

Goals cross the port structured: each :class:`Goal` holds its hypotheses (names, type, optional
body) and its conclusion as fields, filled by the backend from what the prover hands over (Coq's
XML, Lean's REPL goals parsed once in ``lean_env``). Policies, features and data read the fields;
``pretty`` is the one renderer (prompts, records, tables), and it prints a goal the way its
prover does, so a prompt is what a published model saw in training.

A :class:`ProofState` is identified by its goals. Its ``path`` (the tactics applied from the
theorem's root) is the backend-independent handle: a backend that lost its process rebuilds any
state by replaying the path. The path is excluded from equality, so two routes to the same goals
are one state (transpositions).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Protocol, Union


@dataclass(frozen=True)
class Theorem:
    """One theorem to prove, as it stands in its source.

    ``context`` is everything the statement needs (imports, definitions, earlier lemmas);
    ``statement`` is the declaration up to its proof (Coq: ``Lemma x : T.``; Lean:
    ``theorem x ... : T`` without ``:=``). The final check re-inserts exactly this text.
    """

    name: str
    statement: str
    context: str = ""
    backend: str = "coq"  # "coq" | "lean"
    opener: str = ""
    """How the file opens this theorem's proof when not plainly (Coq: ``Proof using x y.``,
    ``Proof with auto.``): search and check open it the same way, and the written file keeps it."""


@dataclass(frozen=True)
class Hypothesis:
    """One line of a goal's context: ``x, y : T`` (several names, one type), or a local
    definition ``x := v : T`` (Lean prints ``x : T := v``)."""

    names: tuple[str, ...]
    type: str
    body: str = ""  # the value of a local definition, empty otherwise


@dataclass(frozen=True)
class Goal:
    """One open goal: hypotheses and conclusion as fields, plus the prover's case tag if any."""

    hypotheses: tuple[Hypothesis, ...]
    conclusion: str
    tag: str = ""  # Lean's ``case h``, Coq's goal name; empty when the prover gives none
    shelved: bool = False  # Coq: a shelved goal, still owed before Qed
    style: str = field(default="coq", compare=False)  # how ``pretty`` prints it: coq | lean

    def pretty(self) -> str:
        """The goal as its prover prints it (Coq: ``x, y : T``; Lean: ``case t``, ``x y : T``)."""
        lean = self.style == "lean"
        lines = [f"case {self.tag}"] if lean and self.tag else []
        for h in self.hypotheses:
            names = (" " if lean else ", ").join(h.names)
            if not h.body:
                lines.append(f"{names} : {h.type}")
            else:
                lines.append(f"{names} : {h.type} := {h.body}" if lean else f"{names} := {h.body} : {h.type}")
        lines.append("⊢ " + self.conclusion)
        return ("(shelved) " if self.shelved else "") + "\n".join(lines)

    def locals(self) -> list[tuple[str, Hypothesis]]:
        """(name, its hypothesis) for every local, oldest first."""
        return [(n, h) for h in self.hypotheses for n in h.names]

    def to_json(self) -> dict:
        out: dict = {"hyps": [{"names": list(h.names), "type": h.type, **({"body": h.body} if h.body else {})}
                              for h in self.hypotheses], "concl": self.conclusion}
        if self.tag:
            out["tag"] = self.tag
        if self.shelved:
            out["shelved"] = True
        if self.style != "coq":
            out["style"] = self.style
        return out

    @staticmethod
    def from_json(d: dict) -> "Goal":
        return Goal(tuple(Hypothesis(tuple(h["names"]), h["type"], h.get("body", "")) for h in d["hyps"]),
                    d["concl"], d.get("tag", ""), bool(d.get("shelved", False)), d.get("style", "coq"))


@dataclass(frozen=True)
class ProofState:
    """Open goals, the focused one first."""

    goals: tuple[Goal, ...]
    path: tuple[str, ...] = field(default=(), compare=False, hash=False)

    def pretty(self) -> str:
        return pretty_goals(self.goals)


def pretty_goals(goals) -> str:
    """The one renderer of a list of goals (blank line between goals)."""
    return "\n\n".join(g.pretty() for g in goals)


@dataclass(frozen=True)
class Goals:
    """The tactic ran and left these goals."""

    state: ProofState


@dataclass(frozen=True)
class Proved:
    """The tactic closed every goal; ``path`` is the whole proof script."""

    path: tuple[str, ...]


@dataclass(frozen=True)
class TacticError:
    """The prover rejected the tactic (or the client did, before sending it)."""

    message: str


@dataclass(frozen=True)
class TacticTimeout:
    """The tactic ran past its wall-clock limit and was interrupted or killed.

    ``cut``: the caller's ``deadline`` ran out while the state was being rebuilt, so the tactic
    itself never ran (or ran only part of its limit): it was not judged, and training data must
    not call it slow (``agent.search.labels``: a ``cut`` edge, no label)."""

    seconds: float
    cut: bool = False


@dataclass(frozen=True)
class EnvCrash:
    """The prover process died or stopped answering; the backend restarts on the next call."""

    message: str


StepResult = Union[Goals, Proved, TacticError, TacticTimeout, EnvCrash]


@dataclass(frozen=True)
class Verdict:
    """The sound final check's answer for one theorem."""

    name: str
    ok: bool
    reason: str = ""  # one line: why not, empty when ok


class StartError(Exception):
    """The theorem's context or statement does not load (a 'statement error', not a failure)."""


class ProverDied(StartError):
    """The prover process exited while loading the theorem (not a timeout): qstar's or the
    machine's failure, recorded as an internal error, never as the user's statement error."""


class ProofEnv(Protocol):
    """What search needs from a proof assistant."""

    def start(self, theorem: Theorem, *, timeout: float) -> ProofState:
        """Load the theorem's context and statement; return the root state or raise StartError."""
        ...

    def apply(self, state: ProofState, tactic: str, *, timeout: float,
              deadline: float | None = None) -> StepResult:
        """Run ``tactic`` on ``state`` under a wall-clock limit of ``timeout`` seconds.

        Rebuilding ``state`` first (replaying its path after a restart) is bounded by
        ``deadline`` (a ``time.monotonic()`` instant: the caller's own deadline), not by a fresh
        limit; past it the answer is ``TacticTimeout``."""
        ...

    def close(self) -> None:
        """Stop every prover process this environment owns."""
        ...
