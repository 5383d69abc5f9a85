"""Candidates of several sources in one list: a model policy, retrieval, the template policy
and the automation list, each shifted by the log of its weight."""

from __future__ import annotations

import math

from agent.env import ProofState


class MixedPolicy:
    """Union of candidates from a model policy, a retrieval policy, a template policy and the
    automation list.

    Each source's log-probs are shifted by the log of its weight; a tactic proposed by several
    sources keeps its best score. Any source may be absent.
    """

    def __init__(self, model_policy, automation, *, automation_weight: float = 0.1,
                 retrieval=None, retrieval_weight: float = 1.0, templates=None, template_weight: float = 1.0):
        self.parts = [(p, math.log(w)) for p, w in ((model_policy, 1.0), (retrieval, retrieval_weight),
                                                    (templates, template_weight),
                                                    (automation, automation_weight)) if p is not None]
        self.model_policy = model_policy

    def bind(self, theorem_name: str) -> "MixedPolicy":
        if hasattr(self.model_policy, "bind"):
            self.model_policy.bind(theorem_name)
        return self

    def __call__(self, state: ProofState) -> list[tuple[str, float]]:
        best: dict[str, float] = {}
        for policy, log_w in self.parts:
            for t, lp in policy(state):
                best[t] = max(lp + log_w, best.get(t, -math.inf))
        return sorted(best.items(), key=lambda x: -x[1])
