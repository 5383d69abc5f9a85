"""Training data from human traces and from search records (expert iteration).

Every row holds its state as structured goals (``goals``: ``Goal.to_json`` objects); records and
traces written before goals were structured are read through their backend's parser.

- Policy SFT rows ``{goals, tactic, name, proof_before}``: every step of a traced human proof
  and of every proof the search found and the final check accepted.
- Value rows ``{goals, target}``: a state on the checked proof path, d tactics from the end,
  gets gamma^d; a state ``agent.search.labels`` calls refuted gets 0; every other state gets no
  label (the search does not know). Records of any age are read through the same rules.
- Preference pairs ``{goals, chosen, rejected, name, proof_before}``: at a state on a found proof
  path, the proof's tactic is preferred to each tactic the kernel rejected there (BFS-Prover's
  DPO data).
- Weighted rows (the Q-SFT-style option): every edge whose Q label (``labels.edge_label``) is
  positive, weighted by its result's value target (1 for the tactic that closed the proof).
"""

from __future__ import annotations

from collections import defaultdict

from agent.search.labels import accepted, edge_label, node_label, node_statuses, proof_path


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


def from_records(records: list[dict], *, gamma: float = 0.9, max_pairs_per_state: int = 4,
                 backend: str = "coq"):
    """(SFT rows, value rows, preference pairs, weighted rows) from ``collect`` records."""
    sft, value, pairs, weighted = [], [], [], []
    for rec in records:
        tree = rec.get("tree")
        if not tree:
            continue
        ok = accepted(rec)
        status = node_statuses(tree)
        path = proof_path(tree) if ok else []
        target: dict[int, float] = {}  # node id on the checked path -> gamma^(steps to the end)
        on_path: dict[int, str] = {}
        for i, (node, tactic) in enumerate(path):
            goals = _goals(node["goals"], backend)
            before = "\n".join(t for _, t in path[:i])
            target[node["id"]], on_path[node["id"]] = gamma ** (len(path) - i), tactic
            sft.append({"goals": goals, "tactic": tactic, "name": rec["name"], "proof_before": before})
            value.append({"goals": goals, "target": target[node["id"]]})
            rejected = [e["tactic"] for e in tree["edges"]
                        if e["src"] == node["id"] and e["outcome"] == "error" and e["tactic"] != tactic]
            for bad in rejected[:max_pairs_per_state]:
                pairs.append({"goals": goals, "chosen": tactic, "rejected": bad, "name": rec["name"],
                              "proof_before": before})
        for n in tree["nodes"]:
            if n["id"] not in target and node_label(status[n["id"]], ok) == 0.0:
                value.append({"goals": _goals(n["goals"], backend), "target": 0.0})
        nodes = {n["id"]: n for n in tree["nodes"]}
        for e in tree["edges"]:
            if edge_label(e, status, on_path, ok) != 1.0:
                continue
            w = 1.0 if e["outcome"] == "proved" else target.get(e["dst"], 0.0)
            weighted.append({"goals": _goals(nodes[e["src"]]["goals"], backend), "tactic": e["tactic"],
                             "weight": w})
    return dedup(sft), dedup(value), dedup(pairs), dedup(weighted)


def dedup(rows: list[dict]) -> list[dict]:
    seen, out = set(), []
    for r in rows:
        key = tuple(sorted((k, str(v)) for k, v in r.items()))
        if key not in seen:
            seen.add(key)
            out.append(r)
    return out
