"""Theorems per second: the local pool with 1 and 2 workers, and Ray with 2 workers, on this
machine, one run (targets: 2 local workers >= 1.7x one; Ray >= 0.9x the local pool at 2).

  python evals/ray_throughput.py [--suite S] [--limit 40] [--out runs/ray_throughput]

Each row is one `qstar bench` in a fresh process over the same theorems (the stdlib test split,
``--limit`` lemmas spread over it, automation only, the README's budget), timed from the
command's start to its end as a user sees it: Ray's start-up (its runtime, the actors, Coq in
every worker) is inside the Ray row. Rows run one after another, never at once; the proved sets
must agree (the same search on the same kernel), and the script says so. Writes OUT/table.json.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time

ROWS = (("local, 1 worker", ["--workers", "1"]), ("local, 2 workers", ["--workers", "2"]),
        ("ray, 2 workers", ["--workers", "2", "--cluster", "ray"]))


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--suite", default="")
    ap.add_argument("--limit", type=int, default=40)
    ap.add_argument("--out", default="runs/ray_throughput")
    args = ap.parse_args()
    os.makedirs(args.out, exist_ok=True)
    qstar = [sys.executable, "-m", "agent.cli"]
    suite = args.suite or os.path.join(args.out, "coq-stdlib.jsonl")
    if not os.path.isfile(suite):
        subprocess.run(qstar + ["stdlib-suite", "--out", suite], check=True, timeout=600)
    common = [suite, "--split", "test", "--limit", str(args.limit), "--spread", "--model", "none",
              "--budget", "16", "--timeout", "20", "--tactic-timeout", "5"]
    rows = []
    for label, extra in ROWS:
        out = os.path.join(args.out, label.replace(", ", "-").replace(" ", "_"))
        if os.path.isdir(out):
            import shutil
            shutil.rmtree(out)
        t0 = time.monotonic()
        r = subprocess.run(qstar + ["bench", *common, *extra, "--out", out], capture_output=True, text=True,
                           timeout=7200)
        wall = time.monotonic() - t0
        if r.returncode != 0:
            print(r.stderr[-2000:], file=sys.stderr)
            return 1
        res = [json.loads(line) for line in open(os.path.join(out, "results.jsonl"), encoding="utf-8")]
        proved = sorted(x["id"] for x in res if x["status"] == "proved")
        rows.append({"row": label, "theorems": len(res), "proved": len(proved), "seconds": round(wall, 1),
                     "theorems_per_s": round(len(res) / wall, 4), "proved_ids": proved})
        print(f"{label}: {len(res)} theorems in {wall:.1f} s", file=sys.stderr)
    base = rows[0]["theorems_per_s"]
    local2 = rows[1]["theorems_per_s"]
    print("| row | theorems | proved | seconds | theorems / s | vs 1 local worker | vs 2 local workers |")
    print("| --- | --- | --- | --- | --- | --- | --- |")
    for r in rows:
        print(f"| {r['row']} | {r['theorems']} | {r['proved']} | {r['seconds']:.1f} | {r['theorems_per_s']:.3f} | "
              f"{r['theorems_per_s'] / base:.2f}x | {r['theorems_per_s'] / local2:.2f}x |")
    same = len({tuple(r["proved_ids"]) for r in rows}) == 1
    print(f"\nproved sets {'agree' if same else 'DIFFER'} across rows")
    with open(os.path.join(args.out, "table.json"), "w", encoding="utf-8") as f:
        json.dump(rows, f, indent=2)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
