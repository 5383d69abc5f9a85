"""``qstar train qv``: Q(s, a) and V(s) over goal features, from search records, in seconds.

Trains both hashed logistic models (``agent.policies.hashed``) on the labels of
``agent.learning.qdata`` and writes ``q_model.*``, ``state_value.*`` and ``qv_metrics.json``
into a model folder (which search then uses: ``--model DIR`` ranks by its Q and, with ``--ordering
astar``, takes h from its V). Before the final fit on every row, a fixed part of the theorems
(by a hash of the name) is held out: the metrics report Q's and V's ROC AUC on the search trees
of theorems they did not train on, and how often Q puts a proof's step first among its state's
labelled candidates.
"""

from __future__ import annotations

import json
import math
import os
import time
from dataclasses import asdict, dataclass



@dataclass
class QVTrainConfig:
    """Train Q(s, a) and V(s) over goal features from search records (collect / iterate)."""

    records: list[str]
    """Search record files (records.jsonl of `qstar collect` or an iterate round)."""
    out: str
    """Model folder (created; may hold retrieval, templates, a policy: the Q and V files are added)."""
    holdout: float = 0.2
    """Part of the theorems (by a hash of the name) held out for the AUC report before the final fit."""
    q_buckets: int = 1 << 20
    """Hash buckets (weights) of Q."""
    v_buckets: int = 1 << 18
    """Hash buckets (weights) of V."""
    epochs: int = 4
    """Passes over the rows (Q; V, with far fewer rows, gets twice as many)."""
    lr: float = 0.05
    """Adam learning rate of both."""
    l2: float = 1e-2
    """L2 penalty per sparse weight (Q's dense source features are spared)."""
    seed: int = 0
    """Shuffling seed."""

    @property
    def q(self):
        from agent.policies.hashed import HashedConfig
        return HashedConfig(buckets=self.q_buckets, epochs=self.epochs, lr=self.lr, l2=self.l2, seed=self.seed)

    @property
    def v(self):
        from agent.policies.hashed import HashedConfig
        return HashedConfig(buckets=self.v_buckets, epochs=2 * self.epochs, lr=self.lr, l2=self.l2, seed=self.seed)


def _q_ids(rows, buckets: int):
    """(hashed rows, the prior's initial weights, the unpenalised buckets)."""
    from agent.backends import goals_of
    from agent.policies.hashed import hash_features
    from agent.policies.qscore import dense_prior, q_features
    feats = [q_features(goals_of(r.goals), r.tactic, r.sources) for r in rows]
    init, free = dense_prior(feats, buckets)
    return [hash_features(f, buckets) for f in feats], init, free


def _v_ids(rows, buckets: int):
    from agent.backends import goals_of
    from agent.policies.hashed import hash_features
    from agent.policies.state_value import v_features
    return [hash_features(v_features(goals_of(r.goals)), buckets) for r in rows]


def _top1(q_rows, probs) -> float:
    """Among states of proved theorems with a positive and a negative labelled candidate: how often
    the best-scored one is a proof step."""
    groups: dict = {}
    for r, p in zip(q_rows, probs):
        groups.setdefault((r.theorem, json.dumps(r.goals, sort_keys=True)), []).append((p, r.label))
    hits = tot = 0
    for cands in groups.values():
        if any(y for _, y in cands) and not all(y for _, y in cands):
            tot += 1
            hits += max(cands)[1] >= 0.5
    return hits / tot if tot else math.nan


def train_qv(cfg: QVTrainConfig) -> dict:
    from agent.policies.hashed import HashedLogistic, roc_auc
    from agent.search.labels import read_records
    from agent.learning.qdata import held_out, rows_from_records, summary
    from agent.policies.qscore import Q_STEM, own_score
    from agent.policies.state_value import V_STEM
    t0 = time.monotonic()
    records = []
    for path in cfg.records:
        records += read_records(path)
    q_rows, v_rows = rows_from_records(records)
    if not q_rows:
        raise ValueError("no labelled edge in the records (were they written by `qstar collect`?)")
    (q_ids, q_init, q_free), v_ids = _q_ids(q_rows, cfg.q.buckets), _v_ids(v_rows, cfg.v.buckets)
    metrics: dict = {"records": len(records), "theorems_held_out": 0, **summary(q_rows, v_rows)}
    test_q = [held_out(r.theorem, cfg.holdout) for r in q_rows]
    test_v = [held_out(r.theorem, cfg.holdout) for r in v_rows]
    metrics["theorems_held_out"] = len({r.theorem for r, t in zip(q_rows, test_q) if t})
    if any(test_q) and not all(test_q):
        m = HashedLogistic(cfg.q)
        m.fit([x for x, t in zip(q_ids, test_q) if not t], [r.label for r, t in zip(q_rows, test_q) if not t],
              init=q_init, free=q_free)
        held = [(r, x) for r, x, t in zip(q_rows, q_ids, test_q) if t]
        probs = m.probs([x for _, x in held]).tolist()
        metrics["q_auc_held_out"] = round(roc_auc([r.label for r, _ in held], probs), 4)
        metrics["q_top1_held_out"] = round(_top1([r for r, _ in held], probs), 4)
        # the same held-out edges ranked by the sources' own best score (what Q replaces)
        own = [own_score(r.sources) for r, _ in held]
        metrics["own_auc_held_out"] = round(roc_auc([r.label for r, _ in held], own), 4)
        metrics["own_top1_held_out"] = round(_top1([r for r, _ in held], own), 4)
    if any(test_v) and not all(test_v):
        m = HashedLogistic(cfg.v)
        m.fit([x for x, t in zip(v_ids, test_v) if not t], [r.label for r, t in zip(v_rows, test_v) if not t])
        held = [(r, x) for r, x, t in zip(v_rows, v_ids, test_v) if t]
        metrics["v_auc_held_out"] = round(roc_auc([r.label for r, _ in held], m.probs([x for _, x in held]).tolist()), 4)
        metrics["v_held_out_rows"] = len(held)
    q = HashedLogistic(cfg.q)
    metrics["q_loss"] = [round(x, 5) for x in q.fit(q_ids, [r.label for r in q_rows], init=q_init, free=q_free,
                                                               progress="train Q")]
    q.save(cfg.out, Q_STEM, {"rows": len(q_rows)})
    v = HashedLogistic(cfg.v)  # with no labelled state, V stays 0.5 everywhere: A* is then bfs
    if v_rows:
        metrics["v_loss"] = [round(x, 5) for x in v.fit(v_ids, [r.label for r in v_rows], progress="train V")]
    v.save(cfg.out, V_STEM, {"rows": len(v_rows)})
    metrics["seconds"] = round(time.monotonic() - t0, 1)
    from agent.io import atomic_write
    atomic_write(os.path.join(cfg.out, "qv_metrics.json"),
                 json.dumps({"config": asdict(cfg), **metrics}, indent=2) + "\n")
    from agent.model_folder import trained_by, write_manifest
    how = trained_by("qstar train qv", list(cfg.records))
    write_manifest(cfg.out, {"q": how, "v": how})
    return metrics
