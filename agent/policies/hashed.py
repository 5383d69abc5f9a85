"""A logistic model over hashed sparse features: the learner behind Q(s, a) and V(s).

Why linear over hashed feature crosses (Vowpal Wabbit's recipe) and not an MLP or boosted trees:
the features are sparse crosses (goal token x tactic stem, source x rank) of which a state has
a hundred and the data millions; a linear model over them trains in seconds on two cores, is
calibrated (log Q is a usable log-prob for best-first search and A*'s g), scores a candidate as
a sum of a hundred weights (microseconds, far below a kernel step), and takes new rows without
retraining anything else. Trees need dense features, and an MLP buys nothing at this data size
that its training minutes pay for.

Training is mini-batch Adam on ``torch.nn.EmbeddingBag`` (sum mode, one weight per bucket, each feature with its value) with
binary cross-entropy and an L2 penalty; scoring needs numpy only. The weights are saved as
float32 ``.npy`` beside a JSON of the settings, written atomically.
"""

from __future__ import annotations

import json
import math
import os
import zlib
from dataclasses import asdict, dataclass

import numpy as np


@dataclass
class HashedConfig:
    """Settings of one hashed logistic model."""

    buckets: int = 1 << 20
    """Hash buckets (weights)."""
    epochs: int = 4
    """Passes over the training rows."""
    lr: float = 0.05
    """Adam learning rate."""
    l2: float = 1e-6
    """L2 penalty per weight."""
    batch_size: int = 512
    """Rows per optimiser step."""
    seed: int = 0
    """Shuffling seed."""


Row = tuple  # (bucket ids: int64 array, values: float32 array)


def hash_features(feats, buckets: int) -> Row:
    """A row of (bucket ids, values) from feature names (value 1) or (name, value) pairs; ids by
    crc32, which is stable across processes (Python's string hash is salted)."""
    names = [f if isinstance(f, str) else f[0] for f in feats]
    vals = [1.0 if isinstance(f, str) else float(f[1]) for f in feats]
    return (np.fromiter((zlib.crc32(n.encode("utf-8")) % buckets for n in names), dtype=np.int64, count=len(names)),
            np.asarray(vals, dtype=np.float32))


class HashedLogistic:
    def __init__(self, cfg: HashedConfig, weights: np.ndarray | None = None, bias: float = 0.0):
        self.cfg = cfg
        self.w = weights if weights is not None else np.zeros(cfg.buckets, dtype=np.float32)
        self.b = float(bias)

    def logits(self, rows: list[Row]) -> np.ndarray:
        return np.array([float(self.w[ids] @ vals) + self.b for ids, vals in rows], dtype=np.float64)

    def probs(self, rows: list[Row]) -> np.ndarray:
        return 1.0 / (1.0 + np.exp(-self.logits(rows)))

    def fit(self, rows: list[Row], labels: list[float], *, weights: list[float] | None = None,
            init: dict[int, float] | None = None, free: set[int] | frozenset = frozenset(),
            progress: str = "") -> list[float]:
        """Train on (bucket ids, values) rows with labels in {0, 1}; returns the loss per epoch.

        Weights start at zero except ``init`` (bucket -> weight: a prior the data corrects, e.g.
        1 on the sources' own score, so an untrained Q ranks as the sources do); the L2 penalty
        spares the buckets in ``free`` (the few dense features) and holds the sparse crosses
        near zero unless the data insist."""
        import torch
        cfg = self.cfg
        torch.manual_seed(cfg.seed)
        bag = torch.nn.EmbeddingBag(cfg.buckets, 1, mode="sum")
        torch.nn.init.zeros_(bag.weight)
        with torch.no_grad():
            for i, w in (init or {}).items():
                bag.weight[i, 0] = w
        penal = torch.ones(cfg.buckets)
        penal[list(free)] = 0.0
        bias = torch.nn.Parameter(torch.zeros(1))
        opt = torch.optim.Adam([*bag.parameters(), bias], lr=cfg.lr)
        y_all = torch.tensor(labels, dtype=torch.float32)
        w_all = torch.tensor(weights if weights is not None else [1.0] * len(rows), dtype=torch.float32)
        gen = np.random.default_rng(cfg.seed)
        losses = []
        steps = range(cfg.epochs)
        if progress:
            from tqdm import tqdm
            steps = tqdm(steps, desc=progress, unit="epoch")
        for _ in steps:
            order = gen.permutation(len(rows))
            total = 0.0
            for i in range(0, len(order), cfg.batch_size):
                idx = order[i:i + cfg.batch_size]
                flat = torch.from_numpy(np.concatenate([rows[j][0] for j in idx]))
                vals = torch.from_numpy(np.concatenate([rows[j][1] for j in idx]))
                offsets = torch.tensor(np.cumsum([0] + [len(rows[j][0]) for j in idx[:-1]]), dtype=torch.long)
                out = bag(flat, offsets, per_sample_weights=vals).squeeze(-1) + bias
                loss = torch.nn.functional.binary_cross_entropy_with_logits(
                    out, y_all[idx], weight=w_all[idx], reduction="sum") / len(idx)
                used = bag.weight[flat].squeeze(-1)
                loss = loss + cfg.l2 * (penal[flat] * used ** 2).sum() / len(idx)
                opt.zero_grad()
                loss.backward()
                opt.step()
                total += float(loss.detach()) * len(idx)
            losses.append(total / max(1, len(rows)))
        self.w = bag.weight.detach().squeeze(-1).numpy().astype(np.float32).copy()
        self.b = float(bias.detach())
        return losses

    def save(self, folder: str, stem: str, extra: dict | None = None) -> None:
        from agent.io import atomic_write
        os.makedirs(folder, exist_ok=True)
        tmp = os.path.join(folder, f".{stem}.npy.tmp")
        with open(tmp, "wb") as f:
            np.save(f, self.w)
        os.replace(tmp, os.path.join(folder, f"{stem}.npy"))
        meta = {"config": asdict(self.cfg), "bias": self.b, **(extra or {})}
        atomic_write(os.path.join(folder, f"{stem}.json"), json.dumps(meta, indent=2) + "\n")

    @classmethod
    def load(cls, folder: str, stem: str) -> tuple["HashedLogistic", dict]:
        meta = json.loads(open(os.path.join(folder, f"{stem}.json"), encoding="utf-8").read())
        cfg = HashedConfig(**meta["config"])
        w = np.load(os.path.join(folder, f"{stem}.npy"))
        if w.shape != (cfg.buckets,):
            raise ValueError(f"{folder}/{stem}.npy: {w.shape[0]} weights, the config says {cfg.buckets}")
        return cls(cfg, w, meta["bias"]), meta


def exists(folder: str, stem: str) -> bool:
    return all(os.path.isfile(os.path.join(folder, f"{stem}.{ext}")) for ext in ("npy", "json"))


def roc_auc(labels: list[float], scores: list[float]) -> float:
    """Area under the ROC curve (ties count half); nan when one class is missing."""
    pos = sum(1 for y in labels if y >= 0.5)
    neg = len(labels) - pos
    if not pos or not neg:
        return math.nan
    order = sorted(range(len(scores)), key=lambda i: scores[i])
    ranks = [0.0] * len(scores)
    i = 0
    while i < len(order):
        j = i
        while j + 1 < len(order) and scores[order[j + 1]] == scores[order[i]]:
            j += 1
        for k in range(i, j + 1):
            ranks[order[k]] = (i + j) / 2 + 1
        i = j + 1
    rank_sum = sum(r for r, y in zip(ranks, labels) if y >= 0.5)
    return (rank_sum - pos * (pos + 1) / 2) / (pos * neg)
