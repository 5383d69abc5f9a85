"""Search records on disk: trees as JSON, and append-only JSONL logs that survive a kill.

A log is written one complete line at a time (one ``write`` of the line and its newline, then
flush and fsync). A run killed in the middle leaves at most one partial last line; ``JsonlLog``
cuts it off when reopened, so resuming loses nothing that was recorded and duplicates nothing.
"""

from __future__ import annotations

import json
import os

from agent.search import Node


def tree_to_json(root: Node, *, proof: tuple[str, ...] | None) -> dict:
    """Nodes (goals, value, depth, log-prob, status, priority) and edges (tactic, log-prob,
    kernel verdict, error text, time) of a search, plus the verified proof if any."""
    ids: dict[int, int] = {}
    nodes, edges, stack = [], [], [root]
    while stack:
        n = stack.pop()
        if id(n) in ids:
            continue
        ids[id(n)] = len(nodes)
        nodes.append(n)
        stack.extend(e.child for e in reversed(n.edges) if e.outcome == "goals")
    out_nodes = [{"id": ids[id(n)], "parent": ids[id(n.parent)] if n.parent is not None else -1,
                  "goals": list(n.state.goals), "depth": n.depth, "logprob": round(n.logprob, 5),
                  "value": n.value, "status": n.status, "expanded": n.expanded,
                  "priority": round(n.priority, 5), "kernel_seconds": round(n.kernel_seconds, 4),
                  "model_seconds": round(n.model_seconds, 4)} for n in nodes]
    for n in nodes:
        for e in n.edges:
            edges.append({"src": ids[id(n)], "tactic": e.tactic, "logprob": round(e.logprob, 5),
                          "outcome": e.outcome, "message": e.message[:300],
                          "seconds": round(e.seconds, 4),
                          "dst": ids.get(id(e.child)) if e.child is not None else None})
    return {"nodes": out_nodes, "edges": edges, "proof": list(proof) if proof else None}


class JsonlLog:
    """Append-only JSONL keyed by a field; reopening resumes after the last complete line."""

    def __init__(self, path: str, *, key: str = "id"):
        self.path, self.key = path, key
        os.makedirs(os.path.dirname(os.path.abspath(path)), exist_ok=True)
        self.rows: list[dict] = []
        if os.path.exists(path):
            with open(path, "rb") as f:
                data = f.read()
            end = data.rfind(b"\n") + 1  # everything after the last newline is a torn write
            if end < len(data):
                with open(path, "r+b") as f:
                    f.truncate(end)
            for line in data[:end].splitlines():
                if line.strip():
                    self.rows.append(json.loads(line))
        self.done = {r[key] for r in self.rows}
        self._f = open(path, "a", encoding="utf-8")

    def append(self, row: dict) -> None:
        if row[self.key] in self.done:
            return
        self._f.write(json.dumps(row, ensure_ascii=False) + "\n")
        self._f.flush()
        os.fsync(self._f.fileno())
        self.rows.append(row)
        self.done.add(row[self.key])

    def close(self) -> None:
        self._f.close()

    def __enter__(self) -> "JsonlLog":
        return self

    def __exit__(self, *exc) -> None:
        self.close()
