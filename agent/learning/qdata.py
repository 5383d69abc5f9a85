"""Q and V training rows from search records: every kernel verdict is a label.

Edge labels, for Q(s, a):
- 1: a step of the verified proof (the tactic that closed it, and each step on its path);
- 0: the kernel rejected the tactic (error) or it ran past its time (timeout), or it led into a
  REFUTED state (everything tried from there failed);
- none: a crash, a step into an UNFINISHED or OPEN state, or any step of a proof the final check
  refused: the search does not know.
State labels, for V(s): PROVED states 1, REFUTED states 0, the others none.

Each row keeps the edge's ``sources`` (which sources proposed the tactic, their log-prob and
rank), so Q trains on exactly what it sees at search time.
"""

from __future__ import annotations

import zlib
from collections import defaultdict
from dataclasses import dataclass

from agent.learning.data import _goals, node_statuses, proof_path


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
        name = rec["name"]
        status = node_statuses(tree)
        proved = rec.get("status") == "proved"
        nodes = {n["id"]: n for n in tree["nodes"]}
        on_path: dict[int, str] = {}
        if proved:
            for node, tactic in proof_path(tree):
                on_path[node["id"]] = tactic
        goals = {i: _goals(n["goals"], backend) for i, n in nodes.items()}
        for e in tree["edges"]:
            label = edge_label(e, status, on_path, proved)
            if label is not None:
                q_rows.append(QRow(name, goals[e["src"]], e["tactic"], e.get("sources") or {}, label))
        for i, st in status.items():
            if st == "proved" and proved or st == "refuted":
                v_rows.append(VRow(name, goals[i], 1.0 if st == "proved" else 0.0))
    return q_rows, v_rows


def edge_label(e: dict, status: dict[int, str], on_path: dict[int, str], proved: bool) -> float | None:
    out = e["outcome"]
    if out in ("error", "timeout"):
        return 0.0
    if out == "proved":
        return 1.0 if proved else None
    if out in ("goals", "duplicate") and e["dst"] is not None:
        if status.get(e["dst"]) == "refuted":
            return 0.0
        if proved and on_path.get(e["src"]) == e["tactic"]:
            return 1.0
    return None


def summary(q_rows: list[QRow], v_rows: list[VRow]) -> dict:
    by = defaultdict(int)
    for r in q_rows:
        by[f"q_{'pos' if r.label else 'neg'}"] += 1
    for r in v_rows:
        by[f"v_{'pos' if r.label else 'neg'}"] += 1
    return dict(by)
