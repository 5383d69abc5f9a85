"""How far can ranking go with these candidates? The union of the theorems that every finished
run on one half proves, whatever its ranking, ordering or budget, against one reference run.

A learned ranker (Q, V, A*, a later round's retrieval) can only re-order the candidates that the
sources write, so the theorems any configuration has ever proved bound what re-ordering the same
candidates has been seen to reach. Every bench or iterate-eval run found under the given folders
whose config says ``--half HALF`` counts.

  python evals/ceiling.py [--half eval] [--ref RESULTS_DIR] [--out FILE.json] RUN_DIR [RUN_DIR ...]
"""

from __future__ import annotations

import argparse
import json
import os
import sys


def runs(folders: list[str], half: str) -> list[dict]:
    """One row per results.jsonl under ``folders`` whose run config is on ``half``."""
    from agent.io import read_jsonl
    out = []
    for top in folders:
        for d, _, files in sorted(os.walk(top)):
            if "results.jsonl" not in files or "config.json" not in files:
                continue
            cfg = json.load(open(os.path.join(d, "config.json"), encoding="utf-8"))
            if cfg.get("half") != half:
                continue
            rows = read_jsonl(os.path.join(d, "results.jsonl"))
            search = cfg.get("search", {})
            out.append({"run": d, "attempted": len(rows), "budget": search.get("budget"),
                        "timeout": search.get("timeout"), "ordering": search.get("ordering"),
                        "proved": sorted(r["id"] for r in rows if r["status"] == "proved")})
    return out


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("folders", nargs="+")
    ap.add_argument("--half", default="eval")
    ap.add_argument("--ref", default="", help="the reference run's folder (its results.jsonl)")
    ap.add_argument("--out", default="")
    a = ap.parse_args(argv)
    found = [r for r in runs(a.folders, a.half) if r["attempted"]]
    if not found:
        print(f"no finished run on the {a.half} half under {', '.join(a.folders)}", file=sys.stderr)
        return 1
    sizes = {r["attempted"] for r in found}
    if len(sizes) > 1:
        print(f"runs of different sizes on the {a.half} half ({sorted(sizes)}): pass folders of one suite",
              file=sys.stderr)
        return 1
    union = set().union(*(r["proved"] for r in found))
    ref = next((r for r in found if os.path.normpath(r["run"]) == os.path.normpath(a.ref)), None)
    if a.ref and ref is None:
        print(f"--ref {a.ref}: not among the runs found", file=sys.stderr)
        return 1
    print("| run | budget | seconds | ordering | proved |\n| --- | --- | --- | --- | --- |")
    for r in found:
        print(f"| {r['run']} | {r['budget']} | {r['timeout']:g} | {r['ordering']} | {len(r['proved'])} |")
    summary = {"half": a.half, "attempted": sizes.pop(), "runs": len(found), "union": len(union),
               "best_run": max(len(r["proved"]) for r in found), "union_ids": sorted(union)}
    print(f"\n{summary['runs']} runs on the {a.half} half ({summary['attempted']} statements): "
          f"{summary['union']} proved by at least one, {summary['best_run']} by the best single run")
    if ref is not None:
        extra = sorted(union - set(ref["proved"]))
        summary.update(ref=ref["run"], ref_proved=len(ref["proved"]), beyond_ref=extra)
        print(f"the reference ({ref['run']}) proves {len(ref['proved'])}; the union adds {len(extra)}: "
              f"{', '.join(extra) or '-'}")
    if a.out:
        from agent.io import atomic_write
        atomic_write(a.out, json.dumps(summary, indent=1) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
