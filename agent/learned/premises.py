"""The premise index: which globals (lemmas, definitions, constructors) a proof state needs.

Premises are the theorems a file's environment offers (their statements, read from the corpus
sources) and every global a traced step referred to. Three signals score a premise for a state:

- ``usage``: CoqHammer's k-NN premise selection. The training steps whose states are nearest to
  this one (TF-IDF cosine over goal tokens, the retrieval index) vote, by similarity, for the
  globals they used.
- ``overlap``: symbol overlap, BM25 between the state's tokens (hypothesis types and conclusion)
  and the premise's statement and name parts. Alone it is the baseline every figure is measured
  against; it is also what ranks a premise no training proof ever used (a lemma stated earlier
  in the user's own file).
- priors: how often the corpus used the premise at all, and whether it is stated earlier in the
  same file (and how close).

A logistic ranker learns the weights of these from the training files (its usage votes come
from other files' steps only, as a held-out file's will). It is chosen over a neural ranker
because it trains in seconds on two cores and its six weights say which signal matters.
"""

from __future__ import annotations

import math
import re
import threading
from collections import Counter, defaultdict
from dataclasses import dataclass

import numpy as np

from agent.learned.locks import FreshLocks

_WORD = re.compile(r"[A-Za-z_][\w']*|\d+|[^\s\w()]+")


@dataclass(frozen=True)
class Premise:
    name: str  # short name, as a step writes it
    statement: str  # the statement as written ("" for a global the corpus only references)
    file: str  # the file that states it ("" if unknown)
    offset: int  # where in that file


def premise_tokens(p: Premise) -> list[str]:
    toks = _WORD.findall(p.statement.split(":", 1)[-1]) if p.statement else []
    return toks + [p.name] + [w for w in p.name.split("_") if w]


def state_tokens(goals: list[dict]) -> list[str]:
    """Tokens of the focused goal as stored (``Goal.to_json``): hypothesis types and conclusion."""
    if not goals:
        return []
    g = goals[0]
    out = []
    for h in g.get("hyps", []):
        out += _WORD.findall(h.get("type", ""))
    return out + _WORD.findall(g.get("concl", ""))


class Bm25:
    """BM25 over premise documents; ``scores(query)`` returns {premise index: score}."""

    def __init__(self, docs: list[list[str]], k1: float = 1.2, b: float = 0.75):
        self.k1, self.b = k1, b
        self.lengths = [len(d) for d in docs]
        self.avg = (sum(self.lengths) / len(docs)) if docs else 1.0
        self.df: Counter = Counter()
        self.postings: dict[str, list[tuple[int, int]]] = defaultdict(list)
        for i, d in enumerate(docs):
            for t, c in Counter(d).items():
                self.postings[t].append((i, c))
                self.df[t] += 1
        n = max(1, len(docs))
        self.idf = {t: self._idf(n, c) for t, c in self.df.items()}

    @staticmethod
    def _idf(n: int, df: int) -> float:
        return math.log(1 + (n - df + 0.5) / (df + 0.5))

    def add(self, doc: list[str]) -> int:
        """A document after the index was built (a lemma of the user's file): its postings, and
        the weight of its own words, which a token no earlier document had would otherwise lack
        (a symbol only the user's file uses would rank nothing). Returns its index."""
        i = len(self.lengths)
        self.lengths.append(len(doc))
        n = len(self.lengths)
        for t, c in Counter(doc).items():
            self.postings[t].append((i, c))
            self.df[t] += 1
            self.idf[t] = self._idf(n, self.df[t])
        return i

    def scores(self, query: list[str], allowed=None) -> dict[int, float]:
        out: dict[int, float] = defaultdict(float)
        for t in set(query):
            idf = self.idf.get(t)
            if idf is None or idf < 0.5:  # a token in most premises says nothing
                continue
            for i, c in self.postings[t]:
                if allowed is not None and i not in allowed:
                    continue
                norm = c * (self.k1 + 1) / (c + self.k1 * (1 - self.b + self.b * self.lengths[i] / self.avg))
                out[i] += idf * norm
        return out


FEATURES = ("usage", "usage_rank", "overlap", "overlap_rank", "prior", "same_file")


NEAREST_ABOVE = 50  # same-file lemmas above the theorem always ranked, nearest first


class PremiseIndex(FreshLocks):
    """Ranks premises for a state: learned weights over usage votes, BM25 overlap and priors."""

    def __init__(self, premises: list[Premise], used_counts: Counter):
        self.premises = premises
        self.by_name: dict[str, list[int]] = defaultdict(list)
        self.by_file: dict[str, list[int]] = defaultdict(list)
        for i, p in enumerate(premises):
            self.by_name[p.name].append(i)
            self.by_file[p.file].append(i)
        self.trained = len(premises)  # premises [0, trained) came with the index; later ones were added
        self._added: dict[Premise, int] = {}  # premises added after training, to their index
        self.bm25 = Bm25([premise_tokens(p) for p in premises])
        self.used = used_counts
        self.total_used = max(1, sum(used_counts.values()))
        self.weights = np.array([1.0, 0.0, 0.3, 0.0, 0.1, 0.5])  # replaced by fit()
        self.bias = 0.0
        self._lock = threading.Lock()

    def add(self, p: Premise) -> int:
        """A premise stated after training (a lemma of the user's file): its index (the same one
        when the same premise is added again, as each theorem of a file adds the lemmas above it)."""
        with self._lock:
            if p in self._added:
                return self._added[p]
            self.premises.append(p)
            i = len(self.premises) - 1
            self.by_name[p.name].append(i)
            self.by_file[p.file].append(i)
            self.bm25.add(premise_tokens(p))  # its index is i too: both lists grow together
            self._added[p] = i
            return i

    def candidates(self, goals: list[dict], votes: dict[str, float], allowed: set[int],
                   file: str = "", offset: int = 0, pool: int = 300) -> tuple[list[str], np.ndarray]:
        """Candidate names and their feature rows: the ``pool`` best by overlap among ``allowed``
        premises, plus every name the usage votes name."""
        ov = self.bm25.scores(state_tokens(goals), allowed)
        top_ov = sorted(ov.items(), key=lambda kv: -kv[1])[:pool]
        if file:  # the lemmas just above in the same file are candidates whatever their overlap
            above = sorted((i for i in self.by_file.get(file, ())
                            if self.premises[i].offset < offset and i in allowed),
                           key=lambda i: -self.premises[i].offset)[:NEAREST_ABOVE]
            seen = {i for i, _ in top_ov}
            top_ov += [(i, ov.get(i, 0.0)) for i in above if i not in seen]
        best_ov: dict[str, float] = {}
        near: dict[str, float] = {}
        for i, s in top_ov:
            p = self.premises[i]
            best_ov[p.name] = max(best_ov.get(p.name, 0.0), s)
            if file and p.file == file and p.offset < offset:
                near[p.name] = 1.0 / (1.0 + math.log1p(max(0, offset - p.offset) / 2000))
        names = list(dict.fromkeys([n for n, _ in sorted(votes.items(), key=lambda kv: -kv[1])] + list(best_ov)))
        ov_rank = {n: r for r, n in enumerate(sorted(best_ov, key=lambda n: -best_ov[n]))}
        vote_rank = {n: r for r, n in enumerate(sorted(votes, key=lambda n: -votes[n]))}
        top_vote = max(votes.values(), default=1.0) or 1.0
        top_o = max(best_ov.values(), default=1.0) or 1.0
        x = np.zeros((len(names), len(FEATURES)))
        for j, n in enumerate(names):
            x[j] = (votes.get(n, 0.0) / top_vote, 1.0 / (1 + vote_rank.get(n, 1000)),
                    best_ov.get(n, 0.0) / top_o, 1.0 / (1 + ov_rank.get(n, 1000)),
                    math.log1p(self.used.get(n, 0)) / 10, near.get(n, 0.0))
        return names, x

    def rank(self, names: list[str], x: np.ndarray) -> list[tuple[str, float]]:
        """(name, log-probability-like score), best first."""
        if not names:
            return []
        z = x @ self.weights + self.bias
        order = np.argsort(-z, kind="stable")
        return [(names[i], float(-np.logaddexp(0, -z[i]))) for i in order]

    def fit(self, examples: list[tuple[np.ndarray, np.ndarray]], epochs: int = 30, lr: float = 0.5) -> None:
        """Logistic regression on (features, is-used) of training candidates, balanced."""
        if not examples:
            return
        x = np.concatenate([e[0] for e in examples])
        y = np.concatenate([e[1] for e in examples]).astype(float)
        pos = max(1.0, y.sum())
        sw = np.where(y > 0, len(y) / (2 * pos), len(y) / (2 * max(1.0, len(y) - pos)))
        w, b = np.zeros(x.shape[1]), 0.0
        for _ in range(epochs * 10):
            p = 1 / (1 + np.exp(-(x @ w + b)))
            g = (p - y) * sw
            w -= lr * (x.T @ g) / len(y)
            b -= lr * g.mean()
        self.weights, self.bias = w, float(b)
