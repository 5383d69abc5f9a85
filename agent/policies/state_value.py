"""V(s) over hashed features of the structured goal: the probability that a state can be closed,
trained on proved / refuted states only (``agent.search.labels``; ``qstar train qv``). A*'s h is
-log V. The LM's value head is ``agent.policies.lm_value``."""

from __future__ import annotations

import math
from collections import OrderedDict
from typing import Sequence

from agent.env import Goal, ProofState
from agent.learned.features import goal_features
from agent.policies.hashed import HashedLogistic, exists, hash_features

V_STEM = "state_value"


def v_features(goals: Sequence[Goal]) -> list[str]:
    """Feature names of a state."""
    if not goals:
        return ["no-goals"]
    out = [f"ng={min(len(goals), 6)}", f"nh={min(len(goals[0].hypotheses), 12)}",
           f"len={min(len(goals[0].conclusion) // 20, 10)}"]
    out += list(goal_features(goals))
    return out


class StateValue:
    """V(s) from a trained hashed logistic model: batched, cached per state."""

    def __init__(self, model: HashedLogistic, cache_size: int = 100_000):
        self.model = model
        self._cache: OrderedDict = OrderedDict()
        self._cache_size = cache_size

    def __call__(self, states: list[ProofState]) -> list[float]:
        todo = [s for s in dict.fromkeys(states) if s not in self._cache]
        if todo:
            rows = [hash_features(v_features(s.goals), self.model.cfg.buckets) for s in todo]
            for s, p in zip(todo, self.model.probs(rows).tolist()):
                self._cache[s] = p
            while len(self._cache) > self._cache_size:
                self._cache.popitem(last=False)
        return [self._cache[s] for s in states]

    def heuristic(self, v: float) -> float:
        """h(state) for A*: -log V."""
        return -math.log(max(v, 1e-9))

    @classmethod
    def load(cls, folder: str) -> "StateValue":
        return cls(HashedLogistic.load(folder, V_STEM)[0])


def has_state_value(folder: str) -> bool:
    return exists(folder, V_STEM)
