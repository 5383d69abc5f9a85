"""Monte-Carlo tree search over proof states: AlphaZero's PUCT with the policy's prior and the
value at the leaf, on the same tree, records and labels as best-first search.

Each iteration walks from the root, at every expanded node taking the candidate with the highest

    U(a) = Q(a) + c_puct * P(a) * sqrt(N) / (1 + N(a))

where P is the policy's prior (its log-probs, Q-ranked when the learned Q exists, normalised
over the node's candidates), N(a) the visits through candidate a, N their sum, and Q(a) the mean
value backed up through a (a candidate never run: first-play urgency, the node's own value). The
walk stops at a node never expanded, or at a candidate never run: the kernel runs it (and, on a
new node, the policy proposes its candidates and the kernel runs the first ``width`` of them, or
all of them with width 0, as best-first does), the value scores the new states (no rollouts),
and the best new value (0 when every step failed; plus ``novelty`` when a state never seen was
reached, RMaxTS's intrinsic reward) is backed up along the path. Kernel verdicts are terminal: a
proof ends the search at once (never lost on the last visit); an error, a timeout, a crash, a
step back into an ancestor, a REFUTED child and a node with nothing left below it (its steps
timed out, say) are never selected again.

A node's status means exactly what it means in ``best_first`` (REFUTED: every candidate run and
rejected; UNFINISHED otherwise), so value data and ``check_tree`` treat both searches alike.
Budget: ``max_expansions`` counts the nodes whose candidates the policy proposed (as
best-first's), the deadline and the per-tactic timeout are the same; stop reasons too
(proved | budget | timeout | exhausted: no candidate left anywhere).
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass, field

from agent.env import Goals, ProofEnv, ProofState, Proved
from agent.policies.mixed import normalised
from agent.search.best_first import (REFUTED, Edge, Node, Policy, SearchBudget, SearchResult, Value,
                                     _is_ancestor, _score, close_tree, proposed_by, run_step, settle)

NEUTRAL = 0.5  # a leaf's value when there is no value function
_MAX_STALLS = 200  # walks in a row that ran nothing (dead ends, the depth cap): the search is done


@dataclass
class MctsConfig:
    """PUCT's knobs."""

    c_puct: float = 1.5
    """Exploration weight c in Q + c * P * sqrt(N) / (1 + N(a))."""
    width: int = 0
    """Candidates the kernel runs per visit of a node (0: all of them at its first visit)."""
    novelty: float = 0.0
    """Intrinsic reward added to the backed-up value when a visit reaches a state never seen
    (RMaxTS); 0: off."""


@dataclass(eq=False)
class _Stats:
    """Per node: the candidates not yet run, each candidate's prior and proposing sources, and
    per-edge visit counts and value sums (keyed by the edge's index in ``node.edges``)."""

    pending: list[tuple[str, float]] = field(default_factory=list)
    prior: dict[str, float] = field(default_factory=dict)
    sources: dict[str, dict] = field(default_factory=dict)
    visits: dict[int, int] = field(default_factory=dict)
    total: dict[int, float] = field(default_factory=dict)


def puct(q: float, prior: float, parent_visits: int, visits: int, c: float) -> float:
    """AlphaZero's selection score."""
    return q + c * prior * math.sqrt(max(parent_visits, 1)) / (1 + visits)


def priors(candidates: list[tuple[str, float]]) -> dict[str, float]:
    """The policy's log-probs normalised over the node's candidates (a softmax)."""
    best = dict(candidates)  # a tactic listed twice counts once, with its last log-prob
    return dict(zip(best, map(math.exp, normalised(list(best.values()))))) if best else {}


def mcts_search(env: ProofEnv, root_state: ProofState, *, policy: Policy, value: Value | None = None,
                budget: SearchBudget | None = None, config: MctsConfig | None = None,
                priority=None, check_invariants: bool = False) -> SearchResult:
    """Search by PUCT; ``priority`` is accepted for the searchers' common signature and unused."""
    budget, cfg = budget or SearchBudget(), config or MctsConfig()
    t0 = time.monotonic()
    deadline = t0 + budget.max_seconds
    root = Node(root_state, None, 0, 0.0)
    table: dict[ProofState, Node] = {root_state: root}
    stats: dict[int, _Stats] = {}
    clock = {"kernel": 0.0, "policy": 0.0, "value": 0.0, "expansions": 0}

    def evaluate(nodes: list[Node]) -> None:
        if value is None:
            for n in nodes:
                n.value = NEUTRAL
            return
        clock["value"] += _score(value, nodes)

    def result(proof, reason: str) -> SearchResult:
        for n in table.values():
            s = stats.get(id(n))
            n.priority = float(sum(s.visits.values())) if s else 0.0  # records show the visit count
        close_tree(table, budget, root if check_invariants else None)
        return SearchResult(proof, reason, clock["expansions"], len(table), time.monotonic() - t0,
                            clock["kernel"], clock["policy"], root, clock["value"])

    def run(node: Node, count: int) -> tuple[object, list[Node], bool]:
        """Run up to ``count`` pending candidates of ``node`` (0: all): (proof path or None, the
        states reached, new or not, whether one was never seen before)."""
        s = stats[id(node)]
        todo = s.pending if count <= 0 else s.pending[:count]
        reached, novel = [], False
        for tactic, logprob in list(todo):
            left = deadline - time.monotonic()
            if left <= 0:
                break
            s.pending.remove((tactic, logprob))
            step, edge, child, dt = run_step(env, node, tactic, logprob, table, s.sources.get(tactic),
                                             budget=budget, deadline=deadline)
            clock["kernel"] += dt
            if isinstance(step, Proved):
                return step.path, reached, novel
            if child is not None:
                reached.append(child)
                novel = True
            elif isinstance(step, Goals) and edge.child.status != REFUTED and not _is_ancestor(edge.child, node):
                reached.append(edge.child)
        node.complete = not s.pending
        return None, reached, novel

    def expand(node: Node) -> tuple[object, list[Node], bool]:
        node.expanded = True
        clock["expansions"] += 1
        tp = time.monotonic()
        candidates = list({t: (t, lp) for t, lp in reversed(policy(node.state))}.values())[::-1]
        node.model_seconds = time.monotonic() - tp
        clock["policy"] += node.model_seconds
        stats[id(node)] = _Stats(pending=candidates, prior=priors(candidates),
                                 sources=proposed_by(policy, candidates))
        return run(node, cfg.width)

    dead: set[int] = set()  # expanded nodes with nothing left below them (timeouts, dead ends)

    def live(node: Node, e: Edge, path: list[Node]) -> bool:
        c = e.child
        return (e.outcome in ("goals", "duplicate") and c is not None and c.status != REFUTED
                and id(c) not in dead and c not in path and not _is_ancestor(c, node))

    def select(node: Node, path: list[Node]):
        """The best action at an expanded node: ("edge", i) or ("run", None) or None (none left)."""
        s = stats[id(node)]
        n_parent = sum(s.visits.values())
        fpu = node.value if node.value is not None else NEUTRAL
        best, best_score = None, -math.inf
        for i, e in enumerate(node.edges):
            if not live(node, e, path):
                continue
            n = s.visits.get(i, 0)
            q = s.total.get(i, 0.0) / n if n else (e.child.value if e.child.value is not None else fpu)
            score = puct(q, s.prior.get(e.tactic, 0.0), n_parent, n, cfg.c_puct)
            if score > best_score:
                best, best_score = ("edge", i), score
        if s.pending:  # the next candidate not yet run, at first-play urgency
            score = puct(fpu, s.prior.get(s.pending[0][0], 0.0), n_parent, 0, cfg.c_puct)
            if score > best_score:
                best = ("run", None)
        return best

    evaluate([root])
    stalls = 0
    while True:
        if time.monotonic() >= deadline:
            return result(None, "timeout")
        if root.status == REFUTED:
            return result(None, "exhausted")
        node, path, steps = root, [root], []  # steps: (node, edge index) walked
        proof, reached, novel, progressed, dead_end = None, [], False, False, False
        while True:
            if not node.expanded:
                if node.depth >= budget.max_depth:
                    break  # left unexpanded: UNFINISHED when the search stops
                if clock["expansions"] >= budget.max_expansions:
                    return result(None, "budget")
                proof, reached, novel = expand(node)
                progressed = True
                break
            choice = select(node, path)
            if choice is None:
                dead_end = True
                if not any(live(node, e, []) for e in node.edges):
                    dead.add(id(node))  # never walked into again, whatever the path
                break
            if choice[0] == "run":
                proof, reached, novel = run(node, max(cfg.width, 1))
                progressed = True
                break
            i = choice[1]
            steps.append((node, i))
            node = node.edges[i].child
            path.append(node)
        if proof is not None:
            return result(proof, "proved")
        fresh = [c for c in reached if c.value is None]
        if fresh:
            evaluate(fresh)
        if reached:
            leaf = max(c.value for c in reached)
        elif progressed or dead_end:
            leaf = 0.0  # every step failed, or nothing left to try below: a loss for this walk
        else:
            leaf = node.value if node.value is not None else NEUTRAL  # at the depth cap
        leaf = min(1.0, leaf + (cfg.novelty if novel else 0.0))
        for n, i in steps:
            s = stats[id(n)]
            s.visits[i] = s.visits.get(i, 0) + 1
            s.total[i] = s.total.get(i, 0.0) + leaf
        if node.expanded:
            settle(node)
        stalls = 0 if progressed else stalls + 1
        if not progressed and not steps or stalls > _MAX_STALLS:
            return result(None, "exhausted")  # nothing left to run anywhere the walks reach
