"""The label rules (agent.search.labels), one test per rule, through the searches that write the
records and the readers that train on them (Q rows, V rows, SFT rows, online retrieval). The
environment is a scripted test double for search logic, never a kernel."""

from agent.env import ProofState
from agent.learning.data import from_records
from agent.learning.qdata import rows_from_records
from agent.search.best_first import SearchBudget, best_first_search
from agent.search.labels import NO_CANDIDATES, PROVED, REFUTED, UNFINISHED, node_statuses
from agent.search.mcts import MctsConfig, mcts_search
from agent.search.prover import TheoremRecord, proof_steps
from agent.search.records import tree_to_json
from helpers import ScriptedEnv, toy

ROOT = ProofState((toy("A"),))


def policy_from(table):
    return lambda state: table.get(state.goals[0].conclusion, [])


def record(res, *, accepted: bool = True) -> dict:
    """A collect record of a finished search: proved only when the final check accepted it."""
    proof = res.proof if accepted else None
    rec = TheoremRecord("t", "proved" if proof else "failed", list(proof) if proof else None, res.expansions,
                        res.seconds, res.stop_reason)
    rec.tree = tree_to_json(res.root, proof=proof)
    return rec.to_json()


def q_labels(rec) -> dict[str, float]:
    q, _ = rows_from_records([rec])
    return {r.tactic: r.label for r in q}


def v_labels(rec) -> dict[str, float]:
    _, v = rows_from_records([rec])
    return {r.goals[0]["concl"]: r.label for r in v}


def test_proved_path_is_positive_only_when_the_final_check_accepted_it():
    env = ScriptedEnv({"A": {"a": "B", "bad": "X"}, "B": {"fin": "QED"}})
    res = best_first_search(env, ROOT, policy=policy_from({"A": [("a", -0.1)], "B": [("fin", -0.1)]}),
                            check_invariants=True)
    assert res.proof == ("a", "fin")
    assert q_labels(record(res)) == {"a": 1.0, "fin": 1.0}
    assert v_labels(record(res)) == {"A": 1.0, "B": 1.0}
    sft, value, _, weighted = from_records([record(res)])
    assert [r["tactic"] for r in sft] == ["a", "fin"] and {w["tactic"] for w in weighted} == {"a", "fin"}
    # The final check refused it: the kernel's steps said proved, but nothing is positive.
    rejected = record(res, accepted=False)
    assert q_labels(rejected) == {} and v_labels(rejected) == {}
    sft, value, _, weighted = from_records([rejected])
    assert sft == [] and value == [] and weighted == []


def test_kernel_error_and_full_length_timeout_are_negatives():
    env = ScriptedEnv({"A": {"slow": "TIMEOUT"}})
    res = best_first_search(env, ROOT, policy=policy_from({"A": [("slow", -0.1), ("bad", -0.2)]}),
                            check_invariants=True)
    assert [e.outcome for e in res.root.edges] == ["timeout", "error"]
    assert q_labels(record(res)) == {"slow": 0.0, "bad": 0.0}
    assert res.root.status == UNFINISHED  # a timeout is a negative step, not a refuted state
    assert v_labels(record(res)) == {}


def test_a_tactic_the_deadline_cut_short_is_cut_with_no_label():
    env = ScriptedEnv({"A": {"slow": "SLOW"}})
    budget = SearchBudget(max_seconds=0.3, tactic_timeout=5.0)
    res = best_first_search(env, ROOT, policy=policy_from({"A": [("slow", -0.1)]}), budget=budget,
                            check_invariants=True)
    edge = res.root.edges[0]
    assert edge.outcome == "cut" and "deadline" in edge.message
    assert q_labels(record(res)) == {} and res.root.status == UNFINISHED


def test_a_tactic_that_never_ran_is_cut_with_no_label():
    env = ScriptedEnv({"A": {"late": "NOTRUN"}})
    res = best_first_search(env, ROOT, policy=policy_from({"A": [("late", -0.1), ("bad", -0.2)]}),
                            check_invariants=True)
    assert [e.outcome for e in res.root.edges] == ["cut", "error"]
    assert q_labels(record(res)) == {"bad": 0.0} and res.root.status == UNFINISHED


def test_cycle_edges_have_no_label_and_do_not_refute_even_when_the_ancestor_is_proved_later():
    # B's "back" returns to A, which is proved later through C: B is provable, not refuted.
    env = ScriptedEnv({"A": {"b": "B", "c": "C"}, "B": {"back": "A"}, "C": {"fin": "QED"}})
    pol = policy_from({"A": [("b", -0.1), ("c", -3.0)], "B": [("back", -0.1), ("bad", -0.2)],
                       "C": [("fin", -0.1)]})
    res = best_first_search(env, ROOT, policy=pol, check_invariants=True)
    assert res.proof == ("c", "fin")
    b = res.root.edges[0].child
    assert [e.outcome for e in b.edges] == ["duplicate", "error"] and b.status == UNFINISHED
    rec = record(res)
    assert "back" not in q_labels(rec) and "B" not in v_labels(rec)
    assert node_statuses(rec["tree"])[1] == UNFINISHED


def test_a_cycle_with_no_way_out_is_refuted_and_its_edges_have_no_label():
    # A -> B -> back to A, and every other step rejected: nothing tried from A or B can prove
    # them (a cycle reaches nothing new), so both are refuted; the cycle's edge has no label.
    env = ScriptedEnv({"A": {"b": "B", "same": "A"}, "B": {"back": "A"}})
    pol = policy_from({"A": [("b", -0.1), ("same", -0.2), ("bad", -0.3)], "B": [("back", -0.1), ("worse", -0.2)]})
    res = best_first_search(env, ROOT, policy=pol, check_invariants=True)
    b = res.root.edges[0].child
    assert res.root.status == REFUTED and b.status == REFUTED
    rec = record(res)
    assert node_statuses(rec["tree"]) == {0: REFUTED, 1: REFUTED}
    assert q_labels(rec) == {"b": 0.0, "bad": 0.0, "worse": 0.0}  # "same" and "back": cycles
    assert v_labels(rec) == {"A": 0.0, "B": 0.0}


def test_a_node_with_no_candidate_has_its_own_status_and_no_label():
    env = ScriptedEnv({"A": {"a": "B"}})
    res = best_first_search(env, ROOT, policy=policy_from({"A": [("a", -0.1)]}), check_invariants=True)
    b = res.root.edges[0].child
    assert b.status == NO_CANDIDATES and res.root.status == UNFINISHED
    rec = record(res)
    assert node_statuses(rec["tree"]) == {0: UNFINISHED, 1: NO_CANDIDATES}
    assert v_labels(rec) == {} and q_labels(rec) == {}


def test_refuted_only_when_every_child_was_refuted_by_the_kernel():
    env = ScriptedEnv({"A": {"a": "B", "c": "C"}, "B": {}, "C": {"slow": "TIMEOUT"}})
    pol = policy_from({"A": [("a", -0.1), ("c", -0.2)], "B": [("x", -0.1)], "C": [("slow", -0.1)]})
    res = best_first_search(env, ROOT, policy=pol, check_invariants=True)
    b, c = (e.child for e in res.root.edges)
    assert b.status == REFUTED and c.status == UNFINISHED and res.root.status == UNFINISHED
    rec = record(res)
    assert q_labels(rec) == {"x": 0.0, "a": 0.0, "slow": 0.0}  # "c" leads to a live state
    assert v_labels(rec) == {"B": 0.0}
    # Without the timeout, C is refuted too, and so is A.
    env = ScriptedEnv({"A": {"a": "B", "c": "C"}, "B": {}, "C": {}})
    res = best_first_search(env, ROOT, policy=pol, check_invariants=True)
    assert res.root.status == REFUTED and v_labels(record(res)) == {"A": 0.0, "B": 0.0, "C": 0.0}


class _Explaining:
    """A policy that says which source proposed each tactic of its *latest* call (as MixedPolicy
    does): per node, a different source."""

    def __init__(self, table):
        self.table, self.last = table, {}

    def __call__(self, state):
        key = state.goals[0].conclusion
        self.last = {t: {key: [lp, 0]} for t, lp in self.table.get(key, [])}
        return self.table.get(key, [])

    def sources_of(self, tactic):
        return self.last.get(tactic, {})


def test_every_edge_carries_the_sources_of_the_call_that_proposed_it():
    moves = {"A": {"a": "B", "x": "X", "late": "C"}, "B": {"b": "D"}, "D": {}, "C": {}}
    table = {"A": [("a", -0.1), ("late", -9.0)], "B": [("b", -0.1)], "D": [("d", -0.1)], "C": [("e", -0.1)]}
    for search in ("step", "mcts"):
        pol = _Explaining(table)
        if search == "step":
            res = best_first_search(ScriptedEnv(moves), ROOT, policy=pol, step_level=True, check_invariants=True)
        else:
            res = mcts_search(ScriptedEnv(moves), ROOT, policy=pol, config=MctsConfig(width=1),
                              check_invariants=True)
        edges = {}
        stack = [res.root]
        while stack:
            n = stack.pop()
            for e in n.edges:
                edges[e.tactic] = (n.state.goals[0].conclusion, e.sources)
                if e.outcome == "goals":
                    stack.append(e.child)
        assert "late" in edges, search  # run after B and D were expanded
        for tactic, (src, sources) in edges.items():
            assert list(sources) == [src], (search, tactic, sources)


def test_online_retrieval_learns_exactly_the_checked_path_through_a_transposition():
    # The checked proof is c, c2, fin: it reaches B through C (a transposition into the node
    # that "a" created). Retrieval and training both take the checked tactics' own states.
    goals = lambda c: [{"hyps": [], "concl": c}]
    tree = {"proof": ["c", "c2", "fin"], "nodes": [
        {"id": 0, "parent": -1, "goals": goals("A"), "status": "proved", "expanded": True, "complete": True},
        {"id": 1, "parent": 0, "goals": goals("B"), "status": "proved", "expanded": True, "complete": True},
        {"id": 2, "parent": 0, "goals": goals("C"), "status": "unfinished", "expanded": True, "complete": True}],
        "edges": [{"src": 0, "tactic": "a", "outcome": "goals", "dst": 1},
                  {"src": 0, "tactic": "c", "outcome": "goals", "dst": 2},
                  {"src": 2, "tactic": "c2", "outcome": "duplicate", "dst": 1},
                  {"src": 1, "tactic": "fin", "outcome": "proved", "dst": None}]}
    steps = proof_steps(tree)
    assert [(g[0].conclusion, t) for g, t in steps] == [("A", "c"), ("C", "c2"), ("B", "fin")]
    sft, _, _, _ = from_records([{"name": "t", "status": "proved", "tree": tree}])
    assert [(r["goals"][0]["concl"], r["tactic"]) for r in sft] == [("A", "c"), ("C", "c2"), ("B", "fin")]
    assert q_labels({"name": "t", "status": "proved", "tree": tree}) == {"c": 1.0, "c2": 1.0, "fin": 1.0}
    # A proof whose tactics the tree does not hold gives no steps rather than a wrong path.
    tree["proof"] = ["a", "nope"]
    assert proof_steps(tree) == []


def test_online_steps_of_a_search_are_the_replayed_proof():
    env = ScriptedEnv({"A": {"a": "B", "c": "C"}, "C": {"c2": "B"}, "B": {"fin": "QED"}})
    pol = policy_from({"A": [("c", -0.1), ("a", -0.2)], "C": [("c2", -0.1)], "B": [("fin", -0.1)]})
    res = best_first_search(env, ROOT, policy=pol, check_invariants=True)
    steps = proof_steps(tree_to_json(res.root, proof=res.proof))
    state, replayed = ROOT, []
    for tactic in res.proof:  # the states the final check's replay of the proof goes through
        replayed.append((state.goals, tactic))
        step = env.apply(state, tactic, timeout=1.0)
        state = getattr(step, "state", None)
    assert steps == replayed


def test_stored_records_are_relabelled_through_one_reader(tmp_path):
    """A record written before the cut rule: its timeout edges are read by their seconds against
    the run's per-tactic limit (config.json), by every learner (labels.read_records)."""
    import json

    from agent.search.labels import read_records

    def stored(seconds: dict) -> dict:
        return {"name": "t", "status": "failed", "proof": None, "stop_reason": "timeout", "tree": {
            "nodes": [{"id": 0, "parent": -1, "goals": [{"hyps": [], "concl": "A"}], "status": "unfinished",
                       "expanded": True, "complete": True}],
            "edges": [{"src": 0, "dst": None, "tactic": t, "outcome": out, "seconds": s}
                      for t, (out, s) in seconds.items()], "proof": None}}

    kinds = {"full": ("timeout", 5.02), "short": ("timeout", 1.7), "bad": ("error", 0.1), "cut": ("cut", 0.4)}
    run = tmp_path / "run"
    run.mkdir()
    (run / "records.jsonl").write_text(json.dumps(stored(kinds)) + "\n")
    assert q_labels(stored(kinds)) == {"full": 0.0, "short": 0.0, "bad": 0.0}  # as the old rule read it
    (run / "config.json").write_text(json.dumps({"search": {"tactic_timeout": 5.0}}))
    [rec] = read_records(str(run / "records.jsonl"))
    assert [e["outcome"] for e in rec["tree"]["edges"]] == ["timeout", "cut", "error", "cut"]
    assert q_labels(rec) == {"full": 0.0, "bad": 0.0}  # the short one was the deadline's, not the tactic's
    (run / "config.json").unlink()  # no config (a file copied out of its run): read as written
    [rec] = read_records(str(run / "records.jsonl"))
    assert q_labels(rec) == {"full": 0.0, "short": 0.0, "bad": 0.0}
