"""A retrieval policy: the tactics used at the most similar known proof states (Tactician's
k-nearest-neighbour idea), cheap and strong without a GPU.

The database is (goals, tactic) rows: human traces and every proof the search found and the
final check accepted, so it grows with each round of expert iteration. A state is described by
the tokens of its focused goal (``agent.learned.features.goal_features``: hypothesis-type
tokens, conclusion tokens and bigrams), weighted by TF-IDF. A query scores rows through an
inverted index by cosine similarity; tokens that occur in too many rows are not indexed (they
would make every query scan everything and say little). Candidates are the tactics of the
``neighbours`` best rows, each scored by its summed similarity; log-probs are those scores
normalised over the candidates.
"""

from __future__ import annotations

import gzip
import hashlib
import json
import math
from collections import Counter, defaultdict

from agent.env import Goal, ProofState
from agent.learned.features import goal_features, stored_goal_features
from agent.learned.knn import KnnIndex


class KnnPolicy(KnnIndex):
    """The index over (goals, tactic) rows, proposing the tactics of the nearest rows."""

    def __init__(self, rows: list[tuple[tuple[Goal, ...], str]], *, neighbours: int = 32, max_candidates: int = 8,
                 max_df: float = 0.05):
        super().__init__([goal_features(goals) for goals, _ in rows], [tactic for _, tactic in rows],
                         max_df=max_df)
        self.neighbours, self.max_candidates = neighbours, max_candidates

    @classmethod
    def from_features(cls, vecs: list[Counter], tactics: list[str], *, neighbours: int = 32,
                      max_candidates: int = 8, max_df: float = 0.05) -> "KnnPolicy":
        """The policy over rows whose feature bags the caller computed."""
        knn = cls.__new__(cls)
        KnnIndex.__init__(knn, vecs, tactics, max_df=max_df)
        knn.neighbours, knn.max_candidates = neighbours, max_candidates
        return knn

    @property
    def tactics(self) -> list[str]:
        return self.labels

    def add(self, steps: list[tuple[tuple[Goal, ...], str]]) -> None:
        """Online learning: new (goals, tactic) rows join the index at once (see ``add_features``)."""
        self.add_features([(goal_features(goals), tactic) for goals, tactic in steps])

    def __call__(self, state: ProofState) -> list[tuple[str, float]]:
        with self._lock:
            return self._query(state)

    def nearest(self, goals, k: int, skip=None) -> list[tuple[int, float]]:
        """The ``k`` rows most similar to these goals, as (row, cosine), best first."""
        return self.nearest_to(goal_features(goals), k, skip)

    def _query(self, state: ProofState) -> list[tuple[str, float]]:
        best = self.nearest(state.goals, self.neighbours)
        by_tactic: dict[str, float] = defaultdict(float)
        for i, s in best:
            by_tactic[self.labels[i]] += s
        top = sorted(by_tactic.items(), key=lambda kv: -kv[1])[:self.max_candidates]
        total = sum(s for _, s in top) or 1.0
        return [(t, math.log(max(s / total, 1e-9))) for t, s in top]

    @staticmethod
    def save_rows(path: str, rows: list[tuple[tuple[Goal, ...], str]]) -> None:
        """Write the database (gzip JSONL of {goals, tactic}) atomically. Only the focused goal
        is kept: it is all that retrieval (and a template policy trained on the rows) reads."""
        import os
        import tempfile
        fd, tmp = tempfile.mkstemp(dir=os.path.dirname(os.path.abspath(path)), suffix=".tmp")
        os.close(fd)
        with gzip.open(tmp, "wt", encoding="utf-8") as f:
            for goals, tactic in rows:
                f.write(json.dumps({"goals": [g.to_json() for g in goals[:1]], "tactic": tactic},
                                   ensure_ascii=False) + "\n")
        os.replace(tmp, path)

    @classmethod
    def load(cls, path: str, **kw) -> "KnnPolicy":
        """A database file: rows {goals, tactic} (rows of older runs, {state, tactic}, are read
        through their backend's parser). The built index is kept in qstar's cache folder, keyed by
        the file's bytes, the settings and this code, so a later process reads it in a fraction of
        a second instead of building it again (seconds for the bundled model's 58k rows)."""
        from agent.proc.cache import pickled
        with open(path, "rb") as f:
            data = f.read()
        state = pickled("knn", [hashlib.sha256(data).hexdigest(), sorted(kw.items()), _code_digest()],
                        lambda: cls._build(path, **kw).__getstate__())
        knn = cls.__new__(cls)
        knn.__setstate__(state)
        return knn

    @classmethod
    def _build(cls, path: str, **kw) -> "KnnPolicy":
        from agent.backends import row_goals
        opener = gzip.open if path.endswith(".gz") else open
        with opener(path, "rt", encoding="utf-8") as f:
            rows = [r for r in map(json.loads, filter(str.strip, f)) if "tactic" in r]
        vecs = [(stored_goal_features(r["goals"][0]) if r["goals"] else Counter())
                if "goals" in r else goal_features(row_goals(r)) for r in rows]
        return cls.from_features(vecs, [r["tactic"] for r in rows], **kw)


def _code_digest() -> str:
    """A digest of the code that builds the index (this file, the index and the goal features)."""
    import agent.learned.features as features
    import agent.learned.knn as knn
    h = hashlib.sha256()
    for mod in (__file__, knn.__file__, features.__file__):
        with open(mod, "rb") as f:
            h.update(f.read())
    return h.hexdigest()
