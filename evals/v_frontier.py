"""What A*'s h sees: V(s) on the nodes of recorded search trees, by the node's status.

V is trained on proved and refuted states only (unfinished ones get no label), and its held-out
ROC AUC is measured between those two classes. A* needs something else: V must rank the nodes
still open in a search. This prints V's spread over every status, and on the trees of proved
theorems how well V ranks the nodes of the proof path above the other nodes of the same tree
(ROC AUC; 0.5 is no better than chance), the ranking that decides which node A* expands next.

  python evals/v_frontier.py [--out FILE.json] RECORDS.jsonl [RECORDS.jsonl ...]
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys


def _spread(values: list[float]) -> dict:
    v = sorted(values)
    return {"nodes": len(v), "median": round(statistics.median(v), 3), "p10": round(v[len(v) // 10], 3),
            "share_at_least_0.9": round(sum(x >= 0.9 for x in v) / len(v), 3)}


def frontier(records: list[dict]) -> dict:
    from agent.search.labels import node_statuses, proof_path
    from agent.policies.hashed import roc_auc
    by_status: dict[str, list[float]] = {}
    labels, scores = [], []
    for rec in records:
        tree = rec.get("tree")
        if not tree:
            continue
        status = node_statuses(tree)
        for n in tree["nodes"]:
            by_status.setdefault(status.get(n["id"], n["status"]), []).append(n["value"])
        if rec.get("status") == "proved":
            path = {node["id"] for node, _ in proof_path(tree)}
            for n in tree["nodes"]:
                labels.append(1 if n["id"] in path else 0)
                scores.append(n["value"])
    out = {"by_status": {s: _spread(v) for s, v in sorted(by_status.items())}}
    if labels and 0 < sum(labels) < len(labels):
        out["path_vs_rest_auc"] = round(roc_auc(labels, scores), 3)
        out["path_nodes"], out["other_nodes"] = sum(labels), len(labels) - sum(labels)
    return out


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("records", nargs="+")
    ap.add_argument("--out", default="")
    a = ap.parse_args(argv)
    from agent.io import read_jsonl
    records = [r for path in a.records for r in read_jsonl(path)]
    out = frontier(records)
    if not out["by_status"]:
        print("no search tree in these records (were they written by `qstar collect`?)", file=sys.stderr)
        return 1
    print("| node status | nodes | median V | 10th percentile | share with V >= 0.9 |\n| --- | --- | --- | --- | --- |")
    for s, d in out["by_status"].items():
        print(f"| {s} | {d['nodes']} | {d['median']} | {d['p10']} | {d['share_at_least_0.9']} |")
    if "path_vs_rest_auc" in out:
        print(f"\nproved trees: V ranks the {out['path_nodes']} proof-path nodes above the {out['other_nodes']} "
              f"others with ROC AUC {out['path_vs_rest_auc']}")
    if a.out:
        from agent.io import atomic_write
        atomic_write(a.out, json.dumps(out, indent=1) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
