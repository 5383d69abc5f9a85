"""Best-first search over proof states, one file top to bottom.

The tree is an OR-tree: a node is a whole proof state (all open goals), an edge a tactic. A node
is PROVED when any child is, FAILED when it has been expanded and every child failed (or none
was produced). A child whose goals equal an existing node's is not added again (transposition
table keyed by ``ProofState``, whose equality ignores the path).

The order is pluggable: ``priority(node)`` returns a number, lowest expanded first.
``by_logprob`` is ReProver's cumulative log-prob order; the learned value and A* priorities of
later issues are other functions of the same node fields. The search stops when a proof is
found (never discarded, even on the last step of the budget), when the expansion budget or the
wall-clock budget is spent, or when no open node is left; ``stop_reason`` records which.
"""

from __future__ import annotations

import heapq
import itertools
import time
from dataclasses import dataclass, field
from typing import Callable

from agent.env import EnvCrash, Goals, ProofEnv, ProofState, Proved, StepResult, TacticError, TacticTimeout

OPEN, PROVED, FAILED = "open", "proved", "failed"

# A policy maps a state to candidate tactics with their log-probabilities, best first.
Policy = Callable[[ProofState], list[tuple[str, float]]]


@dataclass(eq=False)
class Node:
    state: ProofState
    parent: "Node | None"
    depth: int
    logprob: float  # sum of the log-probs of the tactics on the path from the root
    status: str = OPEN
    expanded: bool = False
    edges: list["Edge"] = field(default_factory=list)


@dataclass(eq=False)
class Edge:
    tactic: str
    logprob: float
    outcome: str  # goals | proved | duplicate | error | timeout | crash
    seconds: float  # kernel wall time of this step
    child: Node | None = None
    message: str = ""


Priority = Callable[[Node], float]


def by_logprob(node: Node) -> float:
    """ReProver: expand the node with the highest cumulative log-prob first."""
    return -node.logprob


def by_depth(node: Node) -> float:
    """Breadth-first: shallowest node first."""
    return float(node.depth)


@dataclass
class SearchBudget:
    """Per-theorem limits of one search."""

    max_expansions: int = 64
    """Nodes expanded at most (each expansion tries every candidate tactic of the node)."""
    max_seconds: float = 60.0
    """Wall-clock limit for the whole search."""
    tactic_timeout: float = 5.0
    """Wall-clock limit for one tactic."""
    max_depth: int = 32
    """Nodes at this depth are not expanded."""


@dataclass
class SearchResult:
    proof: tuple[str, ...] | None
    stop_reason: str  # proved | budget | timeout | exhausted
    expansions: int
    nodes: int
    seconds: float
    kernel_seconds: float
    policy_seconds: float
    root: Node


def best_first_search(env: ProofEnv, root_state: ProofState, *, policy: Policy,
                      priority: Priority = by_logprob, budget: SearchBudget | None = None,
                      check_invariants: bool = False) -> SearchResult:
    budget = budget or SearchBudget()
    t0 = time.monotonic()
    deadline = t0 + budget.max_seconds
    root = Node(root_state, None, 0, 0.0)
    table: dict[ProofState, Node] = {root_state: root}
    tie = itertools.count()  # FIFO among equal priorities, and never compare nodes
    queue: list[tuple[float, int, Node]] = [(priority(root), next(tie), root)]
    expansions = 0
    kernel = policy_time = 0.0

    def result(proof: tuple[str, ...] | None, reason: str) -> SearchResult:
        if check_invariants:
            check_tree(root)
        return SearchResult(proof, reason, expansions, len(table), time.monotonic() - t0,
                            kernel, policy_time, root)

    while queue:
        if expansions >= budget.max_expansions:
            return result(None, "budget")
        if time.monotonic() >= deadline:
            return result(None, "timeout")
        _, _, node = heapq.heappop(queue)
        if node.status != OPEN or node.expanded:
            continue
        node.expanded = True
        expansions += 1
        tp = time.monotonic()
        candidates = policy(node.state) if node.depth < budget.max_depth else []
        policy_time += time.monotonic() - tp
        for tactic, logprob in candidates:
            left = deadline - time.monotonic()
            if left <= 0:
                break
            tk = time.monotonic()
            step = env.apply(node.state, tactic, timeout=min(budget.tactic_timeout, left))
            dt = time.monotonic() - tk
            kernel += dt
            edge = _edge(tactic, logprob, step, dt)
            node.edges.append(edge)
            if isinstance(step, Proved):
                edge.outcome = "proved"
                _mark_proved(node)
                return result(step.path, "proved")
            if isinstance(step, Goals):
                if step.state in table:
                    edge.outcome, edge.child = "duplicate", table[step.state]
                    continue
                child = Node(step.state, node, node.depth + 1, node.logprob + logprob)
                table[step.state] = child
                edge.child = child
                heapq.heappush(queue, (priority(child), next(tie), child))
        _update_failed(node)
        if time.monotonic() >= deadline:
            return result(None, "timeout")
    return result(None, "exhausted")


def _edge(tactic: str, logprob: float, step: StepResult, seconds: float) -> Edge:
    if isinstance(step, Goals):
        return Edge(tactic, logprob, "goals", seconds)
    if isinstance(step, Proved):
        return Edge(tactic, logprob, "proved", seconds)
    if isinstance(step, TacticError):
        return Edge(tactic, logprob, "error", seconds, message=step.message)
    if isinstance(step, TacticTimeout):
        return Edge(tactic, logprob, "timeout", seconds, message=f"timeout after {step.seconds}s")
    if isinstance(step, EnvCrash):
        return Edge(tactic, logprob, "crash", seconds, message=step.message)
    raise TypeError(f"not a step result: {step!r}")


def _mark_proved(node: Node | None) -> None:
    while node is not None:
        node.status = PROVED
        node = node.parent


def _update_failed(node: Node | None) -> None:
    """An expanded node whose own children are all failed fails; so may its parent."""
    while node is not None and node.expanded and node.status == OPEN:
        kids = [e.child for e in node.edges if e.outcome == "goals"]
        if any(k.status != FAILED for k in kids):
            return
        node.status = FAILED
        node = node.parent


def check_tree(root: Node) -> None:
    """Raise AssertionError if the tree breaks an invariant of this search."""
    stack = [root]
    while stack:
        n = stack.pop()
        kids = [e.child for e in n.edges if e.outcome == "goals"]
        for k in kids:
            assert k.parent is n and k.depth == n.depth + 1, "child links"
        proved_edge = any(e.outcome == "proved" for e in n.edges)
        if n.status == PROVED:
            assert proved_edge or any(k.status == PROVED for k in kids), "PROVED without proof"
        if n.status == FAILED:
            assert n.expanded and all(k.status == FAILED for k in kids), "FAILED with live child"
        if not n.expanded:
            assert not n.edges and n.status in (OPEN,), "unexpanded node with edges"
        stack.extend(kids)
