"""A retrieval policy: the tactics used at the most similar known proof states (Tactician's
k-nearest-neighbour idea), cheap and strong without a GPU.

The database is (state, tactic) rows: human traces and every proof the search found and the
final check accepted, so it grows with each round of expert iteration. A state is described by
the tokens of its focused goal (identifiers, numbers, symbols; conclusion tokens apart from
hypothesis tokens, plus conclusion bigrams), weighted by TF-IDF. A query scores rows through an
inverted index by cosine similarity; tokens that occur in too many rows are not indexed (they
would make every query scan everything and say little). Candidates are the tactics of the
``neighbours`` best rows, each scored by its summed similarity; log-probs are those scores
normalised over the candidates.
"""

from __future__ import annotations

import gzip
import heapq
import json
import math
import re
from collections import Counter, defaultdict

from agent.env import ProofState

_TOKEN = re.compile(r"[A-Za-z_][\w'.]*|\d+|[^\s\w]")


def features(state: str) -> Counter:
    goal = state.split("\n\n", 1)[0]
    lines = goal.split("\n")
    cut = next((i for i, ln in enumerate(lines) if ln.startswith("⊢")), len(lines) - 1)
    feats: Counter = Counter()
    for ln in lines[:cut]:
        body = ln.split(" : ", 1)[1] if " : " in ln else ln  # hypothesis names vary; types matter
        feats.update("h:" + t for t in _TOKEN.findall(body))
    concl = _TOKEN.findall("\n".join(lines[cut:]).lstrip("⊢ "))
    feats.update("c:" + t for t in concl)
    feats.update(f"b:{a} {b}" for a, b in zip(concl, concl[1:]))
    return feats


class KnnPolicy:
    def __init__(self, rows: list[dict], *, neighbours: int = 32, max_candidates: int = 8,
                 max_df: float = 0.05):
        self.tactics = [r["tactic"] for r in rows]
        self.neighbours, self.max_candidates = neighbours, max_candidates
        vecs = [features(r["state"]) for r in rows]
        df: Counter = Counter()
        for v in vecs:
            df.update(v.keys())
        n = max(1, len(rows))
        self.idf = {t: math.log(n / c) for t, c in df.items() if c <= max(2, max_df * n)}
        self.index: dict[str, list[tuple[int, float]]] = defaultdict(list)
        for i, v in enumerate(vecs):
            w = {t: (1 + math.log(c)) * self.idf[t] for t, c in v.items() if t in self.idf}
            norm = math.sqrt(sum(x * x for x in w.values())) or 1.0
            for t, x in w.items():
                self.index[t].append((i, x / norm))
        self.rows = len(rows)

    def __call__(self, state: ProofState) -> list[tuple[str, float]]:
        q = features(state.pretty())
        w = {t: (1 + math.log(c)) * self.idf[t] for t, c in q.items() if t in self.idf}
        norm = math.sqrt(sum(x * x for x in w.values())) or 1.0
        scores: dict[int, float] = defaultdict(float)
        for t, x in w.items():
            for i, y in self.index.get(t, ()):
                scores[i] += x / norm * y
        best = heapq.nlargest(self.neighbours, scores.items(), key=lambda kv: kv[1])
        by_tactic: dict[str, float] = defaultdict(float)
        for i, s in best:
            by_tactic[self.tactics[i]] += s
        top = sorted(by_tactic.items(), key=lambda kv: -kv[1])[:self.max_candidates]
        total = sum(s for _, s in top) or 1.0
        return [(t, math.log(max(s / total, 1e-9))) for t, s in top]

    @staticmethod
    def save_rows(path: str, rows: list[dict]) -> None:
        """Write the database (gzip JSONL of {state, tactic}) atomically."""
        import os
        import tempfile
        fd, tmp = tempfile.mkstemp(dir=os.path.dirname(os.path.abspath(path)), suffix=".tmp")
        os.close(fd)
        with gzip.open(tmp, "wt", encoding="utf-8") as f:
            for r in rows:
                f.write(json.dumps({"state": r["state"], "tactic": r["tactic"]}, ensure_ascii=False) + "\n")
        os.replace(tmp, path)

    @classmethod
    def load(cls, path: str, **kw) -> "KnnPolicy":
        opener = gzip.open if path.endswith(".gz") else open
        with opener(path, "rt", encoding="utf-8") as f:
            rows = [json.loads(line) for line in f if line.strip()]
        return cls([r for r in rows if "state" in r and "tactic" in r], **kw)
