"""Lazy, cost-aware best-first search: an expansion costs what its best candidates cost.

``best_first_search`` runs every candidate of a node when it is expanded (about 60 in Coq, three
quarters of them the automation list), so a 20 s search gets 4 to 7 nodes deep however the first
candidates did. Here a node runs its candidates in order of *chance per second* and stops once it
has ``children`` new children; it then goes back into the queue with the priority its next
untried candidate would give a child (as ``step_level_search`` keys a candidate), so the rest of
its list runs only when nothing better is left anywhere in the tree (that priority counts what
the candidate costs per chance, ``_Slot.cost``: a tail of slow closers that seldom work, CoqHammer's
family on a library file, waits behind the cheap steps of every other node). The same tree, edge outcomes
and statuses as ``best_first_search`` (``agent.search.labels``): a node is complete, and can be
refuted, only once every candidate ran in full.

Chance per second: the policy's probability, times how much more (or less) often than the
average step the tactic's family succeeds on this kernel (closes or advances its goal), over the
family's expected seconds (``CostModel``: priors, updated with every step this process runs, so a
worker learns its kernel's chances and costs as it goes; ``from_records`` fits it to the edges of
stored search trees). Three more rules spend the seconds where they pay:
- a slow closer (expected seconds over ``slice_seconds``, or steps past it more than 5 % of the
  time: ``hauto`` fails in 0.01 s on most goals and runs its whole limit on some) first runs with a
  short limit, the Sledgehammer way; cut there, it is tried again with the whole tactic limit only after the
  node's other candidates (its first try is a ``cut`` edge: not judged, never a refutation);
- a tactic the kernel rejected (or that ran its whole limit) on a goal is not run again on the
  same focused goal at another node: the step is recorded with the first verdict (``memo``),
  which is the kernel's verdict on that goal (a tactic reads only its focused goal; steps that
  select other goals, ``all:`` and numbered selectors, are always run);
- the expansion budget counts policy calls (nodes expanded), as in the other searches: a node's
  later slices are not new expansions, and once the budget is spent the slices already queued
  still run until the time is up.
"""

from __future__ import annotations

import dataclasses
import heapq
import itertools
import math
import re
import threading
import time
from dataclasses import dataclass, field

from agent.env import ProofState, Proved, TacticError, TacticTimeout
from agent.search.best_first import (Edge, Node, Policy, Priority, SearchBudget, SearchResult, Value, _score,
                                     by_logprob, close_tree, proposed_by, run_step, settle)
from agent.search.labels import OPEN

_HEAD = re.compile(r"[A-Za-z_][\w']*")
# Seconds a step of these families is expected to take before anything is measured (read from the
# miniF2F-rocq time-outs: CoqHammer's sauto family took 83 % of the kernel's seconds there).
PRIOR_SECONDS = {"sauto": 3.0, "hauto": 2.0, "qauto": 1.0, "sfirstorder": 1.0, "scongruence": 1.0,
                 "hammer": 5.0, "nia": 1.0, "nra": 1.0, "psatz": 1.5, "firstorder": 1.0, "tauto": 0.3,
                 "intuition": 0.5, "field": 0.5, "nsatz": 2.0, "interval": 1.5, "lra": 0.3, "lia": 0.3}
DEFAULT_SECONDS = 0.25
SLOW_SHARE = 0.05  # a family whose steps ran past the slice this often gets the slice first
PRIOR_SUCCESS = 0.1  # the share of steps that close or advance their goal, before any is measured
_PSEUDO = 3.0  # a prior counts as this many observed steps


def family(tactic: str) -> str:
    """A tactic's family: its first word (``sauto`` of ``sauto use: foo.``, ``rewrite`` of
    ``rewrite H in H0.``); "" for a step that starts with none (a bullet, a selector)."""
    m = _HEAD.search(tactic)
    return m.group(0) if m else ""


class CostModel:
    """Expected seconds and chance of success per tactic family: the priors, then the means of
    every step measured (a prior weighs as ``_PSEUDO`` steps). Thread-safe: one model serves a
    pool's workers."""

    def __init__(self, prior: dict[str, float] | None = None, slow: float = 1.0):
        self.prior = dict(PRIOR_SECONDS if prior is None else prior)
        self.stats: dict[str, list[float]] = {}  # family -> [steps, seconds, successes, steps over `slow` s]
        self.slow = slow
        self._lock = threading.Lock()

    def seconds(self, tactic: str) -> float:
        f = family(tactic)
        p = self.prior.get(f, DEFAULT_SECONDS)
        n, s = self.stats.get(f, (0.0, 0.0, 0.0, 0.0))[:2]
        return (p * _PSEUDO + s) / (_PSEUDO + n)

    def slow_share(self, tactic: str) -> float:
        """How often the family's steps ran past ``slow`` seconds (the prior: 1 when its prior
        seconds are past it, else 0): a family that fails fast on most goals and runs to the
        limit on some is a slow closer all the same."""
        f = family(tactic)
        n, _, _, late = self.stats.get(f, (0.0, 0.0, 0.0, 0.0))
        prior = float(self.prior.get(f, DEFAULT_SECONDS) > self.slow)
        return (prior * _PSEUDO + late) / (_PSEUDO + n)

    def chance(self, tactic: str) -> float:
        """How often the family's steps closed or advanced their goal (the prior: ``PRIOR_SUCCESS``)."""
        n, _, won = self.stats.get(family(tactic), (0.0, 0.0, 0.0, 0.0))[:3]
        return (PRIOR_SUCCESS * _PSEUDO + won) / (_PSEUDO + n)

    def observe(self, tactic: str, seconds: float, succeeded: bool = False) -> None:
        with self._lock:
            st = self.stats.setdefault(family(tactic), [0.0, 0.0, 0.0, 0.0])
            st[0] += 1
            st[1] += seconds
            st[2] += bool(succeeded)
            st[3] += seconds > self.slow

    @classmethod
    def from_records(cls, trees) -> "CostModel":
        """A model fitted to the edges of stored search trees (``qstar collect``'s ``tree``:
        ``agent.search.records.tree_to_json``, each edge's tactic and seconds; a transposition
        or a memo copy that took no time is not a measurement); the prior stays under them."""
        model = cls()
        for tree in trees:
            for e in tree.get("edges", []):
                if e.get("seconds", 0.0) > 0 or e.get("outcome") not in ("duplicate", "error", "timeout"):
                    model.observe(e["tactic"], float(e.get("seconds", 0.0)), e.get("outcome") in ("goals", "proved"))
        return model


@dataclass
class _Slot:
    """A candidate of a node waiting to run: its limit is the slice or the whole tactic limit."""

    tactic: str
    logprob: float
    limit: float
    second: bool = False  # the rest of a slow closer's time, after its first slice was cut
    cost: float = 0.0  # log of (family chance / prior chance) over (expected s / a cheap step's), at most 0


@dataclass(eq=False)
class _Pending:
    slots: list[_Slot] = field(default_factory=list)
    sources: dict = field(default_factory=dict)


_SELECTOR = re.compile(r"^\s*(?:all|\d+(?:\s*-\s*\d+)?(?:\s*,\s*\d+)*|\[[^\]]*\])\s*:")


def lazy_search(env, root_state: ProofState, *, policy: Policy, priority: Priority = by_logprob,
                value: Value | None = None, budget: SearchBudget | None = None, check_invariants: bool = False,
                children: int = 2, slice_seconds: float = 1.0, cost: CostModel | None = None,
                learned_chance: bool = True) -> SearchResult:
    """Best-first search in which a node runs its candidates in order of chance per second and
    is put back into the queue once it has ``children`` new children (module docstring); without
    ``learned_chance`` the chance is the policy's probability alone."""
    if getattr(priority, "needs_value", False) and value is None:
        raise ValueError("this priority needs a value function")
    budget = budget or SearchBudget()
    cost = cost or CostModel()
    t0 = time.monotonic()
    deadline = t0 + budget.max_seconds
    root = Node(root_state, None, 0, 0.0)
    table: dict[ProofState, Node] = {root_state: root}
    tie = itertools.count()
    expansions = 0
    kernel = policy_time = 0.0
    held_back = False
    pending: dict[int, _Pending] = {}
    memo: dict[tuple[str, object], Edge] = {}  # (tactic, focused goal) -> the edge of its failure
    value_time = _score(value, [root])
    root.priority = priority(root)
    queue: list[tuple[float, int, Node]] = [(root.priority, next(tie), root)]

    def result(proof, reason: str) -> SearchResult:
        close_tree(table, budget, root if check_invariants else None)
        return SearchResult(proof, reason, expansions, len(table), time.monotonic() - t0,
                            kernel, policy_time, root, value_time)

    def requeue(node: Node) -> None:
        slot = pending[id(node)].slots[0]
        # its next candidate's log-prob, less what that candidate costs per chance: a node whose
        # tail is slow closers that seldom work waits until cheap work anywhere in the tree is done
        probe = Node(node.state, node, node.depth + 1, node.logprob + slot.logprob + slot.cost, value=node.value)
        heapq.heappush(queue, (priority(probe), next(tie), node))

    while queue:
        if time.monotonic() >= deadline:
            return result(None, "timeout")
        _, _, node = heapq.heappop(queue)
        if node.status != OPEN:
            continue
        if not node.expanded:
            if node.depth >= budget.max_depth:
                continue
            if expansions >= budget.max_expansions:
                held_back = True
                continue
            node.expanded = True
            expansions += 1
            tp = time.monotonic()
            candidates = policy(node.state)
            node.model_seconds = time.monotonic() - tp
            policy_time += node.model_seconds
            pending[id(node)] = _Pending(_order(candidates, cost, budget.tactic_timeout, slice_seconds, learned_chance),
                                         proposed_by(policy, candidates))
        work = pending.get(id(node))
        if work is None:
            continue
        if not work.slots:  # the policy offered nothing: NO_CANDIDATES, as in best_first_search
            node.complete = True
            settle(node)
            continue
        made: list[Node] = []
        while work.slots and len(made) < children:
            if deadline - time.monotonic() <= 0:
                break
            slot = work.slots.pop(0)
            focus = node.state.goals[0] if node.state.goals else None
            key = (slot.tactic, focus)
            if key in memo and not slot.second:
                _copy(node, memo[key], slot)
                continue
            limit = min(slot.limit, budget.tactic_timeout)
            # run_step reads this step's limit as the tactic limit (a slice's time-out is made a cut below)
            step, edge, child, dt = run_step(env, node, slot.tactic, slot.logprob, table, work.sources.get(slot.tactic),
                                             budget=dataclasses.replace(budget, tactic_timeout=limit), deadline=deadline)
            kernel += dt
            cost.observe(slot.tactic, dt, edge.outcome in ("goals", "proved", "duplicate"))
            if isinstance(step, Proved):
                return result(step.path, "proved")
            if edge.outcome == "timeout" and limit < budget.tactic_timeout:  # ran its slice only: not judged
                edge.outcome = "cut"
                edge.message = f"first slice of {limit:.1f}s: tried again after the node's other candidates"
                rest = min(0.0, slot.cost - math.log(max(budget.tactic_timeout / max(limit, 0.05), 1.0)))
                work.slots.append(_Slot(slot.tactic, slot.logprob, budget.tactic_timeout, second=True, cost=rest))
            elif isinstance(step, (TacticError, TacticTimeout)) and edge.outcome in ("error", "timeout") \
                    and focus is not None and not _SELECTOR.match(slot.tactic):
                memo[key] = edge
            if child is not None:
                made.append(child)
        dv = _score(value, made)
        value_time += dv
        node.model_seconds += dv
        for c in made:
            c.priority = priority(c)
            heapq.heappush(queue, (c.priority, next(tie), c))
        if work.slots:
            requeue(node)
        else:
            node.complete = True
            settle(node)
    return result(None, "budget" if held_back else "exhausted")


def _order(candidates, cost: CostModel, tactic_timeout: float, slice_seconds: float,
           learned_chance: bool = True) -> list[_Slot]:
    """The node's candidates by chance per second (log p + log(family chance / prior chance) - log
    expected seconds), each with its first limit: the slice for a slow closer, the whole tactic
    limit otherwise."""
    scored = []
    for i, (tactic, logprob) in enumerate(candidates):
        seconds = max(min(cost.seconds(tactic), tactic_timeout), 0.05)
        sliced = seconds > slice_seconds or cost.slow_share(tactic) > SLOW_SHARE
        limit = slice_seconds if sliced and slice_seconds < tactic_timeout else tactic_timeout
        odds = math.log(cost.chance(tactic) / PRIOR_SUCCESS) if learned_chance else 0.0
        rank = min(0.0, odds - math.log(seconds / DEFAULT_SECONDS))
        scored.append((-(logprob + odds - math.log(seconds)), i, _Slot(tactic, logprob, limit, cost=rank)))
    return [s for _, _, s in sorted(scored)]


def _copy(node: Node, failed: Edge, slot: _Slot) -> None:
    """The step's edge at ``node`` from its failure on the same focused goal elsewhere."""
    node.edges.append(Edge(slot.tactic, slot.logprob, failed.outcome, 0.0,
                           message=f"as on the same goal before: {failed.message}"[:500]))

