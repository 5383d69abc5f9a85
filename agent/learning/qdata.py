"""Q and V training rows from search records: every kernel verdict is a label.

Edge labels for Q(s, a) and state labels for V(s) are ``agent.search.labels``' rules (the one
place they are written): 1 on the checked proof path, 0 for a kernel rejection, a full-length
timeout or a step into a refuted state, none for what the search does not know.

Each row keeps the edge's ``sources`` (which sources proposed the tactic, their log-prob and
rank), so Q trains on exactly what it sees at search time.
"""

from __future__ import annotations

import zlib
from collections import defaultdict
from dataclasses import dataclass

from agent.learning.data import _goals
from agent.search.labels import accepted, cycles, edge_label, node_label, node_statuses, proof_path


@dataclass
class QRow:
    theorem: str
    goals: list  # Goal.to_json() dicts
    tactic: str
    sources: dict
    label: float


@dataclass
class VRow:
    theorem: str
    goals: list
    label: float


def held_out(name: str, fraction: float) -> bool:
    """A fixed part of theorem names (by crc32) held out of training for the AUC report."""
    return fraction > 0 and (zlib.crc32(name.encode("utf-8")) % 1000) < fraction * 1000


def rows_from_records(records, *, backend: str = "coq") -> tuple[list[QRow], list[VRow]]:
    q_rows, v_rows = [], []
    for rec in records:
        tree = rec.get("tree")
        if not tree:
            continue
        name, ok = rec["name"], accepted(rec)
        status = node_statuses(tree)
        on_path = {node["id"]: tactic for node, tactic in proof_path(tree)} if ok else {}
        goals = {n["id"]: _goals(n["goals"], backend) for n in tree["nodes"]}
        for e, cycle in zip(tree["edges"], cycles(tree)):
            label = edge_label(e, status, on_path, ok, cycle)
            if label is not None:
                q_rows.append(QRow(name, goals[e["src"]], e["tactic"], e.get("sources") or {}, label))
        for i, st in status.items():
            label = node_label(st, ok)
            if label is not None:
                v_rows.append(VRow(name, goals[i], label))
    return q_rows, v_rows


def summary(q_rows: list[QRow], v_rows: list[VRow]) -> dict:
    by = defaultdict(int)
    for r in q_rows:
        by[f"q_{'pos' if r.label else 'neg'}"] += 1
    for r in v_rows:
        by[f"v_{'pos' if r.label else 'neg'}"] += 1
    return dict(by)
