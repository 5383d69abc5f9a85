"""Candidates of several sources in one list: a model policy, retrieval, the template policy,
the step generator, the goal's own arguments, the decision procedures that fit the goal and the automation list.

Every candidate remembers which sources proposed it, with each source's log-prob and rank
(``sources_of``): search records store them on the edge, so a learned Q(s, a) trains on exactly
the features it sees at search time. Without a Q the list is ranked by the sources' own scores
(each shifted by the log of its weight; a tactic proposed by several keeps its best score); with
one, by Q, and log Q (or, with ``q_norm="node"``, Q normalised over the node's candidates: the
policy Q implies) is the log-prob that best-first search and A*'s g use.
"""

from __future__ import annotations

import math

from agent.env import ProofState

# Each source's prior weight when candidates are ranked by the sources' own scores (the defaults
# of SearchConfig's --automation-weight and --goal-weight; Q's "own score" feature uses them too).
SOURCE_WEIGHTS = {"lm": 1.0, "knn": 1.0, "tpl": 1.0, "gen": 1.0, "goal": 0.3, "decide": 0.3, "auto": 0.1,
                  "proj": 1.0}


class MixedPolicy:
    """Union of candidates from named sources; any source may be absent."""

    def __init__(self, model_policy, automation, *, automation_weight: float = SOURCE_WEIGHTS["auto"],
                 retrieval=None, templates=None, goal_args=None, goal_weight: float = SOURCE_WEIGHTS["goal"],
                 q=None, q_norm: str = "none", decision=None, generator=None, project=None,
                 project_weight: float = SOURCE_WEIGHTS["proj"]):
        named = (("proj", project, project_weight),
                 ("lm", model_policy, SOURCE_WEIGHTS["lm"]), ("knn", retrieval, SOURCE_WEIGHTS["knn"]),
                 ("tpl", templates, SOURCE_WEIGHTS["tpl"]), ("gen", generator, SOURCE_WEIGHTS["gen"]),
                 ("goal", goal_args, goal_weight),
                 ("decide", decision, SOURCE_WEIGHTS["decide"]), ("auto", automation, automation_weight))
        self.parts = [(name, p, math.log(w)) for name, p, w in named if p is not None]
        if q_norm not in ("node", "none"):
            raise ValueError(f"q_norm must be node or none, not {q_norm!r}")
        self.model_policy, self.q, self.q_norm = model_policy, q, q_norm
        self.project_weight = project_weight if project is not None and project_weight > 0 else None
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
            if self.q_norm == "node":
                scores = normalised(scores)
            if self.project_weight is not None:  # Q never saw the user's idiom: a step of the
                # file's own proofs keeps at least its own weighted score
                floor = math.log(self.project_weight)
                scores = [max(x, sources[t]["proj"][0] + floor) if "proj" in sources[t] else x
                          for t, x in zip(tactics, scores)]
            return sorted(zip(tactics, scores), key=lambda x: -x[1])
        return sorted(best.items(), key=lambda x: -x[1])


def normalised(log_ps: list[float]) -> list[float]:
    """log(p_i / sum_j p_j) of log-probs: a node's scores as a distribution over its candidates."""
    top = max(log_ps)
    lse = top + math.log(sum(math.exp(x - top) for x in log_ps))
    return [x - lse for x in log_ps]
