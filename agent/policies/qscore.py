"""Q(s, a) over hashed features of the structured goal: a learned part that trains in seconds on
two cores (``agent.policies.hashed``; trained by ``qstar train qv``, with V in
``agent.policies.state_value``).

- ``QScorer``: the probability that candidate tactic ``a`` at state ``s`` is a step of a proof,
  trained on every kernel verdict of the search records (``agent.learning.qdata``). Features:
  the focused goal's tokens crossed with the tactic's stem and with its shape (local names and
  numerals abstracted), the tactic itself, and which sources proposed it with their own rank and
  log-prob bins; so it ranks the candidates of every source on one scale. ``log_q`` is what
  best-first search and A*'s g use as the step's log-prob.
"""

from __future__ import annotations

import math
import re
from typing import Sequence

from agent.env import Goal
from agent.policies.hashed import HashedLogistic, exists, hash_features
from agent.learned.features import IDENT, goal_features
from agent.policies.mixed import SOURCE_WEIGHTS
from agent.policies.tactic_templates import stem

Q_STEM = "q_model"
_NUM = re.compile(r"\d+")


def _goal_tokens(goals: Sequence[Goal]) -> list[str]:
    """Distinct unigram tokens of the focused goal (hypothesis and conclusion tokens)."""
    return [t for t in goal_features(goals) if not t.startswith("b:")]


def shape(tactic: str, goals: Sequence[Goal]) -> str:
    """The tactic with the focused goal's local names and the numerals abstracted."""
    names = {n for n, _ in goals[0].locals()} if goals else set()
    return _NUM.sub("#", IDENT.sub(lambda m: "_" if m.group(0) in names else m.group(0), tactic))


def own_score(sources: dict) -> float:
    """The candidate's score when ranked by the sources' own scores: its best weighted log-prob."""
    return max((lp + math.log(SOURCE_WEIGHTS.get(s, 1.0)) for s, (lp, _) in sources.items()), default=-20.0)


def q_features(goals: Sequence[Goal], tactic: str, sources: dict, tokens: list[str] | None = None) -> list:
    """Features of a (state, candidate) pair: names (value 1) and (name, value) pairs."""
    tokens = _goal_tokens(goals) if tokens is None else tokens
    st, sh = stem(tactic), shape(tactic, goals)
    out = [f"t={tactic}", f"s={st}", f"sh={sh}", f"ng={min(len(goals), 4)}|{st}"]
    out += [f"{tok}|s={st}" for tok in tokens]
    out += [f"{tok}|sh={sh}" for tok in tokens if tok.startswith("c:")]
    for src, (lp, rank) in sources.items():
        out += [f"src={src}", f"src={src}|r{min(int(rank), 8)}", f"src={src}|lp{min(int(-lp), 12)}",
                f"src={src}|s={st}"]
    out.append(f"nsrc={len(sources)}")
    out += [("own", own_score(sources))] + [(f"src={src}|lpv", lp) for src, (lp, _) in sources.items()]
    return out


DENSE = ("own", "src=", "nsrc=")  # the sources' own features: unpenalised, `own` starts at weight 1


def dense_prior(rows_features: list[list], buckets: int) -> tuple[dict[int, float], set[int]]:
    """(initial weights, unpenalised buckets) of Q's training: the dense source features are
    free, and the sources' own score starts at weight 1."""
    names = {f if isinstance(f, str) else f[0] for fs in rows_features for f in fs}
    free = {int(hash_features([n], buckets)[0][0]) for n in names if n.startswith(DENSE)}
    return {int(hash_features(["own"], buckets)[0][0]): 1.0}, free


class QScorer:
    """Q(s, a) from a trained hashed logistic model."""

    def __init__(self, model: HashedLogistic):
        self.model = model

    def probs(self, goals: Sequence[Goal], candidates: list[tuple[str, dict]]) -> list[float]:
        tokens = _goal_tokens(goals)
        rows = [hash_features(q_features(goals, t, src, tokens), self.model.cfg.buckets) for t, src in candidates]
        return self.model.probs(rows).tolist()

    def log_q(self, goals: Sequence[Goal], candidates: list[tuple[str, dict]]) -> list[float]:
        return [math.log(max(p, 1e-9)) for p in self.probs(goals, candidates)]

    @classmethod
    def load(cls, folder: str) -> "QScorer":
        return cls(HashedLogistic.load(folder, Q_STEM)[0])


def has_q(folder: str) -> bool:
    return exists(folder, Q_STEM)
