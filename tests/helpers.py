"""Small builders shared by tests: proof states from the text Coq prints, and toy goals."""

from agent.env import Goal, ProofState
from coq_env.goals import parse_rendered


def coq_state(text: str, path: tuple[str, ...] = ()) -> ProofState:
    """A state whose goals read as ``text`` (Coq's printing: ``x, y : T`` lines, ``⊢ C``)."""
    return ProofState(parse_rendered(text), path)


def coq_goals(text: str) -> tuple[Goal, ...]:
    return parse_rendered(text)


def toy(name: str) -> Goal:
    """A goal with no hypotheses whose conclusion is ``name`` (for scripted test doubles)."""
    return Goal((), name)
