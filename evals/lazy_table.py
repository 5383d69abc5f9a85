"""Print the tables of evals/lazy_expansion.sh: per row (node, lazy), the theorems proved, why
each search stopped, how many expansions the searches cut by the time limit made and how deep
every search got, the gains and losses against ``node``; then, per tactic family, where the
kernel's seconds went (tries, successes: the step closed or advanced a goal, seconds and their
share). Reads RUN/SUITE/ROW/records.jsonl (``qstar collect``: one search tree per theorem; SUITE:
eval, or library for evals/library_rows.sh) and writes RUN/table.json (RUN/table-library.json).

  python evals/lazy_table.py RUN_DIR [--suite eval|library] [ROW ...]
"""

from __future__ import annotations

import json
import os
import statistics
import sys
from collections import defaultdict

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def _rows(path: str) -> list[dict]:
    with open(path, encoding="utf-8") as f:
        return [json.loads(ln) for ln in f if ln.strip()]


def summary(records: list[dict]) -> dict:
    from agent.policies.competition import family_of
    from agent.search.lazy import family
    stops = defaultdict(int)
    for r in records:
        stops[r.get("stop_reason", "")] += 1
    timed = [r["expansions"] for r in records if r.get("stop_reason") == "timeout"]
    depth = [max((n["depth"] for n in r["tree"]["nodes"] if n.get("expanded")), default=0)
             for r in records if r.get("tree")]
    fam: dict[str, list[float]] = defaultdict(lambda: [0, 0, 0.0])  # tries, successes, seconds
    for r in records:
        for e in (r.get("tree") or {}).get("edges", []):
            if e["message"].startswith("as on the same goal before"):
                continue  # a verdict copied from another node: not run
            f = fam[family_of(e["tactic"]) or family(e["tactic"]) or "(other)"]
            f[0] += 1
            f[1] += e["outcome"] in ("goals", "proved")
            f[2] += e["seconds"]
    total = sum(v[2] for v in fam.values()) or 1.0
    return {"theorems": len(records), "proved": sorted(r["name"] for r in records if r["status"] == "proved"),
            "statement_errors": stops.get("statement_error", 0), "stops": dict(stops),
            "timeout_expansions_median": statistics.median(timed) if timed else None,
            "timeout_expansions_mean": round(statistics.mean(timed), 2) if timed else None,
            "depth_median": statistics.median(depth) if depth else None, "depth_max": max(depth, default=0),
            "kernel_seconds": round(sum(r.get("kernel_seconds", 0.0) for r in records), 1),
            "families": {k: {"tries": int(v[0]), "successes": int(v[1]), "seconds": round(v[2], 1),
                             "share": round(v[2] / total, 3)}
                         for k, v in sorted(fam.items(), key=lambda kv: -kv[1][2])}}


def main(argv: list[str]) -> int:
    if not argv:
        print(__doc__, file=sys.stderr)
        return 2
    suite = "eval"
    if len(argv) > 2 and argv[1] == "--suite":
        suite, argv = argv[2], argv[:1] + argv[3:]
    run, names = argv[0], argv[1:] or ["node", "lazy", "lazy+families", "lazy+chance", "lazy+tails", "lazy+slices"]
    out = {}
    for name in names:
        path = os.path.join(run, suite, name, "records.jsonl")
        if os.path.exists(path):
            out[name] = summary(_rows(path))
    if not out:
        print(f"lazy_table: no records under {run}/{suite}/", file=sys.stderr)
        return 2
    base = set(out.get("node", {}).get("proved", []))
    print("| row | proved | stops: proved / budget / timeout / exhausted | expansions of the time-outs "
          "(median, mean) | depth (median, max) | kernel s | vs node: gains / losses |")
    print("| --- | --- | --- | --- | --- | --- | --- |")
    for name, s in out.items():
        st = s["stops"]
        got = set(s["proved"])
        print(f"| {name} | {len(got)} / {s['theorems']} | {st.get('proved', 0) + st.get('last_resort', 0)} / "
              f"{st.get('budget', 0)} / {st.get('timeout', 0)} / {st.get('exhausted', 0)} | "
              f"{s['timeout_expansions_median']}, {s['timeout_expansions_mean']} | {s['depth_median']}, {s['depth_max']} | "
              f"{s['kernel_seconds']} | {'' if name == 'node' else f'+{len(got - base)} -{len(base - got)}'} |")
    for name, s in out.items():
        print(f"\n{name}: where the kernel's seconds go (top 12 families)\n")
        print("| family | tries | successes | seconds | share |")
        print("| --- | --- | --- | --- | --- |")
        for k, v in list(s["families"].items())[:12]:
            print(f"| {k} | {v['tries']} | {v['successes']} | {v['seconds']} | {100 * v['share']:.1f} % |")
    if "node" in out and len(out) > 1:
        for name, s in out.items():
            if name != "node":
                print(f"\n{name} vs node: gains {sorted(set(s['proved']) - base)}, losses {sorted(base - set(s['proved']))}")
    with open(os.path.join(run, "table.json" if suite == "eval" else f"table-{suite}.json"), "w", encoding="utf-8") as f:
        json.dump(out, f, indent=1)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
