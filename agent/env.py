"""The port between search and a proof assistant.

A backend (``coq_env.CoqEnv``, ``lean_env.LeanEnv``) implements :class:`ProofEnv`. Search code
never parses prover text: it branches on the closed set of result types below.

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


@dataclass(frozen=True)
class ProofState:
    """Open goals, each rendered as text (hypotheses, then the conclusion after ``⊢``)."""

    goals: tuple[str, ...]
    path: tuple[str, ...] = field(default=(), compare=False, hash=False)

    def pretty(self) -> str:
        return "\n\n".join(self.goals)


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
    """The tactic ran past its wall-clock limit and was interrupted or killed."""

    seconds: float


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


class ProofEnv(Protocol):
    """What search needs from a proof assistant."""

    def start(self, theorem: Theorem, *, timeout: float) -> ProofState:
        """Load the theorem's context and statement; return the root state or raise StartError."""
        ...

    def apply(self, state: ProofState, tactic: str, *, timeout: float) -> StepResult:
        """Run ``tactic`` on ``state`` under a wall-clock limit of ``timeout`` seconds."""
        ...

    def close(self) -> None:
        """Stop every prover process this environment owns."""
        ...
