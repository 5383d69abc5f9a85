"""The search's source for the user's own proofs: the steps of the human proofs above a theorem
(``agent.project``), proposed at the states most like the current one, each with the local
names of its own proof renamed to the current state's.

Tactician's k-NN proposes a file's steps word for word; half of the steps a library's proofs are
made of recur in an earlier proof of the same file only once the names are abstracted (issue 45):
``destruct (Rle_lt_dec a b)`` at a state whose variables are ``x`` and ``y`` is
``destruct (Rle_lt_dec x y)`` here. A local of the retrieved step is renamed to the current
state's local of the same type (the types read with the renaming so far), or, failing that, to
the one at the same position among the hypotheses; a step whose locals all exist here is also
proposed as written. States are compared with their locals named by place (``nameless``); the
candidates of the nearest rows are ranked by ``agent.project.rank`` (similarity, the step before,
the place in the proof, recency). Names a step binds (``intros x y``) and globals are never touched.
"""

from __future__ import annotations

import dataclasses
import functools
import math
import re
from collections import Counter

from agent.env import Hypothesis, ProofState
from agent.learned.features import goal_features
from agent.policies.retrieval import KnnPolicy
from agent.project.rank import Candidate

_IDENT = re.compile(r"(?<![\w'.])[A-Za-z_][\w']*(?![\w'])")


class ProjectPolicy:
    """k-NN over the rows alone: a few hundred, so a token is indexed unless half of them share it
    (the corpus database's 5 % would drop most of a file's vocabulary).

    ``rows``: (goals, step) pairs, or (goals, step, k) with ``k`` the step's place in its proof
    (0: the first), in file order; the place tells the ranker which step came before each row.
    With a ``ranker`` (``agent.project.rank``), a candidate's log-prob is its calibrated chance to
    be the user's step; without one, the log of its nearest row's similarity."""

    def __init__(self, rows, *, neighbours: int = 64, max_candidates: int = 10, ranker=None):
        rows = list(rows)
        self.goals = [r[0] for r in rows]
        self.knn = KnnPolicy.from_features([_bag(r[0]) for r in rows], [r[1] for r in rows], neighbours=neighbours,
                                           max_candidates=max_candidates, max_df=0.5)
        self.place = [r[2] if len(r) > 2 else None for r in rows]
        # the step before each row in its proof ("" for a first step; None: not known)
        self.prev = [None if k is None else ("" if k == 0 or i == 0 else _norm(rows[i - 1][1]))
                     for i, k in enumerate(self.place)]
        self.uses = Counter(_norm(r[1]) for r in rows)
        self.neighbours, self.max_candidates, self.ranker = neighbours, max_candidates, ranker

    def __call__(self, state: ProofState) -> list[tuple[str, float]]:
        """The candidates, best first, with their log-probs: the ranker's, or (without one) the
        log of the best row's cosine similarity (not normalised over the candidates: a step taken
        at a nearly identical state of the file is nearly certain, one taken at a loosely similar
        state is not)."""
        if not state.goals:
            return []
        return self.scored(self.candidates(state))[:self.max_candidates]

    def scored(self, cands: dict[str, Candidate]) -> list[tuple[str, float]]:
        """Every candidate with its log-prob, best first."""
        if self.ranker is None:
            scored = [(t, math.log(min(1.0, max(c.max_sim, 1e-3)))) for t, c in cands.items()]
        else:
            scored = [(t, self.ranker.log_prob(self.features(t, c))) for t, c in cands.items()]
        return sorted(scored, key=lambda kv: -kv[1])

    def features(self, text: str, cand: Candidate) -> list[float]:
        """The ranker's features of candidate ``text`` in this database."""
        return cand.features(text, len(self.goals), self.uses.get(text, 0))

    def candidates(self, state: ProofState) -> dict[str, Candidate]:
        """{step text: what its neighbours say of it} for the nearest rows to ``state``; ``state.path``
        (the steps taken from the theorem's start) says where in its proof the state stands."""
        best = self.knn.nearest(nameless(state.goals), self.neighbours)
        prev = _norm(state.path[-1]) if state.path else ""
        here = len(state.path)
        head = _head(state.goals)
        out: dict[str, Candidate] = {}
        for rank, (i, s) in enumerate(best):
            tactic, there = self.knn.tactics[i], self.goals[i]
            k = self.place[i]
            facts = dict(same_prev=self.prev[i] == prev, same_step=k == here, both_first=k == 0 and here == 0,
                         same_head=_head(there) == head, same_goals=len(there) == len(state.goals))
            renamed = rename(tactic, there, state.goals)
            if renamed != tactic:
                out.setdefault(_norm(renamed), Candidate()).add(rank, s, i, written=False, **facts)
                if not _all_here(tactic, there, state.goals):
                    continue
            out.setdefault(_norm(tactic), Candidate()).add(rank, s, i, written=True, **facts)
        return out


@functools.lru_cache(maxsize=1 << 15)
def _bag(goals) -> Counter:
    """A row's feature bag, its locals named by place. Rows recur: each theorem of a file builds
    its source over every row above it, so a row's bag is made once (never mutated after)."""
    return goal_features(nameless(goals))


def _norm(tactic: str) -> str:
    return " ".join(tactic.split())


def _head(goals) -> str:
    """The head symbol of the focused goal's conclusion."""
    words = goals[0].conclusion.split(None, 1) if goals else []
    return words[0] if words else ""


def nameless(goals) -> tuple:
    """The focused goal with its locals named by their place (``v0``, ``v1``, ... oldest first):
    ``a <= b`` over ``a b : R`` and ``x <= y`` over ``x y : R`` are the same state to compare."""
    if not goals:
        return ()
    g = goals[0]
    names = {n: f"v{k}" for k, (n, _) in enumerate(g.locals())}
    sub = lambda text: _IDENT.sub(lambda m: names.get(m.group(0), m.group(0)), text)  # noqa: E731
    hyps = tuple(Hypothesis(tuple(names[n] for n in h.names), sub(h.type), sub(h.body)) for h in g.hypotheses)
    return (dataclasses.replace(g, hypotheses=hyps, conclusion=sub(g.conclusion)),)


def _locals(goals) -> list[tuple[str, str]]:
    return [(n, h.type) for n, h in goals[0].locals()] if goals else []


def _all_here(tactic: str, there, here) -> bool:
    mine = {n for n, _ in _locals(there)}
    now = {n for n, _ in _locals(here)}
    return all(w in now for w in _IDENT.findall(tactic) if w in mine)


def rename(tactic: str, there, here) -> str:
    """``tactic`` (a step at the state ``there``) with its locals renamed to ``here``'s."""
    old, new = _locals(there), _locals(here)
    used = {w for w in _IDENT.findall(tactic)} & {n for n, _ in old}
    if not used or not new:
        return tactic
    mapping: dict[str, str] = {}
    taken: set[str] = set()
    sub = lambda text: _IDENT.sub(lambda m: mapping.get(m.group(0), m.group(0)), text)  # noqa: E731
    for k, (name, typ) in enumerate(old):  # in hypothesis order: a variable before the facts about it
        if name not in used:
            continue
        want = sub(typ)
        same = [n for n, t in new if t == want and n not in taken]
        if name in {n for n, _ in new} and (not same or name in same):
            pick = name  # the same name holds the same kind of thing here
        elif same:
            pick = same[0]
        elif k < len(new) and new[k][0] not in taken:
            pick = new[k][0]
        else:
            continue
        mapping[name] = pick
        taken.add(pick)
    return _IDENT.sub(lambda m: mapping.get(m.group(0), m.group(0)), tactic)
