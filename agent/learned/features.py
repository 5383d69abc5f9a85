"""Features of a proof state read from its structured goals (never from rendered text).

- ``goal_features``: the tokens of the focused goal, as a bag: hypothesis types and local
  definitions' values (``h:``; hypothesis names vary from proof to proof, types carry the
  meaning), conclusion tokens (``c:``) and conclusion bigrams (``b:``). Retrieval compares
  states by these, and the template policy hashes them.
- ``locals_of``: the focused goal's local names with their types, recency and whether the
  conclusion mentions them: the arguments a tactic template may take.

Tokens are split from a type or conclusion term by a lexer (identifiers, numbers, symbols);
which part of the goal a token comes from is known from the field it was read from.
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass
from typing import Sequence

from agent.env import Goal

TOKEN = re.compile(r"[A-Za-z_][\w'.]*|\d+|[^\s\w]")
IDENT = re.compile(r"(?<![\w'.])[A-Za-z_][\w']*(?![\w'])")


@dataclass(frozen=True)
class Local:
    name: str
    type: str
    rank: int  # 0 = the last hypothesis (the most recent), 1 = the one before, ...
    in_goal: bool  # the name occurs in the conclusion


def focused(goals: Sequence[Goal]) -> Goal | None:
    return goals[0] if goals else None


def goal_features(goals: Sequence[Goal]) -> Counter:
    """Bag of tokens of the focused goal (empty when there is none)."""
    g = focused(goals)
    if g is None:
        return Counter()
    # a local definition's value says what it is as much as its type
    return _bag([f"{h.body} {h.type}" for h in g.hypotheses], g.conclusion)


def stored_goal_features(goal: dict) -> Counter:
    """``goal_features`` of one goal as ``Goal.to_json`` stores it, read without building the
    Goal (the retrieval database holds tens of thousands of them and is loaded at every start)."""
    return _bag([f"{h.get('body', '')} {h['type']}" for h in goal["hyps"]], goal["concl"])


def _bag(hypotheses: list[str], conclusion: str) -> Counter:
    feats: Counter = Counter()
    for text in hypotheses:
        feats.update("h:" + t for t in TOKEN.findall(text))
    concl = TOKEN.findall(conclusion)
    feats.update("c:" + t for t in concl)
    feats.update(f"b:{a} {b}" for a, b in zip(concl, concl[1:]))
    return feats


def locals_of(goals: Sequence[Goal]) -> list[Local]:
    """The focused goal's locals, oldest first."""
    g = focused(goals)
    if g is None:
        return []
    names = g.locals()
    in_concl = set(IDENT.findall(g.conclusion))
    n = len(names)
    return [Local(name, h.type, n - 1 - i, name in in_concl) for i, (name, h) in enumerate(names)]


def conclusion_names(goals: Sequence[Goal]) -> set[str]:
    g = focused(goals)
    return set(IDENT.findall(g.conclusion)) if g is not None else set()
