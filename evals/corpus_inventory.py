"""The traced corpus's inventory (issue 36): per library the files, traced theorems, steps,
distinct globals the steps name, lemmas that did not replay or were left by the per-file cap,
and tracing time; per split the steps; and the skeleton inventory (how many distinct
skeletons, the most frequent with their counts, the share of steps with each hole kind).

  python evals/corpus_inventory.py --corpus corpus/steps.jsonl --out runs/corpus_inventory

Writes OUT/inventory.json and OUT/inventory.md.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from collections import Counter, defaultdict
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--corpus", default="corpus/steps.jsonl")
    ap.add_argument("--out", default="runs/corpus_inventory")
    ap.add_argument("--top", type=int, default=25)
    a = ap.parse_args(argv)
    from agent.generator.corpus import library_of, read_rows
    from agent.generator.model import locals_of_stored, step_globals
    from agent.generator.skeleton import abstract
    from agent.io import atomic_write
    libs: dict[str, dict] = defaultdict(lambda: {"files": 0, "theorems": 0, "steps": 0, "failed": 0, "capped": 0,
                                                 "seconds": 0.0, "files_with_glob": 0})
    with open(a.corpus + ".done.jsonl", encoding="utf-8") as f:
        for line in f:
            d = json.loads(line)
            lib = libs[library_of(d["file"])]
            lib["files"] += 1
            lib["theorems"] += d.get("traced", 0)
            lib["failed"] += d.get("replay_failures", 0) + d.get("start_errors", 0)
            lib["capped"] += d.get("capped", 0)
            lib["seconds"] += d.get("seconds", 0.0)
            lib["files_with_glob"] += d.get("glob", 0)
    rows = read_rows(a.corpus)
    known = {short for r in rows for short in (g.rsplit(".", 1)[-1] for g in r.get("globals") or ())}
    globals_by_lib: dict[str, set] = defaultdict(set)
    splits: Counter = Counter()
    skeletons: Counter = Counter()
    hole_kinds: Counter = Counter()
    for r in rows:
        lib = library_of(r["file"])
        libs[lib]["steps"] += 1
        splits[r["split"]] += 1
        names = {n for n, _ in locals_of_stored(r["goals"])}
        g = step_globals(r, known, names)
        globals_by_lib[lib] |= g
        ab = abstract(r["tactic"], names, g)
        skeletons[ab.skeleton] += 1
        for k in {h[0] for h, _ in ab.args}:
            hole_kinds[k] += 1
    for lib, s in libs.items():
        s["globals"] = len(globals_by_lib[lib])
        s["seconds"] = round(s["seconds"])
    total = {k: sum(s[k] for s in libs.values()) for k in ("files", "theorems", "steps", "failed", "capped", "seconds")}
    inv = {"libraries": dict(sorted(libs.items())), "total": total, "steps_per_split": dict(splits),
           "skeletons": len(skeletons), "skeletons_seen_twice": sum(c >= 2 for c in skeletons.values()),
           "steps_with_hole": {k: round(100 * c / max(1, len(rows)), 1) for k, c in sorted(hole_kinds.items())},
           "top_skeletons": skeletons.most_common(a.top)}
    os.makedirs(a.out, exist_ok=True)
    atomic_write(os.path.join(a.out, "inventory.json"), json.dumps(inv, indent=1))
    lines = ["| library | files | theorems traced | steps | globals named | did not replay | left by cap | seconds |",
             "|---|---|---|---|---|---|---|---|"]
    for lib, s in inv["libraries"].items():
        lines.append(f"| {lib} | {s['files']} | {s['theorems']} | {s['steps']} | {s['globals']} | {s['failed']} "
                     f"| {s['capped']} | {s['seconds']} |")
    lines.append(f"| **all** | {total['files']} | {total['theorems']} | {total['steps']} | | {total['failed']} "
                 f"| {total['capped']} | {total['seconds']} |")
    lines += ["", f"Steps per split: {json.dumps(inv['steps_per_split'])}. Skeletons: {inv['skeletons']} distinct, "
              f"{inv['skeletons_seen_twice']} seen at least twice; steps with a hole of each kind "
              f"(L local, G global, N numeral): {json.dumps(inv['steps_with_hole'])}.", "",
              "| skeleton | steps |", "|---|---|"]
    lines += [f"| `{s.replace('|', '∣')}` | {c} |" for s, c in inv["top_skeletons"]]
    table = "\n".join(lines) + "\n"
    atomic_write(os.path.join(a.out, "inventory.md"), table)
    print(table)
    return 0


if __name__ == "__main__":
    sys.exit(main())
