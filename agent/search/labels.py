"""The label rules, in one place: what a search says about each node and each edge.

Every learner reads these (Q from edge labels, V and the LM's value head from node labels, SFT
and retrieval from the checked proof path), and the searches use the same node rule while they
run, so a record never says more than the kernel said.

Edge outcomes (what the kernel did with one tactic at one node):
- ``goals``: it ran and left new goals (the edge created its child node);
- ``duplicate``: it ran and left goals some node already has (a transposition; a *cycle* when
  that node is the source itself or one of its ancestors);
- ``proved``: it closed every goal;
- ``error``: the kernel (or the client, before sending it) rejected it;
- ``timeout``: it ran its whole per-tactic limit without an answer;
- ``cut``: the search's own deadline stopped it before its per-tactic limit, or it never ran
  (rebuilding its state used the time up): the tactic was not judged;
- ``crash``: the prover died under it.

Node statuses:
- ``proved``: a tactic from it closed the proof, or its child on the proof's path is proved;
- ``refuted``: expanded with its whole candidate list, at least one candidate, and no tried
  path from it can reach a proof: every edge was rejected by the kernel (``error``) or leads to a
  refuted node, where a path that only goes round a cycle (back to the node or an ancestor)
  reaches nothing new. Computed over the whole tree (``unprovable``), so a cycle whose exits
  are all refuted is refuted, and a node whose cycle leads to an ancestor proved later is not;
- ``no_candidates``: expanded in full, but the policy offered nothing: not refuted (nothing
  was tried), and no label;
- ``unfinished``: expanded and left without knowing: cut by the deadline, a timeout, a cut, a
  crash, a cycle, or a child that is not refuted;
- ``open``: never expanded (the frontier; and nodes at the depth cap).

Labels (``None``: no label; the search does not know):
- edge (Q): 1 for the edges of the checked proof path (only when the final check accepted the
  record); 0 for ``error``, ``timeout`` and an edge (not a cycle) into a refuted node; ``None``
  for ``cut``, ``crash``, cycles, edges into nodes that are not refuted, and every step of a
  proof the final check refused.
- node (V): 1 for a proved node of an accepted record, 0 for a refuted node, else ``None``.

Old records are relabelled by these rules: refutation is recomputed from their edges (a node
whose record does not say it was expanded in full is never refuted), and a ``timeout`` edge whose
seconds fall short of its run's per-tactic limit (the run folder's ``config.json``) was cut by the
search's deadline, so it is read as ``cut`` (``read_records``, which every learner reads records
through): a record written before a rule changed means what a new one means.
"""

from __future__ import annotations

from collections import defaultdict

OPEN, PROVED, REFUTED, UNFINISHED, NO_CANDIDATES = "open", "proved", "refuted", "unfinished", "no_candidates"
OUTCOMES = ("goals", "duplicate", "proved", "error", "timeout", "cut", "crash")


def edge_refutes(outcome: str, child_status: str | None, cycle: bool) -> bool:
    """Whether one edge counts toward its source's refutation: the kernel rejected the tactic,
    or it led (not around a cycle) into a refuted node."""
    if outcome == "error":
        return True
    return outcome in ("goals", "duplicate") and not cycle and child_status == REFUTED


def settled_status(expanded: bool, complete: bool, edges_refute: list[bool]) -> str | None:
    """A node's status once its expansion is known: REFUTED, NO_CANDIDATES, or None (not settled:
    UNFINISHED when the search stops). ``edges_refute``: ``edge_refutes`` of each edge."""
    if not (expanded and complete):
        return None
    if not edges_refute:
        return NO_CANDIDATES
    return REFUTED if all(edges_refute) else None


def unprovable(nodes, *, proved, expanded_in_full, edges) -> set:
    """The nodes refuted by the tree as a whole: expanded in full with at least one edge, and no
    tried path from them reaches a proof or a step the search does not know the end of.

    A node *may* be provable when it is proved, not expanded in full (the deadline, the depth
    cap), has no edge (no candidate: nothing was tried), or has a ``proved``, ``timeout``,
    ``cut`` or ``crash`` edge, or a ``goals`` / ``duplicate`` edge into a node that may be
    provable; the rest are refuted. ``nodes``: keys; ``proved`` and ``expanded_in_full``:
    key -> bool; ``edges``: key -> [(outcome, target key or None)]."""
    possible, todo = set(), []
    preds: dict = defaultdict(list)
    for n in nodes:
        es = edges.get(n, [])
        for outcome, dst in es:
            if outcome in ("goals", "duplicate") and dst is not None:
                preds[dst].append(n)
        if proved(n) or not expanded_in_full(n) or not es or any(
                o in ("proved", "timeout", "cut", "crash") for o, _ in es):
            possible.add(n)
            todo.append(n)
    while todo:  # may-be-provable flows back along the tree's edges
        for n in preds[todo.pop()]:
            if n not in possible:
                possible.add(n)
                todo.append(n)
    return {n for n in nodes if n not in possible}


def _out_edges(tree: dict) -> dict[int, list[dict]]:
    out: dict[int, list[dict]] = defaultdict(list)
    for e in tree["edges"]:
        out[e["src"]].append(e)
    return out


def node_statuses(tree: dict) -> dict[int, str]:
    """Each node's status in a stored search tree (``records.tree_to_json``), by the rules above.
    PROVED is taken as recorded (kernel verdicts on the path); everything else is recomputed from
    the edges, so records of any age (an older search's "failed", its refuted cycles and
    candidate-less nodes) mean the same."""
    nodes = {n["id"]: n for n in tree["nodes"]}
    out = _out_edges(tree)
    status: dict[int, str] = {}
    full: dict[int, bool] = {}
    for i, n in nodes.items():
        expanded = bool(n.get("expanded", bool(out[i])))
        full[i] = expanded and bool(n.get("complete", False))
        if n["status"] == PROVED:
            status[i] = PROVED
        elif not expanded:  # the frontier, or left at the depth cap
            status[i] = OPEN if n["status"] == OPEN else UNFINISHED
        else:
            status[i] = NO_CANDIDATES if full[i] and not out[i] else UNFINISHED
    for i in unprovable(nodes, proved=lambda i: status[i] == PROVED, expanded_in_full=full.get,
                        edges={i: [(e["outcome"], e["dst"]) for e in out[i]] for i in nodes}):
        status[i] = REFUTED
    return status


def proof_path(tree: dict) -> list[tuple[dict, str]]:
    """[(node, tactic taken there)] along the checked proof: from the root, each tactic of the
    record's ``proof`` followed through the edge it names (a child or a transposition), so the
    path is the one the final check saw. [] when the record has no proof or the tree does not
    hold it."""
    proof = tree.get("proof")
    if not proof:
        return []
    nodes = {n["id"]: n for n in tree["nodes"]}
    out = _out_edges(tree)
    path, cur = [], 0
    for i, tactic in enumerate(proof):
        path.append((nodes[cur], tactic))
        if i == len(proof) - 1:
            if not any(e["tactic"] == tactic and e["outcome"] == "proved" for e in out[cur]):
                return []
            break
        nxt = next((e for e in out[cur] if e["tactic"] == tactic and e["outcome"] in ("goals", "duplicate")
                    and e["dst"] is not None), None)
        if nxt is None:
            return []
        cur = nxt["dst"]
    return path


def proof_sources(tree: dict) -> list[list[str]]:
    """For each step of the checked proof (``proof_path``), the candidate sources that proposed
    its tactic there (``retrieval``, ``gen``, ``auto``, ...; [] for a step no source names, such as
    the last resort's), in order."""
    out = _out_edges(tree)
    steps = []
    for node, tactic in proof_path(tree):
        edge = next((e for e in out[node["id"]] if e["tactic"] == tactic and e["outcome"] in ("goals", "duplicate", "proved")),
                    None)
        steps.append(sorted((edge or {}).get("sources") or {}))
    return steps


def cycles(tree: dict) -> list[bool]:
    """For each stored edge, whether it goes back to its source or one of its ancestors."""
    parent = {n["id"]: n["parent"] for n in tree["nodes"]}

    def back(src: int, dst) -> bool:
        seen, i = set(), src
        while i >= 0 and i not in seen:
            if i == dst:
                return True
            seen.add(i)
            i = parent.get(i, -1)
        return False

    return [e["outcome"] == "duplicate" and back(e["src"], e["dst"]) for e in tree["edges"]]


def edge_label(e: dict, status: dict[int, str], on_path: dict[int, str], accepted: bool,
               cycle: bool = False) -> float | None:
    """Q's label of one stored edge (see the module docstring). ``on_path``: node id -> the
    tactic the checked proof takes there; ``accepted``: the final check accepted the record;
    ``cycle``: the edge goes back to its source or an ancestor (``cycles``)."""
    out = e["outcome"]
    if accepted and on_path.get(e["src"]) == e["tactic"] and out in ("proved", "goals", "duplicate"):
        return 1.0
    if out in ("error", "timeout"):
        return 0.0
    if cycle:
        return None
    if out in ("goals", "duplicate") and e["dst"] is not None and status.get(e["dst"]) == REFUTED:
        return 0.0
    return None


def node_label(status: str, accepted: bool) -> float | None:
    """V's label of one stored node (see the module docstring)."""
    if status == PROVED:
        return 1.0 if accepted else None
    return 0.0 if status == REFUTED else None


def accepted(record: dict) -> bool:
    """Whether the final check accepted the record's proof (only then do its proof's steps
    carry positive labels)."""
    return record.get("status") == "proved"


CUT_SLACK = 0.05  # seconds: a timeout that ran its whole limit measures at least the limit


def relabel_cuts(record: dict, tactic_timeout: float | None) -> dict:
    """``record`` with each ``timeout`` edge that ran less than ``tactic_timeout`` read as
    ``cut`` (the search's deadline stopped it: not judged); unchanged without a limit."""
    tree = record.get("tree")
    if not tree or not tactic_timeout:
        return record
    for e in tree["edges"]:
        if e["outcome"] == "timeout" and e.get("seconds", tactic_timeout) + CUT_SLACK < tactic_timeout:
            e["outcome"] = "cut"
    return record


def run_tactic_timeout(records_path: str) -> float | None:
    """The per-tactic limit of the run that wrote ``records_path`` (its folder's config.json)."""
    import json
    import os
    conf = os.path.join(os.path.dirname(os.path.abspath(records_path)), "config.json")
    try:
        with open(conf, encoding="utf-8") as f:
            return float(json.load(f)["search"]["tactic_timeout"])
    except (OSError, ValueError, KeyError, TypeError):
        return None


def read_records(path: str) -> list[dict]:
    """A records file as every learner reads it: relabelled by today's rules."""
    from agent.io import read_jsonl
    limit = run_tactic_timeout(path)
    return [relabel_cuts(r, limit) for r in read_jsonl(path, allow_empty=True)]
