"""MCTS logic on a scripted environment (a test double for search only, never a kernel): PUCT
picks what the formula says, values back up, proofs are never lost, labels mean what they say."""

import math

import pytest

from agent.env import ProofState
from agent.search.best_first import PROVED, REFUTED, UNFINISHED, SearchBudget
from agent.search.mcts import MctsConfig, mcts_search, priors, puct
from helpers import ScriptedEnv, toy

ROOT = ProofState((toy("A"),))


def policy_from(table):
    return lambda state: table.get(state.goals[0].conclusion, [])


def value_from(table, default=0.5):
    return lambda states: [table.get(s.goals[0].conclusion, default) for s in states]


def test_puct_is_the_formula_and_priors_are_a_softmax():
    assert puct(0.5, 0.25, 16, 3, 2.0) == pytest.approx(0.5 + 2.0 * 0.25 * 4 / 4)
    assert puct(0.0, 1.0, 0, 0, 1.0) == pytest.approx(1.0)  # an unvisited parent counts as one visit
    p = priors([("a", math.log(0.6)), ("b", math.log(0.2)), ("c", math.log(0.2))])
    assert p == pytest.approx({"a": 0.6, "b": 0.2, "c": 0.2})


def test_selection_follows_value_then_exploration():
    # Root expands into B (V 0.9) and C (V 0.1) with equal priors: the first walk goes to B.
    # Walk 2 backs up V(D) through A->B; walk 3 compares, with N(A) = 1 and P = 0.5 each,
    # B: Q = V(D) + 0.5 * 1 / 2 against C: Q = V(C) = 0.1 + 0.5 * 1 / 1 = 0.6.
    env = ScriptedEnv({"A": {"b": "B", "c": "C"}, "B": {"x": "D"}, "D": {"y": "E"}, "C": {"z": "QED"}})
    pol = policy_from({"A": [("b", -0.7), ("c", -0.7)], "B": [("x", -0.1)], "D": [("y", -0.1)],
                       "C": [("z", -0.1)]})
    for v_d, walked in ((0.2, ["A", "A", "B", "C"]), (0.8, ["A", "A", "B", "D"])):  # 0.45 < 0.6 < 1.05
        env.applied.clear()
        res = mcts_search(env, ROOT, policy=pol, value=value_from({"B": 0.9, "C": 0.1, "D": v_d, "E": 0.0}),
                          budget=SearchBudget(max_expansions=10), config=MctsConfig(c_puct=1.0),
                          check_invariants=True)
        assert [k for k, _ in env.applied][:4] == walked
        assert res.proof == ("c", "z") and res.stop_reason == "proved"


def test_high_prior_wins_over_equal_values():
    env = ScriptedEnv({"A": {"p": "B", "q": "C"}, "B": {"fin": "QED"}, "C": {"fin": "QED"}})
    pol = policy_from({"A": [("q", math.log(0.1)), ("p", math.log(0.9))], "B": [("fin", 0.0)], "C": [("fin", 0.0)]})
    res = mcts_search(env, ROOT, policy=pol, value=value_from({}), check_invariants=True)
    assert res.proof == ("p", "fin")


def test_values_back_up_along_the_path():
    env = ScriptedEnv({"A": {"a": "B"}, "B": {"b": "C"}, "C": {}})
    pol = policy_from({"A": [("a", 0.0)], "B": [("b", 0.0)], "C": [("c", 0.0)]})
    res = mcts_search(env, ROOT, policy=pol, value=value_from({"B": 0.8, "C": 0.3}),
                      budget=SearchBudget(max_expansions=2))
    assert res.stop_reason == "budget"
    # walk 1 expands A (no edge walked), walk 2 walks A->B and expands B; walk 3 would need a
    # third expansion. Records show each node's visits: N(A) = 1, N(B) = 0.
    assert res.root.priority == 1.0 and res.root.edges[0].child.priority == 0.0
    # walk 3, at a bigger budget, walks A->B and expands C, whose one candidate fails: 0 backs up,
    # C, B and A are refuted
    res = mcts_search(ScriptedEnv({"A": {"a": "B"}, "B": {"b": "C"}, "C": {}}), ROOT, policy=pol,
                      value=value_from({"B": 0.8, "C": 0.3}), budget=SearchBudget(max_expansions=3),
                      check_invariants=True)
    assert res.root.priority == 2.0 and res.stop_reason == "exhausted" and res.root.status == REFUTED


def test_a_proof_is_never_lost_on_the_last_visit():
    chain = {s: {"next": t} for s, t in zip("ABCD", "BCDE")}
    chain["D"] = {"next": "QED"}
    pol = lambda st: [("next", -1.0)]
    res = mcts_search(ScriptedEnv(chain), ROOT, policy=pol, budget=SearchBudget(max_expansions=4))
    assert res.proof == ("next",) * 4 and res.expansions == 4
    res = mcts_search(ScriptedEnv(chain), ROOT, policy=pol, budget=SearchBudget(max_expansions=3))
    assert res.proof is None and res.stop_reason == "budget"


def test_refuted_unfinished_and_exhausted_mean_what_they_say():
    # every step fails: the root is refuted and the search exhausted
    env = ScriptedEnv({"A": {"b": "B"}, "B": {}})
    pol = policy_from({"A": [("b", -0.2), ("bad", -0.3)], "B": [("x", 0.0)]})
    res = mcts_search(env, ROOT, policy=pol, value=value_from({}), check_invariants=True)
    assert res.stop_reason == "exhausted" and res.root.status == REFUTED
    # a step back to the root reaches nothing new: with it the root is still refuted
    env = ScriptedEnv({"A": {"loop": "A", "b": "B"}, "B": {}})
    pol = policy_from({"A": [("loop", -0.1), ("b", -0.2), ("bad", -0.3)], "B": [("x", 0.0)]})
    res = mcts_search(env, ROOT, policy=pol, value=value_from({}), check_invariants=True)
    assert res.stop_reason == "exhausted" and res.root.status == REFUTED
    # a timeout is not a refutation: nothing left to run, but the root stays unfinished
    env = ScriptedEnv({"A": {"slow": "TIMEOUT"}})
    res = mcts_search(env, ROOT, policy=policy_from({"A": [("slow", 0.0)]}), check_invariants=True)
    assert res.stop_reason == "exhausted" and res.root.status == UNFINISHED


def test_width_runs_candidates_a_few_at_a_time_and_novelty_rewards_new_states():
    env = ScriptedEnv({"A": {"a": "B", "b": "C", "c": "D"}, "D": {"fin": "QED"}})
    pol = policy_from({"A": [("a", -0.1), ("b", -0.2), ("c", -0.3)], "D": [("fin", 0.0)]})
    res = mcts_search(env, ROOT, policy=pol, value=value_from({"B": 0.0, "C": 0.0, "D": 0.9}),
                      config=MctsConfig(width=1), check_invariants=True)
    assert res.proof == ("c", "fin")
    assert env.applied[:1] == [("A", "a")]  # the first visit ran one candidate only
    # B and C are dead ends; the root's other candidates were run on later visits, not counted
    # as expansions of their own
    assert res.expansions <= 4 and res.root.status == PROVED
    env = ScriptedEnv({"A": {"a": "B"}, "B": {}})
    res = mcts_search(env, ROOT, policy=policy_from({"A": [("a", 0.0)]}), value=value_from({"B": 0.0}),
                      config=MctsConfig(novelty=1.0), check_invariants=True)
    assert res.stop_reason == "exhausted"


def test_deadline_stops_the_search():
    chain = {c: {"t": chr(ord(c) + 1)} for c in "ABCDEFGHIJ"}
    pol = lambda st: [("t", 0.0)]
    res = mcts_search(ScriptedEnv(chain), ROOT, policy=pol, budget=SearchBudget(max_seconds=0.0))
    assert res.stop_reason == "timeout" and res.proof is None


def test_a_node_with_nothing_left_below_is_never_walked_again():
    # T's one step times out: T is unfinished, not refuted, but nothing is left to run there. With
    # a prior of 0.999 on T and values of 0, PUCT would walk into T a thousand times before
    # trying B; T is set aside after the first walk that finds nothing to run, and B's proof is found.
    env = ScriptedEnv({"A": {"t": "T", "a": "B"}, "T": {"slow": "TIMEOUT"}, "B": {"b": "C"}, "C": {"c": "QED"}})
    pol = policy_from({"A": [("t", math.log(0.999)), ("a", math.log(0.001))], "T": [("slow", 0.0)],
                       "B": [("b", 0.0)], "C": [("c", 0.0)]})
    res = mcts_search(env, ROOT, policy=pol, value=value_from({}, default=0.0), check_invariants=True)
    assert res.proof == ("a", "b", "c") and env.applied.count(("T", "slow")) == 1
