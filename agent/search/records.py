"""Search trees as JSON: what ``collect`` stores per theorem and ``agent.learning.data`` reads."""

from __future__ import annotations

from agent.search.best_first import Node


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
                  "goals": [g.to_json() for g in n.state.goals], "depth": n.depth, "logprob": round(n.logprob, 5),
                  "value": n.value, "status": n.status, "expanded": n.expanded, "complete": n.complete,
                  "priority": round(n.priority, 5), "kernel_seconds": round(n.kernel_seconds, 4),
                  "model_seconds": round(n.model_seconds, 4)} for n in nodes]
    for n in nodes:
        for e in n.edges:
            edges.append({"src": ids[id(n)], "tactic": e.tactic, "logprob": round(e.logprob, 5),
                          "outcome": e.outcome, "message": e.message[:300],
                          "seconds": round(e.seconds, 4),
                          "dst": ids.get(id(e.child)) if e.child is not None else None,
                          **({"sources": e.sources} if e.sources else {})})
    return {"nodes": out_nodes, "edges": edges, "proof": list(proof) if proof else None}
