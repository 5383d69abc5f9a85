"""Lazy, cost-aware expansion (agent/search/lazy.py) on scripted environments (test doubles for
search logic only, never a kernel), and once on the real kernel through the CLI."""

import json

from agent.env import Goals, ProofState, Proved, TacticError, TacticTimeout
from agent.search.best_first import PROVED, REFUTED, UNFINISHED, SearchBudget, best_first_search
from agent.search.lazy import CostModel, family, lazy_search
from conftest import qstar, requires_coq
from helpers import ScriptedEnv, toy

ROOT = ProofState((toy("A"),))


def policy_from(table):
    return lambda state: table.get(state.goals[0].conclusion, [])


def lazy(env, pol, **kw):
    return lazy_search(env, ROOT, policy=pol, check_invariants=True, **kw)


def test_a_node_stops_at_its_children_and_its_tail_runs_only_when_nothing_better_is_left():
    env = ScriptedEnv({"A": {"a": "B", "b": "C", "c": "D"}, "B": {"fin": "QED"}})
    pol = policy_from({"A": [("a", -0.1), ("b", -0.2), ("c", -5.0)], "B": [("fin", -0.1)]})
    res = lazy(env, pol, children=2)
    assert res.proof == ("a", "fin") and res.root.status == PROVED
    assert ("A", "c") not in env.applied  # A's tail waited at f = 5.0 behind B
    env = ScriptedEnv(env.moves)
    best_first_search(env, ROOT, policy=pol)  # node expansion runs the whole list at once
    assert ("A", "c") in env.applied


def test_the_tail_runs_when_it_is_the_best_left_and_every_candidate_runs_before_a_refutation():
    env = ScriptedEnv({"A": {"a": "B", "b": "C", "c": "D"}, "D": {"fin": "QED"}})
    pol = policy_from({"A": [("a", -0.1), ("b", -0.2), ("c", -5.0)], "B": [("x", -0.1)], "C": [("y", -0.1)],
                       "D": [("fin", -0.1)]})
    res = lazy(env, pol, children=1)
    assert res.proof == ("c", "fin")
    b = next(e.child for e in res.root.edges if e.tactic == "a")
    assert b.status == REFUTED and b.complete
    env = ScriptedEnv({"A": {"a": "B"}, "B": {}})
    res = lazy(env, policy_from({"A": [("a", -1.0), ("bad", -1.0)], "B": [("x", -1.0)]}), children=1)
    assert res.stop_reason == "exhausted" and res.root.status == REFUTED and len(res.root.edges) == 2


def test_candidates_run_by_chance_per_second():
    cost = CostModel()
    assert family("sauto use: foo.") == "sauto" and family("rewrite H in H0.") == "rewrite"
    assert cost.seconds("sauto.") > 1.0 > cost.seconds("lia.")
    env = ScriptedEnv({"A": {"lia.": "B", "sauto.": "C"}})
    lazy(env, policy_from({"A": [("sauto.", -0.5), ("lia.", -0.6)]}), children=1, cost=cost)
    assert env.applied[0] == ("A", "lia.")  # a little less likely, ten times cheaper
    for _ in range(60):
        cost.observe("sauto.", 0.01)  # measured: sauto is fast on this kernel
    assert cost.seconds("sauto.") < 0.2  # the prior weighs as 3 steps: (3 * 3.0 + 60 * 0.01) / 63
    for _ in range(30):
        cost.observe("hauto.", 0.01)  # as fast, but it never succeeds: its steps wait
        cost.observe("lia.", 0.01, succeeded=True)
    assert cost.chance("hauto.") < 0.01 < 0.9 < cost.chance("lia.")
    env = ScriptedEnv({"A": {"lia.": "B", "hauto.": "C"}})
    lazy(env, policy_from({"A": [("hauto.", -0.1), ("lia.", -1.5)]}), children=1, cost=cost)
    assert env.applied[0] == ("A", "lia.")


class TimedEnv(ScriptedEnv):
    """A test double whose ``needs[tactic]`` is the limit the tactic needs to finish: under it, a
    time-out after the limit given (the limits asked for are kept in ``limits``)."""

    def __init__(self, moves, needs):
        super().__init__(moves)
        self.needs, self.limits = needs, []

    def apply(self, state, tactic, *, timeout, deadline=None):
        self.limits.append((tactic, timeout))
        if timeout < self.needs.get(tactic, 0.0):
            self.applied.append((state.goals[0].conclusion, tactic))
            return TacticTimeout(timeout)
        return super().apply(state, tactic, timeout=timeout, deadline=deadline)


def test_a_slow_closer_gets_a_short_first_slice_and_the_rest_after_the_other_candidates():
    env = TimedEnv({"A": {"sauto.": "QED", "a": "B"}, "B": {}}, {"sauto.": 2.0})
    pol = policy_from({"A": [("sauto.", -0.1), ("a", -0.2), ("b", -0.3)], "B": []})
    res = lazy(env, pol, children=5, slice_seconds=1.0, budget=SearchBudget(tactic_timeout=5.0))
    assert res.proof == ("sauto.",)
    assert [lim for t, lim in env.limits if t == "sauto."] == [1.0, 5.0]
    order = [t for t, _ in env.limits]
    assert order.index("b") < len(order) - 1 and order[-1] == "sauto."  # its rest came last
    first = res.root.edges[[e.tactic for e in res.root.edges].index("sauto.")]
    assert first.outcome == "cut"  # a slice is not a verdict


class TwoGoalEnv(ScriptedEnv):
    """A test double whose moves lead to states of several goals (names joined by '+')."""

    def apply(self, state, tactic, *, timeout, deadline=None):
        key = "+".join(g.conclusion for g in state.goals)
        self.applied.append((key, tactic))
        nxt = self.moves.get(key, {}).get(tactic)
        if nxt is None:
            return TacticError("no")
        if nxt == "QED":
            return Proved((*state.path, tactic))
        return Goals(ProofState(tuple(toy(n) for n in nxt.split("+")), (*state.path, tactic)))


def test_a_failure_is_not_run_again_on_the_same_focused_goal():
    env = TwoGoalEnv({"A": {"x": "B+C", "y": "B+D"}})
    pol = lambda s: {"A": [("x", -0.1), ("y", -0.2)]}.get(s.goals[0].conclusion, [("bad", -0.1), ("all: bad", -0.2)])
    res = lazy(env, pol, children=2)
    assert env.applied.count(("B+C", "bad")) + env.applied.count(("B+D", "bad")) == 1
    assert env.applied.count(("B+C", "all: bad")) + env.applied.count(("B+D", "all: bad")) == 2  # selectors run
    kids = [e.child for e in res.root.edges]
    assert all(k.status == REFUTED for k in kids) and res.root.status == REFUTED  # the copied verdict refutes
    assert any("as on the same goal before" in e.message for k in kids for e in k.edges)


def test_the_deadline_leaves_the_node_unfinished_and_the_budget_counts_policy_calls():
    import time

    class SlowEnv(ScriptedEnv):
        def apply(self, state, tactic, *, timeout, deadline=None):
            time.sleep(0.05)
            return TacticError("no")

    res = lazy(SlowEnv({}), lambda s: [(f"t{i}", -1.0) for i in range(100)], budget=SearchBudget(max_seconds=0.3))
    assert res.stop_reason == "timeout" and not res.root.complete and res.root.status == UNFINISHED
    env = ScriptedEnv({"A": {"a": "B", "b": "C"}, "B": {"c": "D"}, "C": {}, "D": {}})
    pol = policy_from({"A": [("a", -0.1), ("b", -0.2)], "B": [("c", -0.1)], "C": [("z", -0.1)], "D": [("z", -0.1)]})
    res = lazy(env, pol, children=1, budget=SearchBudget(max_expansions=2))
    assert res.expansions == 2 and res.stop_reason == "budget"
    assert ("A", "b") in env.applied  # A's second slice is not a new expansion


def test_a_cost_model_is_fitted_to_stored_search_trees():
    tree = {"nodes": [], "edges": [{"src": 0, "tactic": "sauto.", "outcome": "timeout", "seconds": 5.0, "dst": None},
                                   {"src": 0, "tactic": "lia.", "outcome": "goals", "seconds": 0.1, "dst": 1},
                                   {"src": 1, "tactic": "sauto.", "outcome": "error", "seconds": 4.0, "dst": None},
                                   {"src": 1, "tactic": "sauto.", "outcome": "error", "seconds": 0.0, "dst": None}]}
    model = CostModel.from_records([tree])
    assert model.stats["sauto"] == [2.0, 9.0, 0.0, 2.0] and model.seconds("sauto.") > model.seconds("lia.")
    assert model.chance("lia.") > model.chance("sauto.")


@requires_coq
def test_prove_with_lazy_expansion_on_the_real_kernel(tmp_path):
    out = tmp_path / "arith_proved.v"
    r = qstar("prove", "examples/arith.v", "--model", "none", "--expand", "lazy", "--budget", "16",
              "--output", str(out))
    assert r.returncode == 0, r.stderr
    rep = json.loads(out.with_suffix(".report.json").read_text())
    proved = rep["summary"]["proved"]
    assert proved >= 10, rep["summary"]
    c = qstar("check", str(out), "--reference", "examples/arith.v")  # every proof written passes
    assert f"{proved}/{rep['summary']['theorems']} theorems soundly proved" in c.stdout, c.stdout + c.stderr


def test_a_node_the_policy_offers_nothing_is_no_candidates_not_unfinished():
    from agent.search.best_first import NO_CANDIDATES
    res = lazy(ScriptedEnv({}), lambda s: [])
    assert res.root.status == NO_CANDIDATES and res.stop_reason == "exhausted"


def test_a_tail_of_slow_closers_that_seldom_work_waits_behind_the_cheap_steps_of_other_nodes():
    cost = CostModel()
    for _ in range(30):
        cost.observe("sauto.", 1.0)  # slow here, and it never closed anything
        cost.observe("intros.", 0.01, succeeded=True)
    # A's tail (sauto) is as likely by the policy as C's cheap step; C's runs first
    env = ScriptedEnv({"A": {"intros.": "B"}, "B": {"intros.": "C"}, "C": {"intros.": "D"}, "D": {"fin": "QED"}})
    pol = policy_from({"A": [("intros.", -0.1), ("sauto.", -0.3)], "B": [("intros.", -0.1)],
                       "C": [("intros.", -0.1)], "D": [("fin", -0.1)]})
    res = lazy(env, pol, children=1, cost=cost)
    assert res.proof == ("intros.", "intros.", "intros.", "fin")
    assert ("A", "sauto.") not in env.applied  # the proof came first, at depth 4
    # where the cheap line dead-ends, the tail runs once nothing cheaper is left, and proves
    env = ScriptedEnv({"A": {"intros.": "B", "sauto.": "QED"}, "B": {"intros.": "C"}, "C": {"intros.": "D"}})
    res = lazy(env, pol, children=1, cost=cost)
    assert res.proof == ("sauto.",)
    assert env.applied.index(("A", "sauto.")) > env.applied.index(("C", "intros."))


def test_a_closer_that_fails_fast_on_most_goals_and_runs_its_limit_on_some_gets_the_slice_first():
    cost = CostModel()
    for _ in range(40):
        cost.observe("hauto.", 0.01)  # fails at once on most goals
    for _ in range(4):
        cost.observe("hauto.", 5.0)  # and runs its whole limit on some
    assert cost.seconds("hauto.") < 1.0 and cost.slow_share("hauto.") > 0.05  # fast on average, slow at times
    env = TimedEnv({"A": {"hauto.": "QED"}}, {"hauto.": 3.0})
    res = lazy(env, policy_from({"A": [("hauto.", -0.1)]}), children=1, cost=cost,
               budget=SearchBudget(tactic_timeout=5.0))
    assert [t for t, _ in env.limits] == ["hauto.", "hauto."] and env.limits[0][1] == 1.0
    assert res.proof == ("hauto.",)
    fast = CostModel()
    for _ in range(40):
        fast.observe("lia.", 0.01)
    env = TimedEnv({"A": {"lia.": "QED"}}, {})
    lazy(env, policy_from({"A": [("lia.", -0.1)]}), children=1, cost=fast, budget=SearchBudget(tactic_timeout=5.0))
    assert env.limits == [("lia.", 5.0)]  # never slow: its whole limit at once
