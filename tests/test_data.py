"""Training rows from search records: value targets only where the search knows."""

from agent.env import Goals, ProofState, Proved, TacticError
from agent.learning.data import from_records
from agent.search.labels import node_statuses
from agent.search.best_first import SearchBudget, best_first_search
from agent.search.records import tree_to_json
from helpers import ScriptedEnv, toy


def record(moves, policy, *, budget=None, proved=None):
    res = best_first_search(ScriptedEnv(moves), ProofState((toy("A"),)),
                            policy=lambda s: policy.get(s.goals[0].conclusion, []), budget=budget,
                            check_invariants=True)
    status = "proved" if res.proof else "failed"
    return {"name": "t", "status": status, "tree": tree_to_json(res.root, proof=res.proof)}


def targets(rec, **kw):
    _, value, _, _ = from_records([rec], gamma=0.5, **kw)
    return {row["goals"][0]["concl"]: row["target"] for row in value}


def test_proof_path_gets_gamma_to_the_distance_and_refuted_states_zero():
    rec = record({"A": {"a": "B", "r": "R"}, "B": {"fin": "QED"}, "R": {}},
                 {"A": [("r", -0.1), ("a", -0.2)], "B": [("fin", -0.1)], "R": [("x", -0.1)]})
    assert targets(rec) == {"A": 0.25, "B": 0.5, "R": 0.0}


def test_timed_out_states_get_no_value_label():
    rec = record({"A": {"slow": "TIMEOUT", "a": "B"}, "B": {}},
                 {"A": [("slow", -0.1), ("a", -0.2)], "B": [("x", -0.1)]})
    assert targets(rec) == {"B": 0.0}  # A is unfinished: one tactic's verdict is unknown


def test_depth_capped_and_transposed_states_get_no_value_label():
    rec = record({"A": {"a": "B"}, "B": {"b": "C"}, "C": {"c": "D"}}, {k: [(k.lower(), -0.1)] for k in "ABC"},
                 budget=SearchBudget(max_depth=2))
    assert targets(rec) == {}
    rec = record({"A": {"a": "B", "c": "C"}, "B": {"slow": "TIMEOUT"}, "C": {"to_b": "B"}},
                 {"A": [("c", -0.1), ("a", -2.0)], "C": [("to_b", -0.1)], "B": [("slow", -0.1)]})
    assert targets(rec) == {}


def test_deadline_cut_states_get_no_value_label():
    import time

    class Slow(ScriptedEnv):
        def apply(self, state, tactic, *, timeout, deadline=None):
            time.sleep(0.05)
            return TacticError("no")

    res = best_first_search(Slow({}), ProofState((toy("A"),)), policy=lambda s: [(f"t{i}", -1.0) for i in range(50)],
                            budget=SearchBudget(max_seconds=0.2))
    rec = {"name": "t", "status": "failed", "tree": tree_to_json(res.root, proof=None)}
    assert targets(rec) == {}


def test_records_of_older_runs_still_load_and_failed_is_relabelled():
    # An old record: goals as text, every expanded dead node called "failed".
    old = {"name": "t", "status": "failed", "tree": {"proof": None, "nodes": [
        {"id": 0, "parent": -1, "goals": ["n : nat\n⊢ n = n + 0"], "status": "failed", "expanded": True},
        {"id": 1, "parent": 0, "goals": ["n : nat\n⊢ n = n"], "status": "failed", "expanded": True},
        {"id": 2, "parent": 0, "goals": ["⊢ False"], "status": "failed", "expanded": True},
        {"id": 3, "parent": 0, "goals": ["⊢ True"], "status": "failed", "expanded": True}],
        "edges": [{"src": 0, "tactic": "a", "outcome": "goals", "dst": 1},
                  {"src": 0, "tactic": "b", "outcome": "goals", "dst": 2},
                  {"src": 0, "tactic": "c", "outcome": "goals", "dst": 3},
                  {"src": 1, "tactic": "x", "outcome": "error", "dst": None},
                  {"src": 2, "tactic": "y", "outcome": "timeout", "dst": None}]}}
    # It does not say its expansions ran in full (no "complete"): a deadline may have cut any of
    # them, so nothing is refuted.
    assert node_statuses(old["tree"]) == {0: "unfinished", 1: "unfinished", 2: "unfinished", 3: "unfinished"}
    assert from_records([old])[1] == []
    # Where it says so, the same rules as a new search's: x was rejected (1 refuted), y timed out
    # (2 unfinished), 3 had no candidate (its own status, not refuted), so 0 is unfinished.
    for n in old["tree"]["nodes"]:
        n["complete"] = True
    assert node_statuses(old["tree"]) == {0: "unfinished", 1: "refuted", 2: "unfinished", 3: "no_candidates"}
    _, value, _, _ = from_records([old])
    assert [(v["goals"], v["target"]) for v in value] == [
        ([{"hyps": [{"names": ["n"], "type": "nat"}], "concl": "n = n"}], 0.0)]


def test_training_prompts_equal_the_search_prompts_for_every_preset():
    # The state the search prompted at, and the SFT row and DPO pair built from its record,
    # must render to the same prompt for every format, InternLM2.5's PROOF_BEFORE included.
    from agent.backends import row_goals
    from agent.policies.models import ModelInfo
    from agent.policies.prompts import TEMPLATES, row_prompt
    from agent.policies.transformer import TransformerPolicy
    from helpers import coq_goals

    goals = {"A": coq_goals("n : nat\n⊢ n + 0 = n"), "B": coq_goals("n : nat\nIH : n + 0 = n\n⊢ S n + 0 = S n")}

    class Env(ScriptedEnv):
        def apply(self, state, tactic, *, timeout, deadline=None):
            if tactic == "induction n.":
                return Goals(ProofState(goals["B"], (*state.path, tactic)))
            if tactic == "simpl; congruence." and state.path:
                return Proved((*state.path, tactic))
            return TacticError("no")

    prompted = {}
    for template in TEMPLATES:
        pol = TransformerPolicy(None, None, ModelInfo(template=template, max_state_chars=40)).bind("add_0")

        def policy(state, pol=pol, template=template):
            prompted[(template, state.goals)] = pol.prompt(state)
            return [("bad.", -0.5), ("induction n.", -1.0), ("simpl; congruence.", -1.0)]

        res = best_first_search(Env({}), ProofState(goals["A"]), policy=policy)
        rec = {"name": "add_0", "status": "proved", "tree": tree_to_json(res.root, proof=res.proof)}
        sft, _, pairs, _ = from_records([rec])
        assert len(sft) == 2 and pairs
        for row in sft + pairs:
            row = {**row, "goals": row_goals(row)}
            assert row_prompt(template, row, max_state_chars=40) == prompted[(template, row["goals"])]
    assert "PROOF_BEFORE: induction n." in prompted[("internlm2.5-stepprover", goals["B"])]
