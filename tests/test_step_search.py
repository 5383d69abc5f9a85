"""Step-level best-first search (best_first_search(step_level=True)) on a scripted environment
(a test double for search logic only, never a kernel)."""

import random

import pytest

from agent.env import Goals, ProofState, TacticError
from agent.search.best_first import (OPEN, PROVED, REFUTED, UNFINISHED, SearchBudget, astar,
                                     best_first_search)
from helpers import ScriptedEnv, toy

ROOT = ProofState((toy("A"),))


def policy_from(table):
    return lambda state: table.get(state.goals[0].conclusion, [])


def steps(env, pol, **kw):
    return best_first_search(env, ROOT, policy=pol, step_level=True, check_invariants=True, **kw)


def test_a_low_scored_candidate_waits_behind_the_likely_steps_of_the_whole_tree():
    env = ScriptedEnv({"A": {"ok": "B", "slow": "TIMEOUT"}, "B": {"fin": "QED"}})
    pol = policy_from({"A": [("slow", -5.0), ("ok", -0.1)], "B": [("fin", -0.1)]})
    res = steps(env, pol)
    assert res.proof == ("ok", "fin") and res.root.status == PROVED
    assert ("A", "slow") not in env.applied  # f = 5.0 never came up
    env = ScriptedEnv(env.moves)
    best_first_search(env, ROOT, policy=pol)  # node level: the whole candidate list runs at once
    assert ("A", "slow") in env.applied


def test_every_candidate_runs_before_a_node_is_refuted():
    env = ScriptedEnv({"A": {"a": "B"}, "B": {}})
    pol = policy_from({"A": [("a", -1.0), ("bad", -1.0)], "B": [("x", -1.0), ("y", -1.0)]})
    res = steps(env, pol)
    assert res.stop_reason == "exhausted" and res.root.status == REFUTED
    assert res.root.complete and len(res.root.edges) == 2


def test_a_timed_out_candidate_leaves_its_node_unfinished():
    env = ScriptedEnv({"A": {"slow": "TIMEOUT", "a": "B"}, "B": {}})
    pol = policy_from({"A": [("slow", -1.0), ("a", -1.0)], "B": [("x", -1.0)]})
    res = steps(env, pol)
    b = next(e.child for e in res.root.edges if e.tactic == "a")
    assert res.root.status == UNFINISHED and b.status == REFUTED


def test_the_deadline_leaves_candidates_not_run_and_the_node_unfinished():
    import time

    class SlowEnv(ScriptedEnv):
        def apply(self, state, tactic, *, timeout, deadline=None):
            time.sleep(0.05)
            return TacticError("no")

    res = steps(SlowEnv({}), lambda s: [(f"t{i}", -1.0) for i in range(100)], budget=SearchBudget(max_seconds=0.3))
    assert res.stop_reason == "timeout" and not res.root.complete
    assert 0 < len(res.root.edges) < 100 and res.root.status == UNFINISHED


def test_the_expansion_budget_holds_nodes_back_but_queued_candidates_still_run():
    env = ScriptedEnv({"A": {"a": "B", "b": "C"}, "B": {"x": "D"}, "C": {"fin": "QED"}})
    pol = policy_from({"A": [("a", -0.1), ("b", -2.0)], "B": [("x", -0.1)], "D": [("y", -0.1)],
                       "C": [("fin", -0.1)]})
    res = steps(env, pol, budget=SearchBudget(max_expansions=2))
    # A and B expanded; D (f 0.2) held back; "b" (f 2.0) still runs; C (f 2.0) is held back too
    assert res.expansions == 2 and res.proof is None and res.stop_reason == "budget"
    assert ("A", "b") in env.applied and ("C", "fin") not in env.applied
    kids = {e.tactic: e.child for e in res.root.edges}
    assert kids["b"].status == OPEN and res.root.status == UNFINISHED


def test_astar_orders_candidates_by_the_parents_value_and_children_by_their_own():
    env = ScriptedEnv({"A": {"a": "B", "b": "C"}, "B": {"x": "QED"}, "C": {"y": "QED"}})
    pol = policy_from({"A": [("a", -0.5), ("b", -1.0)], "B": [("x", -0.1)], "C": [("y", -0.1)]})
    value = lambda states: [{"A": 0.5, "B": 0.01, "C": 0.9}[s.goals[0].conclusion] for s in states]
    res = steps(env, pol, priority=astar(1.0), value=value)
    # "a" runs first (f 0.5 + h(A)), but B is hopeless (h 4.6): "b" then C's "y" come first
    assert res.proof == ("b", "y")
    assert [t for s, t in env.applied] == ["a", "b", "y"]


def _random_moves(rng):
    states = "ABCDEFG"
    moves = {}
    for s in states:
        moves[s] = {}
        for i in range(rng.randint(0, 3)):
            moves[s][f"{s}{i}"] = rng.choice([*states, "QED", "TIMEOUT", "CRASH", "nothing"])
    return moves


@pytest.mark.parametrize("seed", range(40))
def test_with_no_budget_both_levels_agree_on_whether_a_proof_exists(seed):
    rng = random.Random(seed)
    moves = _random_moves(rng)
    scores = {s: [(t, -rng.uniform(0.01, 3.0)) for t in ts] for s, ts in moves.items()}
    pol = policy_from(scores)
    node = best_first_search(ScriptedEnv(moves), ROOT, policy=pol, check_invariants=True)
    step = steps(ScriptedEnv(moves), pol)
    assert (node.proof is None) == (step.proof is None)
    if step.proof is None:
        assert step.stop_reason == "exhausted" and step.root.status == node.root.status
    else:  # the proof replays on the scripted moves
        state = "A"
        for t in step.proof:
            state = moves[state][t]
        assert state == "QED"


def test_step_level_is_for_best_first_orderings():
    from agent.backends import UsageError
    from agent.search.searcher import SearchConfig, check_search
    check_search(SearchConfig(expand="step", ordering="astar"))
    with pytest.raises(UsageError):
        check_search(SearchConfig(expand="step", ordering="mcts"))
