"""Training data from human traces and from search records (expert iteration).

- Policy SFT rows ``{state, tactic, name, proof_before}``: every step of a traced human proof
  and of every proof the search found and the final check accepted.
- Value rows ``{state, target}``: a state on a proof path, d tactics from the end, gets
  gamma^d; a state the search expanded whose whole subtree failed gets 0. Open (unfinished)
  subtrees get no label: the search does not know.
- Preference pairs ``{state, chosen, rejected}``: at a state on a found proof path, the
  proof's tactic is preferred to each tactic the kernel rejected there (BFS-Prover's DPO data).
- Weighted rows (the Q-SFT-style option): every tactic the kernel accepted at an expanded
  node, weighted by its result's value target (1 for a tactic that closed the proof).
"""

from __future__ import annotations

from collections import defaultdict


def _pretty(goals: list[str]) -> str:
    return "\n\n".join(goals)


def from_traces(rows: list[dict], *, gamma: float = 0.9) -> tuple[list[dict], list[dict]]:
    """(SFT rows, value rows) from traced human proofs (``qstar trace`` output)."""
    by_thm: dict[tuple[str, str], list[dict]] = defaultdict(list)
    for r in rows:
        by_thm[(r["file"], r["theorem"])].append(r)
    sft, value = [], []
    for (_, name), steps in by_thm.items():
        steps.sort(key=lambda r: r["step"])
        n = len(steps)
        for i, r in enumerate(steps):
            sft.append({"state": r["state"], "tactic": r["tactic"], "name": name,
                        "proof_before": "\n".join(s["tactic"] for s in steps[:i])})
            if r.get("proved") is not None:  # Coq traces know the proof closes at the last step
                value.append({"state": r["state"], "target": gamma ** (n - i)})
    return sft, value


def proof_path(tree: dict) -> list[tuple[dict, str]]:
    """[(node, tactic taken there)] from the root along the verified proof, or []."""
    proof = tree.get("proof")
    if not proof:
        return []
    nodes = {n["id"]: n for n in tree["nodes"]}
    out_edges: dict[int, list[dict]] = defaultdict(list)
    for e in tree["edges"]:
        out_edges[e["src"]].append(e)
    path, cur = [], 0
    for i, tactic in enumerate(proof):
        path.append((nodes[cur], tactic))
        if i == len(proof) - 1:
            break
        nxt = next((e for e in out_edges[cur] if e["tactic"] == tactic and e["dst"] is not None), None)
        if nxt is None:  # the proof went through a transposition: path nodes end here
            break
        cur = nxt["dst"]
    return path


def from_records(records: list[dict], *, gamma: float = 0.9, max_pairs_per_state: int = 4):
    """(SFT rows, value rows, preference pairs, weighted rows) from ``collect`` records."""
    sft, value, pairs, weighted = [], [], [], []
    for rec in records:
        tree = rec.get("tree")
        if not tree:
            continue
        nodes = {n["id"]: n for n in tree["nodes"]}
        path = proof_path(tree) if rec.get("status") == "proved" else []
        on_path = {}
        for i, (node, tactic) in enumerate(path):
            state = _pretty(node["goals"])
            on_path[node["id"]] = gamma ** (len(path) - i)
            sft.append({"state": state, "tactic": tactic, "name": rec["name"],
                        "proof_before": "\n".join(t for _, t in path[:i])})
            value.append({"state": state, "target": on_path[node["id"]]})
            rejected = [e["tactic"] for e in tree["edges"]
                        if e["src"] == node["id"] and e["outcome"] == "error" and e["tactic"] != tactic]
            for bad in rejected[:max_pairs_per_state]:
                pairs.append({"state": state, "chosen": tactic, "rejected": bad, "name": rec["name"]})
        for n in tree["nodes"]:
            if n["status"] == "failed" and n["id"] not in on_path:
                value.append({"state": _pretty(n["goals"]), "target": 0.0})
        for e in tree["edges"]:
            src = nodes[e["src"]]
            if e["outcome"] == "proved":
                w = 1.0
            elif e["outcome"] == "goals" and e["dst"] is not None:
                dst = nodes[e["dst"]]
                w = on_path.get(dst["id"], 0.0 if dst["status"] == "failed" else None)
            else:
                continue
            if w:  # None (unknown) and 0 (failed) carry no positive weight
                weighted.append({"state": _pretty(src["goals"]), "tactic": e["tactic"], "weight": w})
    return dedup(sft), dedup(value), dedup(pairs), dedup(weighted)


def dedup(rows: list[dict]) -> list[dict]:
    seen, out = set(), []
    for r in rows:
        key = tuple(sorted((k, str(v)) for k, v in r.items()))
        if key not in seen:
            seen.add(key)
            out.append(r)
    return out
