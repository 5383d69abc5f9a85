"""Search logic on a scripted environment (a test double for search only, never a kernel)."""

import math

from agent.env import Goals, ProofState, TacticError
from agent.search.best_first import (NO_CANDIDATES, OPEN, PROVED, REFUTED, UNFINISHED, SearchBudget, best_first_search,
                                     by_depth)
from helpers import ScriptedEnv, toy


def policy_from(table):
    return lambda state: table.get(state.goals[0].conclusion, [])


ROOT = ProofState((toy("A"),))


def test_finds_proof_and_extracts_path():
    env = ScriptedEnv({"A": {"t1": "B", "t2": "C"}, "B": {"t3": "QED"}})
    pol = policy_from({"A": [("t1", -0.1), ("t2", -0.2)], "B": [("t3", -0.1)]})
    res = best_first_search(env, ROOT, policy=pol, check_invariants=True)
    assert res.proof == ("t1", "t3") and res.stop_reason == "proved"
    assert res.root.status == PROVED


def test_order_follows_cumulative_logprob():
    env = ScriptedEnv({"A": {"good": "B", "bad": "C"}, "B": {"x": "D"}, "C": {"y": "QED"}, "D": {"z": "QED"}})
    pol = policy_from({"A": [("bad", -3.0), ("good", -0.1)], "B": [("x", -0.1)],
                       "C": [("y", -0.1)], "D": [("z", -0.1)]})
    res = best_first_search(env, ROOT, policy=pol, check_invariants=True)
    assert res.proof == ("good", "x", "z")  # -0.3 beats -3.1


def test_transpositions_merge_equal_goals():
    env = ScriptedEnv({"A": {"a": "B", "b": "B", "c": "A"}})
    pol = policy_from({"A": [("a", -1.0), ("b", -1.0), ("c", -1.0)]})
    res = best_first_search(env, ROOT, policy=pol, check_invariants=True)
    assert res.nodes == 2  # A and B; "b" and "c" reached known states
    assert [e.outcome for e in res.root.edges] == ["goals", "duplicate", "duplicate"]
    # B had no candidate (its own status, not refuted: nothing ran there), and "c" returns to A
    # itself (a cycle: no verdict), so A is not refuted either.
    assert res.stop_reason == "exhausted" and res.root.status == UNFINISHED
    assert res.root.edges[0].child.status == NO_CANDIDATES


def test_budget_stop_and_last_step_proof_is_kept():
    chain = {s: {"next": t} for s, t in zip("ABCDE", "BCDEF")}
    chain["E"] = {"next": "QED"}
    pol = lambda st: [("next", -1.0)]
    res = best_first_search(ScriptedEnv(chain), ROOT, policy=pol, budget=SearchBudget(max_expansions=5))
    assert res.proof is not None and res.expansions == 5  # found on the last allowed expansion
    res = best_first_search(ScriptedEnv(chain), ROOT, policy=pol, budget=SearchBudget(max_expansions=4))
    assert res.proof is None and res.stop_reason == "budget"


def test_timeouts_and_errors_are_failed_edges():
    env = ScriptedEnv({"A": {"slow": "TIMEOUT", "ok": "B"}, "B": {"fin": "QED"}})
    pol = policy_from({"A": [("slow", -0.1), ("bad", -0.2), ("ok", -0.3)], "B": [("fin", 0.0)]})
    res = best_first_search(env, ROOT, policy=pol, check_invariants=True)
    assert [e.outcome for e in res.root.edges] == ["timeout", "error", "goals"]
    assert res.proof == ("ok", "fin")


def test_wall_clock_budget():
    import time

    class SlowEnv(ScriptedEnv):
        def apply(self, state, tactic, *, timeout, deadline=None):
            time.sleep(0.05)
            return Goals(ProofState((toy(state.goals[0].conclusion + "x"),), (*state.path, tactic)))

    res = best_first_search(SlowEnv({}), ROOT, policy=lambda s: [("t", -1.0)],
                            budget=SearchBudget(max_expansions=10_000, max_seconds=0.3))
    assert res.stop_reason == "timeout" and res.proof is None


def test_priority_is_pluggable():
    env = ScriptedEnv({"A": {"deep": "B", "wide": "C"}, "B": {"d2": "D"}, "C": {"w2": "QED"}, "D": {"d3": "QED"}})
    pol = policy_from({"A": [("deep", -0.1), ("wide", -5.0)], "B": [("d2", -0.1)],
                       "C": [("w2", -0.1)], "D": [("d3", -0.1)]})
    res = best_first_search(env, ROOT, policy=pol, priority=by_depth, check_invariants=True)
    assert res.proof == ("wide", "w2")


# A tree where the log-prob policy prefers a dead end: "trap" branches look likely but go nowhere.
TRAP_MOVES = {
    "A": {"trap1": "T1", "trap2": "T2", "good": "G1"},
    "T1": {"t": "T1a", "u": "T1b"}, "T1a": {"t": "T1c"}, "T1b": {"t": "T1d"}, "T1c": {}, "T1d": {},
    "T2": {"t": "T2a"}, "T2a": {"t": "T2b"}, "T2b": {},
    "G1": {"g": "G2"}, "G2": {"g": "QED"},
}
TRAP_POLICY = {
    "A": [("trap1", -0.1), ("trap2", -0.2), ("good", -2.0)],
    "T1": [("t", -0.1), ("u", -0.2)], "T1a": [("t", -0.1)], "T1b": [("t", -0.1)],
    "T2": [("t", -0.1)], "T2a": [("t", -0.1)], "G1": [("g", -0.5)], "G2": [("g", -0.5)],
}
ON_PROOF_PATH = {"A", "G1", "G2"}


def perfect_value(states):
    return [0.99 if s.goals[0].conclusion in ON_PROOF_PATH else 0.01 for s in states]


def test_astar_with_lambda_zero_is_exactly_best_first_by_logprob():
    from agent.search.best_first import astar, by_logprob
    runs = []
    for prio, val in ((by_logprob, None), (astar(0.0), perfect_value)):
        env = ScriptedEnv(TRAP_MOVES)
        res = best_first_search(env, ROOT, policy=policy_from(TRAP_POLICY), priority=prio, value=val,
                                check_invariants=True)
        runs.append((env.applied, res.proof, res.expansions))
    assert runs[0] == runs[1]


def test_astar_with_a_perfect_value_expands_no_more_than_best_first():
    from agent.search.best_first import astar, by_logprob
    bfs = best_first_search(ScriptedEnv(TRAP_MOVES), ROOT, policy=policy_from(TRAP_POLICY),
                            priority=by_logprob, check_invariants=True)
    ast = best_first_search(ScriptedEnv(TRAP_MOVES), ROOT, policy=policy_from(TRAP_POLICY),
                            priority=astar(1.0), value=perfect_value, check_invariants=True)
    assert bfs.proof == ast.proof == ("good", "g", "g")
    assert ast.expansions <= bfs.expansions and ast.expansions == 3 and bfs.expansions > 3
    assert ast.root.value == 0.99 and all(e.child.value is not None for e in ast.root.edges)


def test_value_priorities_and_records():
    from agent.search.best_first import by_value, normalized_logprob
    res = best_first_search(ScriptedEnv(TRAP_MOVES), ROOT, policy=policy_from(TRAP_POLICY),
                            priority=by_value(), value=perfect_value, check_invariants=True)
    assert res.proof == ("good", "g", "g") and res.expansions == 3
    child = next(e.child for e in res.root.edges if e.tactic == "good")
    assert child.depth == 1 and child.logprob == -2.0 and child.value == 0.99
    assert abs(child.priority - (-math.log(0.99))) < 1e-12
    res = best_first_search(ScriptedEnv(TRAP_MOVES), ROOT, policy=policy_from(TRAP_POLICY),
                            priority=normalized_logprob(1.0))
    assert res.proof == ("good", "g", "g")


def test_hopeless_states_are_still_expanded():
    from agent.search.best_first import by_value
    moves = {"A": {"a": "B"}, "B": {"b": "QED"}}
    pol = policy_from({"A": [("a", -1.0)], "B": [("b", -1.0)]})
    hopeless = lambda states: [0.001 for _ in states]  # noqa: E731
    res = best_first_search(ScriptedEnv(moves), ROOT, policy=pol, priority=by_value(), value=hopeless)
    assert res.proof == ("a", "b")  # low value, still expanded


# -- labels: REFUTED only when the kernel refuted everything tried; UNFINISHED otherwise --------

def _statuses(res):
    out, stack = {}, [res.root]
    while stack:
        n = stack.pop()
        out[n.state.goals[0].conclusion] = n.status
        stack.extend(e.child for e in n.edges if e.outcome == "goals")
    return out


def test_refuted_when_every_tactic_is_rejected_down_the_tree():
    env = ScriptedEnv({"A": {"a": "B"}, "B": {}})
    pol = policy_from({"A": [("a", -1.0), ("bad", -1.0)], "B": [("x", -1.0), ("y", -1.0)]})
    res = best_first_search(env, ROOT, policy=pol, check_invariants=True)
    assert res.stop_reason == "exhausted" and _statuses(res) == {"A": REFUTED, "B": REFUTED}


def test_unfinished_when_a_tactic_timed_out_or_crashed():
    for outcome in ("TIMEOUT", "CRASH"):
        env = ScriptedEnv({"A": {"slow": outcome, "a": "B"}, "B": {}})
        pol = policy_from({"A": [("slow", -1.0), ("a", -1.0), ("bad", -1.0)], "B": [("x", -1.0)]})
        res = best_first_search(env, ROOT, policy=pol, check_invariants=True)
        assert _statuses(res) == {"A": UNFINISHED, "B": REFUTED}, outcome


def test_unfinished_when_the_deadline_cuts_an_expansion():
    import time

    class SlowEnv(ScriptedEnv):
        def apply(self, state, tactic, *, timeout, deadline=None):
            time.sleep(0.05)
            return TacticError("no")

    res = best_first_search(SlowEnv({}), ROOT, policy=lambda s: [(f"t{i}", -1.0) for i in range(100)],
                            budget=SearchBudget(max_seconds=0.3), check_invariants=True)
    assert res.stop_reason == "timeout" and not res.root.complete
    assert 0 < len(res.root.edges) < 100 and res.root.status == UNFINISHED  # all errors, but not all tried


def test_unfinished_at_the_depth_cap():
    chain = {s: {"next": t} for s, t in zip("ABCD", "BCDE")}
    res = best_first_search(ScriptedEnv(chain), ROOT, policy=lambda s: [("next", -1.0)],
                            budget=SearchBudget(max_depth=2), check_invariants=True)
    assert res.stop_reason == "exhausted" and res.expansions == 2
    assert _statuses(res) == {"A": UNFINISHED, "B": UNFINISHED, "C": UNFINISHED}
    assert not any(e.child.expanded for e in res.root.edges[0].child.edges)  # C was never expanded


def test_a_transposition_of_a_live_node_is_unfinished_and_refuted_once_that_node_is():
    # C's only tactic leads to B's goals. While B is unfinished, so is C; once B is refuted, so is C.
    for b_moves, expect in (({"slow": "TIMEOUT"}, UNFINISHED), ({}, REFUTED)):
        env = ScriptedEnv({"A": {"a": "B", "c": "C"}, "B": b_moves, "C": {"to_b": "B"}})
        pol = policy_from({"A": [("c", -0.1), ("a", -2.0)], "C": [("to_b", -0.1)], "B": [("slow", -0.1)]})
        res = best_first_search(env, ROOT, policy=pol, check_invariants=True)
        c = next(e.child for e in res.root.edges if e.tactic == "c")
        assert [e.outcome for e in c.edges] == ["duplicate"]
        assert _statuses(res) == {"A": expect, "B": expect, "C": expect}


def test_frontier_nodes_stay_open_and_the_proof_path_is_proved():
    env = ScriptedEnv({"A": {"a": "B", "b": "C"}, "B": {"fin": "QED"}})
    pol = policy_from({"A": [("a", -0.1), ("b", -0.2)], "B": [("fin", -0.1)]})
    res = best_first_search(env, ROOT, policy=pol, check_invariants=True)
    assert _statuses(res) == {"A": PROVED, "B": PROVED, "C": OPEN}


def test_check_tree_catches_a_refuted_label_on_a_live_node():
    import pytest

    from agent.search.best_first import check_tree
    env = ScriptedEnv({"A": {"slow": "TIMEOUT"}})
    res = best_first_search(env, ROOT, policy=policy_from({"A": [("slow", -1.0)]}))
    assert res.root.status == UNFINISHED
    res.root.status = REFUTED  # what the old search did with a timed-out node
    with pytest.raises(AssertionError):
        check_tree(res.root)


def test_priority_that_needs_a_value_refuses_to_run_without_one():
    import pytest

    from agent.search.best_first import astar
    with pytest.raises(ValueError):
        best_first_search(ScriptedEnv({}), ROOT, policy=lambda s: [], priority=astar(1.0))
