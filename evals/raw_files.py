"""Benchmark: `qstar prove` on files as users write them. Each suite row becomes a raw file
(its header, its statement, `Proof. Admitted.`: no prelude), proved the way `qstar prove FILE`
proves it (its `--imports` setting, the same isolated runner and final check), and every proof
written back is checked again with `qstar check FILE --reference RAW` (the added import line
must be accepted). Variants: `--imports none` and `--imports auto`, at one budget.

  python evals/raw_files.py [--suite ../shared/data/minif2f-rocq-valid.jsonl] [--model none]
                            [--variants none,auto] [--hammer off|sauto|full] [--goal-args off|on]
                            [--limit N]
                            [--out runs/raw_files]

Prints a table and writes OUT/results.json (one row per file and variant) and OUT/summary.json.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))


@dataclass
class RawConfig:
    """Settings of this benchmark."""

    suite: str = "../shared/data/minif2f-rocq-valid.jsonl"
    """Coq suite JSONL with inline headers."""
    limit: int = 0
    """At most this many rows (0: all)."""
    model: str = "none"
    """Tactic model, as for qstar prove (none: automation only)."""
    variants: tuple[str, ...] = ("none", "auto")
    """--imports settings compared."""
    hammer: str = "off"
    """--hammer setting (off, sauto, full, auto)."""
    goal_args: str = "off"
    """--goal-args setting (off: the README's rows, measured before the goal-argument candidates)."""
    budget: int = 16
    """Node expansions per theorem (the README's benchmark budget)."""
    timeout: float = 20.0
    """Search seconds per theorem."""
    tactic_timeout: float = 5.0
    """Seconds per tactic."""
    workers: int = 2
    """Kernel workers."""
    out: str = "runs/raw_files"
    """Output folder."""
    extra: dict = field(default_factory=dict)
    """Other SearchConfig fields."""


@dataclass(frozen=True)
class Item:
    id: str
    theorem: object
    raw: str  # the user's file
    source: str  # the file the search and the check ran on (with the added imports)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    for name in ("suite", "model", "out", "hammer", "goal_args"):
        ap.add_argument("--" + name.replace("_", "-"), default=getattr(RawConfig, name))
    ap.add_argument("--limit", type=int, default=RawConfig.limit)
    ap.add_argument("--workers", type=int, default=RawConfig.workers)
    ap.add_argument("--variants", default=",".join(RawConfig.variants), help="--imports settings, comma-separated")
    args = vars(ap.parse_args())
    args["variants"] = tuple(v for v in args["variants"].split(",") if v)
    cfg = RawConfig(**args)
    print("config:", json.dumps(asdict(cfg)))
    from tqdm import tqdm

    from agent.backends import backend_named
    from agent.bench.pool import run_items
    from agent.io import atomic_write, read_jsonl
    from agent.search.searcher import SearchConfig, build_searcher, default_model_for, hammer_mode
    rows = read_jsonl(cfg.suite)[:cfg.limit or None]
    coq = backend_named("coq", check_timeout=300.0)
    search = SearchConfig(budget=cfg.budget, timeout=cfg.timeout, tactic_timeout=cfg.tactic_timeout,
                          model=default_model_for(cfg.model, "coq"), hammer=cfg.hammer, goal_args=cfg.goal_args,
                          **cfg.extra)
    searcher = build_searcher(search, batching=True)
    os.makedirs(cfg.out, exist_ok=True)
    results, t0 = [], time.monotonic()
    try:
        for variant in cfg.variants:
            line = coq.imports_for(variant, hammer_mode(search, coq) != "off")
            items, unparsable = [], 0
            for r in rows:
                raw = r["header"].rstrip("\n") + "\n\n" + r["formal_statement"].strip() + "\nProof.\nAdmitted.\n"
                source = coq.insert_imports(raw, line)
                try:
                    th = [t for t in coq.open_theorems(source) if t.name == r["name"]]
                except coq.parse_error:
                    th = []
                if len(th) != 1:
                    unparsable += 1
                    results.append({"variant": variant, "id": r["name"], "status": "error",
                                    "stop_reason": "statement_error", "accepted": False})
                    continue
                items.append(Item(r["name"], th[0], raw, source))
            for it, rec in tqdm(run_items(items, searcher=searcher, check_timeout=300.0, workers=cfg.workers),
                                total=len(items), desc=f"imports {variant}", file=sys.stderr):
                accepted = False
                if rec.status == "proved":  # what qstar check --reference says of the written file
                    with open(os.path.join(cfg.out, "Raw.v"), "w", encoding="utf-8") as f:
                        f.write(it.raw)
                    out = os.path.join(cfg.out, "Raw_proved.v")
                    with open(out, "w", encoding="utf-8") as f:
                        f.write(coq.with_proofs(it.source, {it.theorem.name: tuple(rec.proof)}))
                    accepted = all(v.ok for v in coq.check_file(out, os.path.join(cfg.out, "Raw.v")))
                results.append({"variant": variant, "id": it.id, "status": rec.status,
                                "stop_reason": rec.stop_reason, "proof": rec.proof, "seconds": rec.seconds,
                                "accepted": accepted})
    finally:
        searcher.close()
    summary = {}
    for variant in cfg.variants:
        rs = [r for r in results if r["variant"] == variant]
        summary[variant] = {"files": len(rs), "proved": sum(r["status"] == "proved" for r in rs),
                            "accepted": sum(r["accepted"] for r in rs),
                            "statement_errors": sum(r["stop_reason"] == "statement_error" for r in rs),
                            "seconds": round(sum(r.get("seconds", 0.0) for r in rs), 1)}
    atomic_write(os.path.join(cfg.out, "results.json"), json.dumps(results, indent=1) + "\n")
    atomic_write(os.path.join(cfg.out, "summary.json"),
                 json.dumps({"config": asdict(cfg), "summary": summary}, indent=2) + "\n")
    print(f"\n{'--imports':<10} {'files':>6} {'proved':>7} {'accepted by check --reference':>30} "
          f"{'statement errors':>17} {'seconds':>8}")
    for variant, s in summary.items():
        print(f"{variant:<10} {s['files']:>6} {s['proved']:>7} {s['accepted']:>30} {s['statement_errors']:>17} "
              f"{s['seconds']:>8}")
    print(f"\n{time.monotonic() - t0:.0f}s; wrote {cfg.out}/summary.json")


if __name__ == "__main__":
    main()
