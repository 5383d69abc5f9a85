"""Offline: for the standard library's theorems whose human proof uses a lemma stated above them
in the same file, how often is such a lemma among the 8 the automation proposes, at the theorem's
first state (its statement as the goal)? Rows: the 8 most recent (``recent``) against the
ranking by shared symbols (``ranked``: the best by BM25, then the most recent; agent.policies
.file_lemmas). No kernel runs and nothing is learned: seconds.

  python evals/file_lemmas_offline.py [--split train] [--files 60] [--seed 1]

Prints one JSON line.
"""

from __future__ import annotations

import argparse
import json
import random
import re
import sys
from dataclasses import asdict, dataclass
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))


@dataclass
class OfflineLemmasConfig:
    split: str = "train"
    """Files of this split of the stdlib suite (train: no figure of search is measured there)."""
    files: int = 60
    """How many of its files, drawn with --seed (0: all)."""
    seed: int = 1
    ranked: int = 5
    """The best by shared symbols first, then the most recent, 8 in all."""


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    for k, v in asdict(OfflineLemmasConfig()).items():
        ap.add_argument("--" + k, type=type(v), default=v)
    cfg = OfflineLemmasConfig(**vars(ap.parse_args(argv)))
    from agent.backends import backend_named
    from agent.env import Goal
    from agent.policies.file_lemmas import FileLemmas
    coq = backend_named("coq")
    files = [rel for rel, _ in coq.library_files(cfg.split)]
    if cfg.files:
        files = random.Random(cfg.seed).sample(files, min(cfg.files, len(files)))
    n = recent = ranked = 0
    skipped = []  # files the splitter cannot read: said, counted, and outside the denominator
    for rel in files:
        try:
            theorems = coq.proof_scripts(coq.library_source(rel))
        except coq.parse_error as e:
            print(f"file_lemmas_offline: skipping {rel}: cannot split it ({e})", file=sys.stderr)
            skipped.append(rel)
            continue
        for th, steps in theorems:
            above = coq.usable_lemmas(th.context)
            used = {w for s in steps for w in re.findall(r"[\w']+", s)} & set(above)
            if not used:
                continue
            n += 1
            statements = {a: s for a, s, _ in coq.lemma_statements(th.context)}
            goal = Goal.from_json({"hyps": [], "concl": th.statement.split(":", 1)[-1], "style": "coq"})
            recent += bool(used & set(above[:8]))
            ranked += bool(used & set(FileLemmas(tuple(above), statements, ranked=cfg.ranked, limit=8).choose(goal)))
    print(json.dumps({"config": asdict(cfg), "files": len(files), "files_skipped": len(skipped),
                      "theorems_using_a_file_lemma": n,
                      "recent8_pct": round(100 * recent / max(1, n), 1),
                      "ranked_pct": round(100 * ranked / max(1, n), 1)}))
    return 0


if __name__ == "__main__":
    sys.exit(main())
