"""The search's source for the user's own proofs: the steps of the human proofs above a theorem
(``agent.project``), proposed at the states most like the current one, each with the local
names of its own proof renamed to the current state's.

Tactician's k-NN proposes a file's steps word for word; half of the steps a library's proofs are
made of recur in an earlier proof of the same file only once the names are abstracted (issue 45):
``destruct (Rle_lt_dec a b)`` at a state whose variables are ``x`` and ``y`` is
``destruct (Rle_lt_dec x y)`` here. A local of the retrieved step is renamed to the current
state's local of the same type (the types read with the renaming so far), or, failing that, to
the one at the same position among the hypotheses; a step whose locals all exist here is also
proposed as written. States are compared with their locals named by place (``nameless``), and a
step's score is its nearest row's similarity. Names a step binds (``intros x y``) and globals are never touched.
"""

from __future__ import annotations

import dataclasses
import math
import re
from agent.env import Hypothesis, ProofState
from agent.policies.retrieval import KnnPolicy

_IDENT = re.compile(r"(?<![\w'.])[A-Za-z_][\w']*(?![\w'])")


class ProjectPolicy:
    """k-NN over the rows alone: a few hundred, so a token is indexed unless half of them share it
    (the corpus database's 5 % would drop most of a file's vocabulary)."""

    def __init__(self, rows, *, neighbours: int = 8, max_candidates: int = 10):
        rows = list(rows)
        self.goals = [goals for goals, _ in rows]
        self.knn = KnnPolicy([(nameless(goals), t) for goals, t in rows], neighbours=neighbours,
                             max_candidates=max_candidates, max_df=0.5)
        self.neighbours, self.max_candidates = neighbours, max_candidates

    def __call__(self, state: ProofState) -> list[tuple[str, float]]:
        """Each step's log-prob is the log of its best row's cosine similarity to this state
        (not normalised over the candidates): a step taken at a nearly identical state of the
        file is nearly certain, one taken at a loosely similar state is not."""
        if not state.goals:
            return []
        best = self.knn.nearest(nameless(state.goals), self.neighbours)
        scores: dict[str, float] = {}
        for i, s in best:
            tactic = self.knn.tactics[i]
            renamed = rename(tactic, self.goals[i], state.goals)
            scores[renamed] = max(scores.get(renamed, 0.0), s)
            if renamed != tactic and _all_here(tactic, self.goals[i], state.goals):
                scores[tactic] = max(scores.get(tactic, 0.0), s / 2)
        top = sorted(scores.items(), key=lambda kv: -kv[1])[:self.max_candidates]
        return [(t, math.log(min(1.0, max(s, 1e-3)))) for t, s in top]


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
