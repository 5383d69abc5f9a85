"""Candidates of several sources in one list: a model policy, retrieval, the template policy,
the goal's own arguments and the automation list.

Every candidate remembers which sources proposed it, with each source's log-prob and rank
(``sources_of``): search records store them on the edge, so a learned Q(s, a) trains on exactly
the features it sees at search time. Without a Q the list is ranked by the sources' own scores
(each shifted by the log of its weight; a tactic proposed by several keeps its best score); with
one, by Q, and log Q is the log-prob that best-first search and A*'s g use.
"""

from __future__ import annotations

import math

from agent.env import ProofState


class MixedPolicy:
    """Union of candidates from named sources; any source may be absent."""

    def __init__(self, model_policy, automation, *, automation_weight: float = 0.1,
                 retrieval=None, retrieval_weight: float = 1.0, templates=None, template_weight: float = 1.0,
                 goal_args=None, goal_weight: float = 0.3, q=None, top: int = 0):
        named = (("lm", model_policy, 1.0), ("knn", retrieval, retrieval_weight), ("tpl", templates, template_weight),
                 ("goal", goal_args, goal_weight), ("auto", automation, automation_weight))
        self.parts = [(name, p, math.log(w)) for name, p, w in named if p is not None]
        self.model_policy, self.q, self.top = model_policy, q, top
        self._sources: dict[str, dict[str, list]] = {}

    def bind(self, theorem_name: str) -> "MixedPolicy":
        if hasattr(self.model_policy, "bind"):
            self.model_policy.bind(theorem_name)
        return self

    def sources_of(self, tactic: str) -> dict[str, list]:
        """{source: [log-prob, rank]} of ``tactic`` in the last call's candidates."""
        return self._sources.get(tactic, {})

    def __call__(self, state: ProofState) -> list[tuple[str, float]]:
        best: dict[str, float] = {}
        sources: dict[str, dict[str, list]] = {}
        for name, policy, log_w in self.parts:
            for rank, (t, lp) in enumerate(policy(state)):
                best[t] = max(lp + log_w, best.get(t, -math.inf))
                sources.setdefault(t, {})[name] = [round(lp, 4), rank]
        self._sources = sources
        if self.q is not None and best:
            tactics = list(best)
            scores = self.q.log_q(state.goals, [(t, sources[t]) for t in tactics])
            ranked = sorted(zip(tactics, scores), key=lambda x: -x[1])
        else:
            ranked = sorted(best.items(), key=lambda x: -x[1])
        return ranked[:self.top] if self.top else ranked
