"""Small builders shared by tests: proof states from the text Coq prints, toy goals, and a
scripted environment (a test double for search logic only, never a kernel)."""

import time

from agent.env import EnvCrash, Goal, Goals, ProofState, Proved, TacticError, TacticTimeout
from coq_env.goals import parse_rendered


def coq_state(text: str, path: tuple[str, ...] = ()) -> ProofState:
    """A state whose goals read as ``text`` (Coq's printing: ``x, y : T`` lines, ``⊢ C``)."""
    return ProofState(parse_rendered(text), path)


def coq_goals(text: str) -> tuple[Goal, ...]:
    return parse_rendered(text)


def toy(name: str) -> Goal:
    """A goal with no hypotheses whose conclusion is ``name`` (for scripted test doubles)."""
    return Goal((), name)


class ScriptedEnv:
    """A test double for search logic: a state is its first goal's conclusion, and
    ``moves[state][tactic]`` is the next state, "QED", "TIMEOUT" (ran its whole limit), "SLOW"
    (sleeps through the limit it is given, then times out), "NOTRUN" (the backend's deadline
    passed before it ran), "CRASH"; anything else is an error."""

    def __init__(self, moves):
        self.moves = moves
        self.applied = []

    def apply(self, state, tactic, *, timeout, deadline=None):
        key = state.goals[0].conclusion
        self.applied.append((key, tactic))
        nxt = self.moves.get(key, {}).get(tactic)
        if nxt is None:
            return TacticError("no")
        if nxt == "TIMEOUT":
            return TacticTimeout(timeout)
        if nxt == "SLOW":
            time.sleep(timeout)
            return TacticTimeout(timeout)
        if nxt == "NOTRUN":
            return TacticTimeout(timeout, cut=True)
        if nxt == "CRASH":
            return EnvCrash("died")
        if nxt == "QED":
            return Proved((*state.path, tactic))
        return Goals(ProofState((toy(nxt),), (*state.path, tactic)))


def alive(pid: int) -> bool:
    """Whether process ``pid`` exists and is not a zombie (read from /proc)."""
    try:
        with open(f"/proc/{pid}/stat") as f:
            return f.read().rsplit(")", 1)[1].split()[0] != "Z"
    except OSError:
        return False
