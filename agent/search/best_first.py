"""Best-first search over proof states, one file top to bottom.

The tree is an OR-tree: a node is a whole proof state (all open goals), an edge a tactic. A child
whose goals equal an existing node's is not added again: the edge points to that node
(transposition table keyed by ``ProofState``, whose equality ignores the path).

Every node ends in one status, and each means exactly what it says; the rules (and the edge
outcomes, ``cut`` among them: a tactic the search's own deadline stopped or never let run) are
``agent.search.labels``', which value and Q data read too:
- PROVED: a tactic from it closed the proof, or a child is PROVED.
- REFUTED: expanded with its whole candidate list, at least one candidate, and no tried path
  from it reaches a proof or a step whose end is unknown (``labels.unprovable``, decided over the
  whole tree when the search stops; while it runs, ``settle`` marks the nodes whose every edge
  was rejected by the kernel or leads to a REFUTED node).
- NO_CANDIDATES: expanded in full, but the policy offered nothing (not refuted: nothing ran).
- UNFINISHED: the search left it without knowing: its expansion was cut by the deadline, it sat
  at the depth cap, or some tried path from it reaches a timeout, a cut, a crash or a node the
  search did not finish.
- OPEN: never expanded (the frontier when the search stopped).
While the search runs, an expanded node that is none of PROVED, REFUTED, NO_CANDIDATES is OPEN;
``result`` marks it UNFINISHED when the search stops.

The order is pluggable: ``priority(node)`` returns a number, lowest expanded first, computed
from the node's fields (cumulative log-prob, depth, value). Every anchor system's ordering is a
choice of g and h in f = g + lambda * h:
- ``by_logprob``: ReProver, g = -sum log p, no h.
- ``normalized_logprob(alpha)``: BFS-Prover, g = -sum log p / depth^alpha.
- ``by_value``: a critic alone (InternLM2.5-StepProver's best-first), f = h = -log V.
- ``astar(lam)``: f = g + lam * h with g the path cost (-sum log p, or depth) and h = -log V;
  lam = 0 is exactly ReProver's order.
``step_level=True`` (``step_level_search``, below) keeps the same tree, statuses and budget but
queues (node, candidate) pairs, so each tactic runs when its own f comes up (Q* search).
``value`` (a batched callable, states -> V) is asked once per expansion for all new children.
A state the value calls hopeless stays expandable (its priority is only lowered). The search
stops when a proof is
found (never discarded, even on the last step of the budget), when the expansion budget or the
wall-clock budget is spent, or when no open node is left; ``stop_reason`` records which.
"""

from __future__ import annotations

import heapq
import itertools
import math
import time
from dataclasses import dataclass, field
from typing import Callable

from agent.env import EnvCrash, Goals, ProofEnv, ProofState, Proved, StepResult, TacticError, TacticTimeout
from agent.search.labels import (NO_CANDIDATES, OPEN, PROVED, REFUTED, UNFINISHED, edge_refutes, settled_status,
                                 unprovable)

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
    complete: bool = False  # every candidate of its expansion was run (no deadline cut)
    edges: list["Edge"] = field(default_factory=list)
    into: list["Node"] = field(default_factory=list)  # nodes with a transposition edge to this one
    value: float | None = None  # V(state) when a value function is used
    priority: float = 0.0  # the number the queue ordered this node by
    kernel_seconds: float = 0.0  # time of the step that created this node
    model_seconds: float = 0.0  # policy time at this node's expansion + value time of its children


@dataclass(eq=False)
class Edge:
    tactic: str
    logprob: float
    outcome: str  # goals | proved | duplicate | error | timeout | cut | crash (agent.search.labels)
    seconds: float  # kernel wall time of this step
    child: Node | None = None
    message: str = ""
    sources: dict | None = None  # {source: [log-prob, rank]} of the call that proposed it (MixedPolicy)


Priority = Callable[[Node], float]
Value = Callable[[list[ProofState]], list[float]]


def neg_log(v: float) -> float:
    return -math.log(max(v, 1e-9))


def by_logprob(node: Node) -> float:
    """ReProver: expand the node with the highest cumulative log-prob first."""
    return -node.logprob


def by_depth(node: Node) -> float:
    """Breadth-first: shallowest node first."""
    return float(node.depth)


def normalized_logprob(alpha: float = 1.0) -> Priority:
    """BFS-Prover: cumulative log-prob divided by depth^alpha (favours longer, likely paths)."""
    def priority(node: Node) -> float:
        return -node.logprob / (max(node.depth, 1) ** alpha)
    return priority


def by_value(heuristic: Callable[[float], float] = neg_log) -> Priority:
    """A critic alone: the state with the highest V first."""
    def priority(node: Node) -> float:
        return heuristic(node.value)
    priority.needs_value = True  # type: ignore[attr-defined]
    return priority


def astar(lam: float, *, g: str = "logprob", heuristic: Callable[[float], float] = neg_log) -> Priority:
    """f = g + lam * h, g = -sum log p (or depth), h = heuristic(V)."""
    if g not in ("logprob", "depth"):
        raise ValueError(f"g must be logprob or depth, not {g!r}")

    def priority(node: Node) -> float:
        cost = -node.logprob if g == "logprob" else float(node.depth)
        return cost + (lam * heuristic(node.value) if lam else 0.0)
    priority.needs_value = lam != 0  # type: ignore[attr-defined]
    return priority


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
    """Nodes at this depth are not expanded (they end UNFINISHED)."""


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
    value_seconds: float = 0.0


def best_first_search(env: ProofEnv, root_state: ProofState, *, policy: Policy,
                      priority: Priority = by_logprob, value: Value | None = None,
                      budget: SearchBudget | None = None, check_invariants: bool = False,
                      step_level: bool = False) -> SearchResult:
    if getattr(priority, "needs_value", False) and value is None:
        raise ValueError("this priority needs a value function")
    if step_level:
        return step_level_search(env, root_state, policy=policy, priority=priority, value=value,
                                 budget=budget, check_invariants=check_invariants)
    budget = budget or SearchBudget()
    t0 = time.monotonic()
    deadline = t0 + budget.max_seconds
    root = Node(root_state, None, 0, 0.0)
    table: dict[ProofState, Node] = {root_state: root}
    tie = itertools.count()  # FIFO among equal priorities, and never compare nodes
    expansions = 0
    kernel = policy_time = 0.0
    value_time = _score(value, [root])
    root.priority = priority(root)
    queue: list[tuple[float, int, Node]] = [(root.priority, next(tie), root)]

    def result(proof: tuple[str, ...] | None, reason: str) -> SearchResult:
        close_tree(table, budget, root if check_invariants else None)
        return SearchResult(proof, reason, expansions, len(table), time.monotonic() - t0,
                            kernel, policy_time, root, value_time)

    while queue:
        if expansions >= budget.max_expansions:
            return result(None, "budget")
        if time.monotonic() >= deadline:
            return result(None, "timeout")
        _, _, node = heapq.heappop(queue)
        if node.status != OPEN or node.expanded:
            continue
        if node.depth >= budget.max_depth:
            continue  # left unexpanded: UNFINISHED when the search stops
        node.expanded = True
        expansions += 1
        tp = time.monotonic()
        candidates = policy(node.state)
        node.model_seconds = time.monotonic() - tp
        policy_time += node.model_seconds
        sources = proposed_by(policy, candidates)
        children: list[Node] = []
        node.complete = True
        for tactic, logprob in candidates:
            left = deadline - time.monotonic()
            if left <= 0:
                node.complete = False
                break
            step, _, child, dt = run_step(env, node, tactic, logprob, table, sources.get(tactic),
                                          budget=budget, deadline=deadline)
            kernel += dt
            if isinstance(step, Proved):
                return result(step.path, "proved")
            if child is not None:
                children.append(child)
        dv = _score(value, children)
        value_time += dv
        node.model_seconds += dv
        for c in children:
            c.priority = priority(c)
            heapq.heappush(queue, (c.priority, next(tie), c))
        settle(node)
        if time.monotonic() >= deadline:
            return result(None, "timeout")
    return result(None, "exhausted")


def step_level_search(env: ProofEnv, root_state: ProofState, *, policy: Policy,
                      priority: Priority = by_logprob, value: Value | None = None,
                      budget: SearchBudget | None = None, check_invariants: bool = False) -> SearchResult:
    """Best-first over steps, not nodes (Q* search, Agostinelli et al. 2024): the queue holds
    (node, candidate) pairs, and a candidate's tactic runs only when its own f comes up, f being
    the priority of the child it would make (path log-prob plus the step's log-prob, the parent's
    V standing in for the child's). A low-scored candidate (a likely error or timeout) waits
    behind the likely steps of the whole tree instead of running at its node's expansion.
    An expansion is one policy call (the same budget: at most max_expansions nodes' candidates
    run, each at most once); a node whose candidates all ran is complete, one cut by the search's
    end is UNFINISHED. The statuses mean what they mean in best_first_search."""
    budget = budget or SearchBudget()
    t0 = time.monotonic()
    deadline = t0 + budget.max_seconds
    root = Node(root_state, None, 0, 0.0)
    table: dict[ProofState, Node] = {root_state: root}
    tie = itertools.count()
    expansions = 0
    kernel = policy_time = 0.0
    held_back = False  # a node was left unexpanded for the expansion budget
    pending: dict[int, int] = {}  # id(node) -> candidates of it not yet run
    sources: dict[int, dict] = {}  # id(node) -> {tactic: sources} of its own policy call
    value_time = _score(value, [root])
    root.priority = priority(root)
    # entries: (f, tie, node, candidate) with candidate None for "expand this node"
    queue: list[tuple[float, int, Node, tuple[str, float] | None]] = [(root.priority, next(tie), root, None)]

    def result(proof: tuple[str, ...] | None, reason: str) -> SearchResult:
        close_tree(table, budget, root if check_invariants else None)
        return SearchResult(proof, reason, expansions, len(table), time.monotonic() - t0,
                            kernel, policy_time, root, value_time)

    def ran(node: Node) -> None:
        pending[id(node)] -= 1
        if not pending[id(node)]:
            node.complete = True
            settle(node)

    while queue:
        if time.monotonic() >= deadline:
            return result(None, "timeout")
        _, _, node, cand = heapq.heappop(queue)
        if node.status != OPEN:
            continue
        if cand is None:
            if node.expanded or node.depth >= budget.max_depth:
                continue
            if expansions >= budget.max_expansions:
                held_back = True
                continue  # OPEN; the candidates already queued still run
            node.expanded = True
            expansions += 1
            tp = time.monotonic()
            candidates = policy(node.state)
            node.model_seconds = time.monotonic() - tp
            policy_time += node.model_seconds
            pending[id(node)] = len(candidates)
            sources[id(node)] = proposed_by(policy, candidates)
            if not candidates:
                node.complete = True
                settle(node)
            for tactic, logprob in candidates:
                probe = Node(node.state, node, node.depth + 1, node.logprob + logprob, value=node.value)
                heapq.heappush(queue, (priority(probe), next(tie), node, (tactic, logprob)))
            continue
        tactic, logprob = cand
        step, _, child, dt = run_step(env, node, tactic, logprob, table, sources[id(node)].get(tactic),
                                      budget=budget, deadline=deadline)
        kernel += dt
        if isinstance(step, Proved):
            return result(step.path, "proved")
        if child is not None:
            dv = _score(value, [child])
            value_time += dv
            node.model_seconds += dv
            child.priority = priority(child)
            heapq.heappush(queue, (child.priority, next(tie), child, None))
        ran(node)
    return result(None, "budget" if held_back else "exhausted")


def proposed_by(policy: Policy, candidates: list[tuple[str, float]]) -> dict[str, dict]:
    """{tactic: {source: [log-prob, rank]}} for the candidates of one policy call, read at once
    (a MixedPolicy remembers only its latest call), or {} when the policy does not say."""
    explain = getattr(policy, "sources_of", None)
    return {t: explain(t) for t, _ in candidates} if explain is not None else {}


def run_step(env: ProofEnv, node: Node, tactic: str, logprob: float, table: dict[ProofState, Node],
             sources: dict | None, *, budget: SearchBudget,
             deadline: float) -> tuple[StepResult, Edge, Node | None, float]:
    """Run one candidate of ``node`` on the kernel under ``min(tactic_timeout, time left)`` and
    record its edge: a proof marks the path PROVED; goals already in ``table`` become a
    transposition edge; new goals become a child (put in the table and returned). A timeout
    under a limit the deadline shortened, or one the backend says never ran, is a ``cut``, not
    a ``timeout``: the tactic was not judged. Returns (the kernel's verdict, the edge, the new
    child or None, its seconds)."""
    limit = min(budget.tactic_timeout, deadline - time.monotonic())
    tk = time.monotonic()
    step = env.apply(node.state, tactic, timeout=max(limit, 0.0), deadline=deadline)
    dt = time.monotonic() - tk
    edge = _edge(tactic, logprob, step, dt)
    if edge.outcome == "timeout" and (step.cut or limit < budget.tactic_timeout):
        edge.outcome = "cut"
        edge.message = (f"cut by the search's deadline after {dt:.1f}s" if not step.cut
                        else "not run: the search's time ran out first")
    edge.sources = sources or None
    node.edges.append(edge)
    child = None
    if isinstance(step, Proved):
        _mark_proved(node)
    elif isinstance(step, Goals):
        if step.state in table:
            edge.outcome, edge.child = "duplicate", table[step.state]
            table[step.state].into.append(node)
        else:
            child = Node(step.state, node, node.depth + 1, node.logprob + logprob, kernel_seconds=dt)
            table[step.state] = edge.child = child
    return step, edge, child, dt


def _score(value: Value | None, nodes: list[Node]) -> float:
    """Set V on ``nodes`` with one batched call; its seconds (0 without a value or nodes)."""
    if value is None or not nodes:
        return 0.0
    tv = time.monotonic()
    for n, v in zip(nodes, value([n.state for n in nodes])):
        n.value = v
    return time.monotonic() - tv


def close_tree(table: dict[ProofState, Node], budget: SearchBudget, check_root: Node | None) -> None:
    """When a search stops: its expanded nodes still OPEN, and those at the depth cap, are
    UNFINISHED; then refutation is decided over the whole tree (``labels.unprovable``: a cycle
    whose exits are all refuted is refuted too, which the per-node ``settle`` during the search
    leaves open); the tree's invariants are checked from ``check_root`` when given."""
    for n in table.values():
        if n.expanded and n.status == OPEN or n.depth >= budget.max_depth and n.status == OPEN:
            n.status = UNFINISHED
    for n in _unprovable(table.values()):
        if n.status == UNFINISHED:
            n.status = REFUTED
    if check_root is not None:
        check_tree(check_root)


def _unprovable(nodes) -> list[Node]:
    nodes = list(nodes)
    by_id = {id(n): n for n in nodes}
    refuted = unprovable(by_id, proved=lambda i: by_id[i].status == PROVED,
                         expanded_in_full=lambda i: by_id[i].expanded and by_id[i].complete,
                         edges={id(n): [(e.outcome, id(e.child) if e.child is not None else None) for e in n.edges]
                                for n in nodes})
    return [by_id[i] for i in refuted]


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


def _refutes(e: Edge, node: Node) -> bool:
    return edge_refutes(e.outcome, e.child.status if e.child is not None else None,
                        e.outcome == "duplicate" and _is_ancestor(e.child, node))


def _settled(node: Node) -> str | None:
    """REFUTED or NO_CANDIDATES when the node now is one (``labels.settled_status``), else None."""
    return settled_status(node.expanded, node.complete, [_refutes(e, node) for e in node.edges])


def _is_ancestor(a: Node | None, node: Node | None) -> bool:
    while node is not None:
        if node is a:
            return True
        node = node.parent
    return False


def settle(node: Node) -> None:
    """Mark ``node`` REFUTED or NO_CANDIDATES if it now is, and pass a refutation on to its
    parent and to the nodes whose transpositions lead to it."""
    todo = [node]
    while todo:
        n = todo.pop()
        if n.status != OPEN:
            continue
        settled = _settled(n)
        if settled is None:
            continue
        n.status = settled
        if settled == REFUTED:
            todo.extend(m for m in (n.parent, *n.into) if m is not None)


def check_tree(root: Node) -> None:
    """Raise AssertionError if the tree breaks an invariant of this search (after it stopped)."""
    everything, stack = {}, [root]
    while stack:
        n = stack.pop()
        if id(n) not in everything:
            everything[id(n)] = n
            stack.extend(e.child for e in n.edges if e.outcome == "goals")
    refuted = {id(n) for n in _unprovable(everything.values())}
    for n in everything.values():
        assert (n.status == REFUTED) == (id(n) in refuted), f"{n.status} against the tree's refutation"
    stack, seen = [root], set()
    while stack:
        n = stack.pop()
        if id(n) in seen:
            continue
        seen.add(id(n))
        kids = [e.child for e in n.edges if e.outcome == "goals"]
        for k in kids:
            assert k.parent is n and k.depth == n.depth + 1, "child links"
        for e in n.edges:
            assert (e.child is not None) == (e.outcome in ("goals", "duplicate")), "edge target"
        if n.status == PROVED:
            assert any(e.outcome == "proved" for e in n.edges) or any(k.status == PROVED for k in kids), \
                "PROVED without proof"
        elif n.status == REFUTED:
            pass  # checked over the whole tree above
        elif n.status == NO_CANDIDATES:
            assert _settled(n) == n.status, "NO_CANDIDATES with candidates"
        elif n.status == UNFINISHED:
            assert _settled(n) is None, "UNFINISHED but settled"
        else:
            assert n.status == OPEN and not n.expanded and not n.edges, "OPEN node that was expanded"
        stack.extend(kids)
