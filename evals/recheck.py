"""Re-run the sound final check on every proof a bench or iterate folder reports as proved.

Usage: python evals/recheck.py DIR [DIR ...]   (each DIR holds config.json and results.jsonl, or
collect's records.jsonl)

Each proved row's proof goes through the current code's final check again (original statement,
screened body, fresh coqc/lean process, assumption check), one theorem at a time. The script
prints one line per folder (rechecked, agree, disagree) and the disagreeing theorems, and writes
DIR/recheck.json. Results written before suite ids were made unique may name two lemmas of one
file by one id; such a proof is checked against each and must prove one. A proof that several
folders report for the same statement (rows of one benchmark) is checked once per invocation.
Exit status 1 if any proof no longer passes.
"""

from __future__ import annotations

import dataclasses
import json
import os
import sys


_VERDICTS: dict = {}  # (theorem, proof, check timeout) -> verdict, within one invocation


def recheck(folder: str) -> dict:
    from tqdm import tqdm

    from agent.backends import backend_named
    from agent.bench.bench import BenchConfig, bench_items
    from agent.io import read_jsonl
    from agent.search.searcher import SearchConfig
    conf = json.load(open(os.path.join(folder, "config.json"), encoding="utf-8"))
    renamed = {"order": "ordering", "lam": "astar_lambda"}  # runs from before the flags' renaming
    search = {renamed.get(k, k): v for k, v in conf["search"].items()}
    known = {f.name for f in dataclasses.fields(BenchConfig)}
    cfg = BenchConfig(**{**{k: v for k, v in conf.items() if k in known}, "search": SearchConfig(**search)})
    items = bench_items(cfg)
    by_id = {it.id: [it] for it in items}
    for it in items:  # a run from before ids were unique: "F.v:x" stood for "F.v:x#2" too
        if "#" in it.id:
            by_id.setdefault(it.id.rsplit("#", 1)[0], []).append(it)
    log = os.path.join(folder, "results.jsonl")  # bench's; collect's is records.jsonl
    log = log if os.path.exists(log) else os.path.join(folder, "records.jsonl")
    proved = [r for r in read_jsonl(log) if r["status"] == "proved"]
    if not proved:
        return {"folder": folder, "rechecked": 0, "agree": 0, "disagree": [], "ambiguous": 0}
    backend = backend_named(items[0].theorem.backend, check_timeout=cfg.search.check_timeout)
    bad, ambiguous = [], 0
    for r in tqdm(proved, desc=os.path.basename(folder.rstrip("/")), file=sys.stderr):
        candidates = by_id.get(r["id"], [])
        ambiguous += len(candidates) > 1
        reasons = []
        for it in candidates:  # the lemma the row names (any of them, if its id was ambiguous)
            th = it.bare if r.get("prelude_dropped") else it.theorem
            if r.get("prelude_placed"):  # the libraries as that run placed them above the theorem
                th = next((t for t, note in backend.placements(it.bare, it.prelude)
                           if note == r["prelude_placed"]), th)
            key = (th, tuple(r["proof"]), cfg.search.check_timeout)
            if key not in _VERDICTS:  # the same proof of the same statement in another folder
                _VERDICTS[key] = backend.check_proof(th, tuple(r["proof"]))
            v = _VERDICTS[key]
            if v.ok:
                break
            reasons.append(v.reason)
        else:
            bad.append({"id": r["id"], "reason": "; ".join(reasons) or "not in the suite"})
    out = {"folder": folder, "rechecked": len(proved), "agree": len(proved) - len(bad), "disagree": bad,
           "ambiguous": ambiguous}
    with open(os.path.join(folder, "recheck.json"), "w", encoding="utf-8") as f:
        json.dump(out, f, indent=2)
    return out


def main(argv: list[str]) -> int:
    if not argv:
        print(__doc__.strip().splitlines()[2], file=sys.stderr)
        return 2
    worst = 0
    for folder in argv:
        res = recheck(folder)
        print(f"{folder}: rechecked {res['rechecked']}, agree {res['agree']}, disagree {len(res['disagree'])}"
              f" ({res['ambiguous']} ids shared by two lemmas: checked against each)")
        for b in res["disagree"]:
            print(f"  {b['id']}: {b['reason']}")
        worst = max(worst, 1 if res["disagree"] else 0)
    return worst


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
