"""Training data from human traces and from search records (expert iteration).

Every row holds its state as structured goals (``goals``: ``Goal.to_json`` objects); records and
traces written before goals were structured are read through their backend's parser.

- Policy SFT rows ``{goals, tactic, name, proof_before}``: every step of a traced human proof
  and of every proof the search found and the final check accepted.
- Value rows ``{goals, target}``: a state on a proof path, d tactics from the end, gets
  gamma^d; a REFUTED state (every tactic tried from it was rejected by the kernel, or led to a
  refuted state) gets 0. UNFINISHED states (cut by the deadline or the depth cap, a tactic timed
  out or crashed, a child still live) and OPEN ones get no label: the search does not know.
  Records written before the search told the two apart call both "failed"; their nodes are
  relabelled from their edges by the same rule (a timeout, crash or live child: unfinished; an
  expanded node with no edge was cut at the depth cap or the deadline: unfinished).
- Preference pairs ``{goals, chosen, rejected, name, proof_before}``: at a state on a found proof path, the
  proof's tactic is preferred to each tactic the kernel rejected there (BFS-Prover's DPO data).
- Weighted rows (the Q-SFT-style option): every tactic the kernel accepted at an expanded
  node, weighted by its result's value target (1 for a tactic that closed the proof).
"""

from __future__ import annotations

from collections import defaultdict


def _goals(stored, backend: str) -> list[dict]:
    """Goals as rows store them (``Goal.to_json``), from a record or row of any age."""
    if isinstance(stored, list) and all(isinstance(g, dict) for g in stored):
        return stored  # already stored that way
    from agent.backends import goals_of
    return [g.to_json() for g in goals_of(stored, backend)]


def from_traces(rows: list[dict], *, gamma: float = 0.9, backend: str = "coq") -> tuple[list[dict], list[dict]]:
    """(SFT rows, value rows) from traced human proofs (``qstar trace`` output)."""
    by_thm: dict[tuple[str, str], list[dict]] = defaultdict(list)
    for r in rows:
        by_thm[(r["file"], r["theorem"])].append(r)
    sft, value = [], []
    for (_, name), steps in by_thm.items():
        steps.sort(key=lambda r: r["step"])
        n = len(steps)
        for i, r in enumerate(steps):
            goals = _goals(r["goals"] if "goals" in r else r["state"], backend)
            sft.append({"goals": goals, "tactic": r["tactic"], "name": name,
                        "proof_before": "\n".join(s["tactic"] for s in steps[:i])})
            if r.get("proved") is not None:  # Coq traces know the proof closes at the last step
                value.append({"goals": goals, "target": gamma ** (n - i)})
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


def from_records(records: list[dict], *, gamma: float = 0.9, max_pairs_per_state: int = 4,
                 backend: str = "coq"):
    """(SFT rows, value rows, preference pairs, weighted rows) from ``collect`` records."""
    sft, value, pairs, weighted = [], [], [], []
    for rec in records:
        tree = rec.get("tree")
        if not tree:
            continue
        nodes = {n["id"]: n for n in tree["nodes"]}
        status = node_statuses(tree)
        path = proof_path(tree) if rec.get("status") == "proved" else []
        on_path = {}
        for i, (node, tactic) in enumerate(path):
            goals = _goals(node["goals"], backend)
            before = "\n".join(t for _, t in path[:i])
            on_path[node["id"]] = gamma ** (len(path) - i)
            sft.append({"goals": goals, "tactic": tactic, "name": rec["name"], "proof_before": before})
            value.append({"goals": goals, "target": on_path[node["id"]]})
            rejected = [e["tactic"] for e in tree["edges"]
                        if e["src"] == node["id"] and e["outcome"] == "error" and e["tactic"] != tactic]
            for bad in rejected[:max_pairs_per_state]:
                pairs.append({"goals": goals, "chosen": tactic, "rejected": bad, "name": rec["name"],
                              "proof_before": before})
        for n in tree["nodes"]:
            if status[n["id"]] == "refuted" and n["id"] not in on_path:
                value.append({"goals": _goals(n["goals"], backend), "target": 0.0})
        for e in tree["edges"]:
            src = nodes[e["src"]]
            if e["outcome"] == "proved":
                w = 1.0
            elif e["outcome"] == "goals" and e["dst"] is not None:
                dst = nodes[e["dst"]]
                w = on_path.get(dst["id"], 0.0 if status[dst["id"]] == "refuted" else None)
            else:
                continue
            if w:  # None (unknown) and 0 (refuted) carry no positive weight
                weighted.append({"goals": _goals(src["goals"], backend), "tactic": e["tactic"], "weight": w})
    return dedup(sft), dedup(value), dedup(pairs), dedup(weighted)


def node_statuses(tree: dict) -> dict[int, str]:
    """Each node's status: as recorded, or for a record of an older run (status "failed"),
    recomputed from its edges so that "refuted" means refuted."""
    nodes = {n["id"]: n for n in tree["nodes"]}
    if not any(n["status"] == "failed" for n in nodes.values()):
        return {i: n["status"] for i, n in nodes.items()}
    out_edges: dict[int, list[dict]] = defaultdict(list)
    for e in tree["edges"]:
        out_edges[e["src"]].append(e)

    def ancestors(i: int) -> set[int]:
        seen = set()
        while i >= 0 and i not in seen:
            seen.add(i)
            i = nodes[i]["parent"]
        return seen

    refuted: set[int] = set()
    changed = True
    while changed:  # a fixpoint: refutation flows from leaves up and across transpositions
        changed = False
        for i, n in nodes.items():
            if i in refuted or n["status"] != "failed" or not out_edges[i]:
                continue
            if all(e["outcome"] == "error" or e["outcome"] in ("goals", "duplicate") and e["dst"] in refuted
                   or e["outcome"] == "duplicate" and e["dst"] in ancestors(i) for e in out_edges[i]):
                refuted.add(i)
                changed = True
    return {i: "refuted" if i in refuted else "unfinished" if n["status"] == "failed" else n["status"]
            for i, n in nodes.items()}


def dedup(rows: list[dict]) -> list[dict]:
    seen, out = set(), []
    for r in rows:
        key = tuple(sorted((k, str(v)) for k, v in r.items()))
        if key not in seen:
            seen.add(key)
            out.append(r)
    return out
