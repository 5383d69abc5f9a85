"""The k-nearest-neighbour index every learned source searches (Tactician's idea): rows are
feature bags (``agent.learned.features``) with a label each, weighted by TF-IDF, found through an
inverted index by cosine similarity. Tokens that occur in too many rows are not indexed (they
would make every query scan everything and say little). Rows may join after it is built (online
learning); a token unseen when it was built gets the largest idf, log n.
"""

from __future__ import annotations

import heapq
import math
import threading
from collections import Counter, defaultdict

from agent.learned.locks import FreshLocks


class KnnIndex(FreshLocks):
    """Rows ``0..n-1``, each a feature bag and a label (``labels[i]``: a tactic, a skeleton)."""

    def __init__(self, vecs: list[Counter], labels: list[str], *, max_df: float = 0.05):
        self.labels = labels
        df: Counter = Counter()
        for v in vecs:
            df.update(v.keys())
        n = max(1, len(vecs))
        self.idf = {t: math.log(n / c) for t, c in df.items() if c <= max(2, max_df * n)}
        self.index: dict[str, list[tuple[int, float]]] = defaultdict(list)
        for i, v in enumerate(vecs):
            for t, x in self._weights(v, self.idf).items():
                self.index[t].append((i, x))
        self.rows = len(vecs)
        self._lock = threading.Lock()

    @staticmethod
    def _weights(v: Counter, idf: dict[str, float]) -> dict[str, float]:
        """The bag's unit TF-IDF vector over the indexed tokens."""
        w = {t: (1 + math.log(c)) * idf[t] for t, c in v.items() if t in idf}
        norm = math.sqrt(sum(x * x for x in w.values())) or 1.0
        return {t: x / norm for t, x in w.items()}

    def add_features(self, rows: list[tuple[Counter, str]]) -> None:
        """New (feature bag, label) rows join the index at once; safe beside concurrent queries."""
        with self._lock:
            for v, label in rows:
                top = math.log(max(self.rows, 1))
                for t in v:
                    self.idf.setdefault(t, top)
                i = len(self.labels)
                self.labels.append(label)
                for t, x in self._weights(v, self.idf).items():
                    self.index[t].append((i, x))
                self.rows += 1

    def nearest_to(self, q: Counter, k: int, skip=None) -> list[tuple[int, float]]:
        """The ``k`` rows most similar to the bag ``q``, as (row, cosine), best first; rows for
        which ``skip(row)`` holds are passed over."""
        scores: dict[int, float] = defaultdict(float)
        for t, x in self._weights(q, self.idf).items():
            for i, y in self.index.get(t, ()):
                scores[i] += x * y
        items = scores.items() if skip is None else ((i, s) for i, s in scores.items() if not skip(i))
        return heapq.nlargest(k, items, key=lambda kv: kv[1])
