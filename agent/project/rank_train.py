"""``qstar train project-rank CORPUS... --out FILE``: fit the project source's ranker
(``agent.project.rank``) on traced library files.

Each file is walked as ``qstar prove`` meets it: before each proof, the steps of the proofs above
it form the project source's database; at each step of the proof, the source's candidates (with
the steps taken so far as the state's path) are labelled by whether they are the step the file
wrote there (up to whitespace). A logistic model over the candidates' features is fitted to those
labels (full-batch gradient descent on standardised features, L2). Only the chosen splits' files
are read (by default train and valid: test files stay held out).
"""

from __future__ import annotations

import json
import math
import os
import sys
import time
from collections import defaultdict
from dataclasses import asdict, dataclass
from typing import Annotated, Iterator

import tyro

from agent.backends import UsageError


@dataclass
class ProjectRankTrainConfig:
    """Fit the ranker of the project source's candidates on traced files (issue 45)."""

    corpus: Annotated[tyro.conf.Positional[tuple[str, ...]], tyro.conf.arg(metavar="CORPUS")]
    """Traced steps (scripts/corpus.sh or qstar trace), JSONL files."""
    out: str = "models/project_rank.json"
    """The ranker file to write (a model folder's ``project_rank.json``)."""
    splits: str = "train,valid"
    """Comma-separated corpus splits to fit on (test files are held out)."""
    iterations: int = 400
    l2: float = 1e-4
    """L2 penalty on the weights."""


def walk(rows: list[dict]) -> Iterator[tuple[list[tuple], dict, tuple, tuple[str, ...]]]:
    """For each step of one file's rows (in file order) that has goals: (the (goals, step, place)
    rows of the proofs above it, the row, its goals, the steps taken before it in its proof)."""
    from agent.env import Goal
    above: list[tuple] = []
    proof: list[tuple] = []
    theorem = None
    for r in rows:
        if r["theorem"] != theorem or r.get("step") == 0:  # a proof begins
            above, proof, theorem = above + proof, [], r["theorem"]
        goals = tuple(Goal.from_json(g) for g in r["goals"])
        path = tuple(t for _, t, _ in proof)
        proof.append((goals, r["tactic"], len(proof)))
        if goals:
            yield above, r, goals, path


def examples(rows: list[dict], ranker=None) -> Iterator[tuple[list[list[float]], list[bool], list[str]]]:
    """For each step of one file with proofs above it: the candidates' feature rows, whether
    each is the written step, and their texts in the source's order (``ranker``: the order of
    that ranker; None: by similarity)."""
    from agent.env import ProofState
    from agent.project.policy import ProjectPolicy
    policy, seen = None, None
    for above, r, goals, path in walk(rows):
        if not above:
            continue
        if seen is not above:
            policy, seen = ProjectPolicy(above, ranker=ranker), above
        cands = policy.candidates(ProofState(goals, path=path))
        want = " ".join(r["tactic"].split())
        if ranker is not None:  # the source's own list: its first max_candidates
            order = [t for t, _ in policy.scored(cands)][:policy.max_candidates]
        else:
            order = sorted(cands, key=lambda t: -cands[t].max_sim)
        yield [policy.features(t, cands[t]) for t in order], [t == want for t in order], order


def by_file(paths: tuple[str, ...], splits: set[str]) -> dict[str, list[dict]]:
    """{file: its rows in order} of the corpora's files of these splits (``file_split``)."""
    from agent.backends import file_split
    out: dict[str, list[dict]] = defaultdict(list)
    split_of: dict[str, str] = {}
    for path in paths:
        if not os.path.isfile(path):
            raise UsageError(f"no such file: {path}")
        try:
            with open(path, encoding="utf-8") as f:
                for line in f:
                    if not line.strip():
                        continue
                    r = json.loads(line)
                    name = r["file"]
                    if (split_of.get(name) or split_of.setdefault(name, file_split(name))) in splits:
                        out[name].append(r)
        except (ValueError, KeyError, TypeError) as e:
            raise UsageError(f"{path}: not a traced corpus ({type(e).__name__}: {e})") from None
    return out


def fit(X, y, *, iterations: int = 400, l2: float = 1e-4):
    """Logistic regression on standardised features: (mean, scale, weights, bias, mean loss)."""
    import numpy as np
    mean, scale = X.mean(0), X.std(0) + 1e-9
    Z = (X - mean) / scale
    w, b = np.zeros(Z.shape[1]), 0.0
    pos = max(float(y.mean()), 1e-9)
    b = math.log(pos / (1 - pos))  # start at the base rate
    for _ in range(iterations):
        p = 1 / (1 + np.exp(-(Z @ w + b)))
        w -= 1.0 * (Z.T @ (p - y) / len(y) + l2 * w)
        b -= 1.0 * float((p - y).mean())
    p = np.clip(1 / (1 + np.exp(-(Z @ w + b))), 1e-12, 1 - 1e-12)
    loss = float(-(y * np.log(p) + (1 - y) * np.log(1 - p)).mean())
    return mean, scale, w, b, loss


def run_train_project_rank(cfg: ProjectRankTrainConfig) -> int:
    import numpy as np
    from tqdm import tqdm

    from agent.project.rank import FEATURES, ProjectRanker
    t0 = time.monotonic()
    files = by_file(cfg.corpus, {s.strip() for s in cfg.splits.split(",") if s.strip()})
    if not files:
        raise UsageError(f"no file of the {cfg.splits} split in {', '.join(cfg.corpus)}")
    X, y, steps, found = [], [], 0, 0
    for name in tqdm(sorted(files), desc="files", unit="file", file=sys.stderr, disable=None):
        for feats, labels, _ in examples(files[name]):
            steps += 1
            found += any(labels)
            X += feats
            y += labels
    if not any(y):
        raise UsageError("no step of these files stands among its file's candidates: nothing to fit")
    mean, scale, w, b, loss = fit(np.array(X, dtype=float), np.array(y, dtype=float),
                                  iterations=cfg.iterations, l2=cfg.l2)
    ranker = ProjectRanker(list(FEATURES), mean.tolist(), scale.tolist(), w.tolist(), float(b), {
        "config": asdict(cfg), "files": len(files), "steps": steps, "candidates": len(y),
        "steps_with_the_written_step": found, "loss": round(loss, 4),
        "seconds": round(time.monotonic() - t0, 1)})
    os.makedirs(os.path.dirname(os.path.abspath(cfg.out)), exist_ok=True)
    ranker.save(cfg.out)
    print(json.dumps({k: v for k, v in ranker.trained_on.items() if k != "config"}))
    print(f"fitted on {steps} steps of {len(files)} files ({len(y)} candidates); wrote {cfg.out}")
    return 0
