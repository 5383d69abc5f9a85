"""Q(s, a) and V(s) over goal features: labels from kernel verdicts, the hashed learner, the
goal-argument candidates, and the whole path on the real Coq kernel (collect, train qv, search
ranked by Q with A* on V, every proof through the final check)."""

import json
import math
from fractions import Fraction

import numpy as np
import pytest

from agent.env import Goal, Hypothesis, ProofState
from agent.policies.hashed import HashedConfig, HashedLogistic, hash_features, roc_auc
from agent.learning.qdata import rows_from_records
from agent.policies.goal_args import coq_candidates, lean_candidates, split_relation
from agent.policies.linear import pinned_values
from agent.policies.mixed import MixedPolicy
from agent.policies.poly import add, coefficient, degree, parse_poly, render, shift
from agent.search.best_first import best_first_search
from agent.search.records import tree_to_json
from conftest import ROOT, qstar, requires_coq
from helpers import ScriptedEnv, toy


def goal(hyps, concl, style="coq"):
    return Goal(tuple(Hypothesis(tuple(n.split(", ")), t) for n, t in hyps), concl, style=style)


def test_a_linear_system_pins_its_variables_and_nothing_else():
    assert pinned_values(["3 * x + 2 * y = 7", "x - y = -1", "x <= 3"], {"x", "y"}) == {"x": 1, "y": 2}
    assert pinned_values(["x / 2 + 1 = 3", "y * y = 4"], {"x", "y"}) == {"x": 4}  # y * y: not linear
    assert pinned_values(["2 * (x + 1)%R = 10%R"], {"x"}) == {"x": 4}
    assert pinned_values(["x + y = 3"], {"x", "y"}) == {}  # one equation, two unknowns
    assert pinned_values(["x = 1", "x = 2"], {"x"}) == {}  # inconsistent: nothing to pin
    assert pinned_values(["(3 : ℝ) * a + 2 = 11"], {"a"}) == {"a": Fraction(3)}


def test_goal_arguments_come_from_the_goal():
    g = goal([("x, y", "R"), ("h0", "x + y = 7"), ("h1", "3 * x + y = 45")], "x ^ 2 - y ^ 2 = 217")
    c = coq_candidates(g)
    assert c[0] == "assert (x = 19)%R by lra; assert (y = - 12)%R by lra; subst x y."
    assert any(t.startswith("pose proof (pow2_ge_0 (x - y))") and t.endswith("nra.") for t in c)
    g = goal([("a", "R"), ("h", "Rabs (a - 1) < Rmax a 2")], "a < 3")
    c = coq_candidates(g)
    assert "unfold Rabs in *; destruct (Rcase_abs (a - 1)); lra." in c
    assert "unfold Rmax in *; destruct (Rle_dec a 2); lra." in c
    g = goal([("n", "nat"), ("k", "nat"), ("h", "exists k : nat, n = 2 * k"), ("o", "n = 1 \\/ n = 3")], "n < 4")
    c = coq_candidates(g)
    assert "destruct h as [k0 Hk0]." in c and "destruct o as [o | o]." in c
    g = goal([("a, b", "ℝ"), ("h", "a + b = 2")], "a * b ≤ 1", style="lean")
    assert "nlinarith [sq_nonneg (a - b), sq_nonneg (a + b), sq_nonneg (a), sq_nonneg (b)]" in lean_candidates(g)


def test_polynomials_are_read_exactly_and_anything_else_is_refused():
    p = parse_poly("28 * a ^ 2 + 1 - 10 * a", {"a"})
    assert p == {(("a", 2),): 28, (): 1, (("a", 1),): -10} and degree(p) == 2
    assert render(p) == "28 * a ^ 2 - 10 * a + 1"
    q = parse_poly("(a * x - 5) * (2 * (b * x) + c)", {"a", "b", "c", "x"})
    assert render(coefficient(q, "x", 2)) == "2 * a * b" and render(coefficient(q, "x", 0)) == "- 5 * c"
    assert parse_poly("2 * 8 - 7", set()) == {(): 9} and parse_poly("x / 4", {"x"}) == {(("x", 1),): Fraction(1, 4)}
    for text in ("sqrt x", "f x + 1", "x / y", "x ^ n", "x y", "2 * (x + 1"):
        assert parse_poly(text, {"x", "y"}) is None, text
    assert split_relation("10 * a <= 28 * a ^ 2 + 1") == ("10 * a ", "<=", " 28 * a ^ 2 + 1")
    for text in ("x <> 3", "a = b -> c = d", "1 < x < 2", "f (x <= 1)", "x ≠ 1"):
        assert split_relation(text) is None, text


def test_goal_arguments_of_the_second_kinds():
    # a recurrence, instantiated at every index between the ones given (and two below)
    g = goal([("s", "nat -> R"), ("h0", "forall n : nat, s (S (S n)) = s (S n) + s n"),
              ("h1", "s 9 = 110"), ("h2", "s 7 = 42")], "s 4 = 10")
    inst = "; ".join(f"pose proof (h0 {k}%nat)" for k in range(2, 10))
    assert inst + "; lra." in coq_candidates(g)
    # an identity in x, at 0, 1, -1 and the goal's numerals; a premise proved inside, optional
    g = goal([("a, c", "R"), ("H", "forall x : R, x <> 0 -> a * x ^ 2 + c = 3 * x ^ 2 + 1")], "a + c = 4")
    c = coq_candidates(g)
    assert c[0].startswith("try pose proof (H 0 ltac:(solve [lia | lra") and "try pose proof (H (-1) " in c[0]
    # a perfect square's root, and sqrt facts for nra; never a sqrt of a bound variable
    g = goal([("f", "R -> R"), ("h0", "forall x : R, f x = sqrt (x - 7)")], "3 * sqrt (2 * 8 - 7) + sqrt 2 = 9 + sqrt 2")
    c = coq_candidates(g)
    assert "rewrite (sqrt_lem_1 (2 * 8 - 7) 3) by lra." in c
    assert any(t.startswith("pose proof (sqrt_pos (2 * 8 - 7)); try pose proof (sqrt_sqrt (2 * 8 - 7) ltac:(lra)); "
                            "pose proof (sqrt_pos 2)") for t in c)
    assert not any("x - 7" in t for t in c)
    # the completed square of a quadratic relation; field_simplify_eq on an equation of quotients
    g = goal([("x, y", "R"), ("H", "y = x ^ 2 - 6 * x + 13")], "4 <= y")
    assert "pose proof (pow2_ge_0 (- x + 3)); nra." in coq_candidates(g)
    g = goal([("a", "ℝ")], "10 * a ≤ 28 * a ^ 2 + 1", style="lean")
    assert "nlinarith [sq_nonneg (- 28 * a + 5)]" in lean_candidates(g)
    g = goal([("x, y", "R"), ("H", "x + y = 4 * (x * y)")], "1 / x + 1 / y = 4")
    assert "field_simplify_eq; try nra; auto." in coq_candidates(g)
    # remainders, as division equations for lia; complex equations, by real and imaginary parts
    c = coq_candidates(goal([("n", "nat"), ("h", "(3 * n + 1) mod 8 = 7")], "n mod 4 = 1"))
    assert ("pose proof (Nat.div_mod n 4 ltac:(lia)); pose proof (Nat.mod_upper_bound n 4 ltac:(lia)); "
            "pose proof (Nat.div_mod (3 * n + 1) 8 ltac:(lia)); pose proof (Nat.mod_upper_bound (3 * n + 1) 8 "
            "ltac:(lia)); lia.") in c
    assert "Z.div_mod_to_equations; nia." in coq_candidates(goal([("x", "Z"), ("h", "x mod 3 = 1")], "x <> 0"))
    c = coq_candidates(goal([("q, e", "C"), ("h0", "q = 2 - 2 * Ci"), ("n", "e <> 0")], "q * e = 20"))
    assert "pose proof (f_equal fst h0); pose proof (f_equal snd h0); simpl in *; apply injective_projections; " \
           "simpl; lra." in c
    assert not any("injective_projections" in t for t in coq_candidates(goal([("x", "R")], "x * x = 4")))
    # a conjunction or a disjunction is not a quotient: no field_simplify at it
    g = goal([("x", "R"), ("H", "0 < x /\\ x < 1"), ("H1", "x = 0 \\/ x = 1"), ("H2", "x / 2 = 1")], "x < 3")
    c = coq_candidates(g)
    assert "field_simplify in H2." in c and not any(t.startswith("field_simplify in H.") or "in H1." in t for t in c)


def test_goal_arguments_of_the_third_kinds():
    # the successor of a polynomial, and the difference an induction step must cover
    p = parse_poly("n ^ 3 + 2 * n", {"n"})
    assert render(shift(p, "n")) == "n ^ 3 + 3 * n ^ 2 + 5 * n + 3"
    assert render(add(shift(p, "n"), p, -1)) == "3 * n ^ 2 + 3 * n + 3"
    # divisibility by induction: the successor's witness, computed from the polynomial
    ind = ("induction n as [|n IH]; [exists 0; simpl; lia | destruct IH as [k Hk]; "
           "exists (k + n ^ 2 + n + 1); simpl in *; nia].")
    assert coq_candidates(goal([("n", "nat")], "exists k : nat, n ^ 3 + 2 * n = 3 * k"))[0] == ind
    assert coq_candidates(goal([("n", "nat")], "Nat.divide 3 (n ^ 3 + 2 * n)"))[0] == "unfold Nat.divide; " + ind
    assert not any("induction" in t for t in coq_candidates(goal([("n", "nat")], "Nat.divide 6 (n ^ 3 + 5 * n)")))
    # large nat numerals in base 1000; never in a real or integer goal
    of_uint = ("Init.Nat.of_num_uint (Number.UIntDecimal "
               "(Decimal.D3 (Decimal.D9 (Decimal.D5 (Decimal.D0 (Decimal.D0 Decimal.Nil))))))")
    c = coq_candidates(goal([("n", "nat"), ("H", f"123 * n + 17 = {of_uint}")], "n = 321"))
    assert "replace 39500 with (39 * 1000 + 500) in * by reflexivity; lia." in c
    assert coq_candidates(goal([], "Nat.lcm 9999 100001 = 90900909"))[-1] == (
        "replace 90900909 with ((90 * 1000 + 900) * 1000 + 909) in * by reflexivity; "
        "replace 100001 with (100 * 1000 + 1) in * by reflexivity; "
        "replace 9999 with (9 * 1000 + 999) in * by reflexivity.")
    assert not any("replace" in t for t in coq_candidates(goal([("x", "R"), ("H", "x = 39500")], "x < 40000")))
    # a root pinned to its value; ln of a numeral not zero; logarithms expanded
    c = coq_candidates(goal([("x, y", "R"), ("H1", "x + y = 13"), ("H2", "x * y = 24")], "sqrt (x ^ 2 + y ^ 2) = 11"))
    assert c[0] == "transitivity (sqrt (11 * 11)); [f_equal; nra | apply sqrt_square; lra]."
    assert coq_candidates(goal([], "ln (1 / 2) <> 0"))[0] == "rewrite <- ln_1; apply Rlt_not_eq, ln_increasing; lra."
    c = coq_candidates(goal([("x, y", "R"), ("Hx", "0 < x"), ("H1", "ln (x * y ^ 3) = 1")], "ln (x * y) = 3 / 5"))
    assert any(t.startswith("repeat (first [rewrite ln_mult in * by") and t.endswith("simpl INR in *; lra.") for t in c)
    assert not any("ln_mult" in t for t in coq_candidates(goal([("x", "R"), ("H", "0 < x")], "ln x <= x")))


@requires_coq
def test_goal_argument_candidates_close_real_goals_in_coq():
    from agent.backends import backend_named
    from agent.env import Goals, Proved, Theorem
    from agent.policies.goal_args import GoalArgPolicy
    env = backend_named("coq").make_env()
    ctx = "Require Import Reals Lra Psatz.\nOpen Scope R_scope.\n"
    cases = {"Lemma sys (x y : R) (h0 : x + y = 7) (h1 : 3 * x + y = 45) : x ^ 2 - y ^ 2 = 217.": "lra.",
             "Lemma ab (x : R) (h : Rabs (x - 1) < 2) : x < 3.": None,
             "Lemma sq (a b : R) (h : a ^ 2 + b ^ 2 = 2) : a * b <= 1.": None,
             "Lemma rec (s : nat -> R) (h0 : forall n : nat, s (S (S n)) = s (S n) + s n) "
             "(h1 : s 9%nat = 110) (h2 : s 7%nat = 42) : s 4%nat = 10.": None,
             "Lemma idt (a b c : R) (h : forall x : R, 24 * x ^ 2 - 19 * x - 35 = (a * x - 5) * (2 * (b * x) + c)) "
             ": a * b - 3 * c = -9.": None,
             "Lemma rt : 3 * sqrt (2 * 8 - 7) - 8 = 1.": "lra.",
             "Lemma root (k : R) (h : 2 * ((13 - sqrt 131) / 4) ^ 2 - 13 * ((13 - sqrt 131) / 4) + k = 0) "
             ": k = 19 / 4.": None,
             "Lemma cs (a : R) : 10 * a <= 28 * a ^ 2 + 1.": None,
             "Lemma fs (x y : R) (h : x <> 0) (h' : y <> 0) (e : x + y = 4 * (x * y)) : 1 / x + 1 / y = 4.": None}
    nat = "Require Import Arith Lia ZArith.\n"
    complex_ = "Require Import Reals Lra Psatz Coquelicot.Coquelicot.\nOpen Scope C_scope.\n"
    more = {"Lemma m8 (n : nat) (h : n mod 8 = 7) : n mod 4 = 3.": nat,
            "Lemma m7 (j : nat) (h : j > 0) : (3 * (7 * j + 3)) mod 7 = 2.": nat,
            "Lemma zm (x : Z) (h : (x * 3) mod 7 = 1) (b : (0 <= x < 7)%Z) : x = 5.": nat + "Open Scope Z_scope.\n",
            "Lemma c48 : (9 - 4 * Ci) - (-3 - 4 * Ci) = 12.": complex_,
            "Lemma c2 (x e : C) (h0 : x + e = 5) (h1 : x - e = 1) : x = 3 /\\ e = 2.": complex_,
            "Lemma big (n : nat) (h : 123 * n + 17 = 39500) : n = 321.": nat,
            "Lemma d3 (n : nat) : exists k : nat, n ^ 3 + 2 * n = 3 * k.": nat,
            "Lemma d2 (n : nat) : Nat.divide 2 (n ^ 2 + n).": nat,
            "Lemma pin (x y : R) (h1 : x + y = 13) (h2 : x * y = 24) : sqrt (x ^ 2 + y ^ 2) = 11.": ctx,
            "Lemma l5 : ln 5 <> 0.": ctx,
            "Lemma lg (x y : R) (hx : 0 < x) (hy : 0 < y) (h1 : ln (x * y ^ 3) = 1) (h2 : ln (x ^ 2 * y) = 1) "
            ": ln (x * y) = 3 / 5.": ctx}
    try:
        for stmt, finish in [*cases.items(), *((s, None) for s in more)]:
            state = env.start(Theorem(stmt.split()[1], stmt, more.get(stmt, ctx)), timeout=60)
            closed = False
            for tactic, _ in GoalArgPolicy("coq")(state):
                step = env.apply(state, tactic, timeout=10)
                if isinstance(step, Goals) and finish:
                    step = env.apply(step.state, finish, timeout=10)
                if isinstance(step, Proved):
                    closed = True
                    break
            assert closed, stmt
    finally:
        env.close()


def _record(moves, policy, *, proved_ok=True):
    res = best_first_search(ScriptedEnv(moves), ProofState((toy("A"),)), policy=policy, check_invariants=True)
    status = "proved" if res.proof and proved_ok else "failed"
    return {"name": "t", "status": status, "tree": tree_to_json(res.root, proof=res.proof if proved_ok else None)}


class _Table:
    """A test double for a candidate source: fixed candidates per conclusion."""

    def __init__(self, table):
        self.table = table

    def __call__(self, state):
        return self.table.get(state.goals[0].conclusion, [])


def test_every_kernel_verdict_is_a_label_and_unknowns_are_not():
    moves = {"A": {"good": "B", "dead": "R", "slow": "TIMEOUT", "live": "U"}, "B": {"fin": "QED"}, "R": {},
             "U": {"more": "V"}}
    knn = _Table({"A": [("dead", -0.3), ("good", -0.5), ("bad", -1.0), ("slow", -2.0), ("live", -9.0)],
                  "B": [("fin", -0.1)], "R": [("x", -0.1)], "U": [("more", -0.1)]})
    policy = MixedPolicy(None, None, retrieval=knn)
    rec = _record(moves, policy)
    q, v = rows_from_records([rec])
    labels = {(r.goals[0]["concl"], r.tactic): r.label for r in q}
    # proof steps 1; kernel error, timeout, step into a refuted state 0; the step into the
    # never-expanded state U (and U's own edges) unknown
    assert labels == {("A", "good"): 1.0, ("B", "fin"): 1.0, ("A", "bad"): 0.0, ("A", "slow"): 0.0,
                      ("A", "dead"): 0.0, ("R", "x"): 0.0}
    assert {r.goals[0]["concl"]: r.label for r in v} == {"A": 1.0, "B": 1.0, "R": 0.0}
    assert next(r for r in q if r.tactic == "good").sources == {"knn": [-0.5, 1]}
    # a proof the final check refused teaches nothing positive
    q, v = rows_from_records([_record(moves, policy, proved_ok=False)])
    assert not any(r.label for r in q) and not any(r.label for r in v)


def test_hashed_logistic_learns_saves_and_loads(tmp_path):
    rng = np.random.default_rng(0)
    rows, labels = [], []
    for _ in range(2000):
        y = float(rng.random() < 0.3)
        feats = [f"noise{rng.integers(50)}", "pos-cue" if y and rng.random() < 0.9 else f"other{rng.integers(5)}",
                 ("size", 2.0 if y else 0.5)]
        rows.append(hash_features(feats, 1 << 12))
        labels.append(y)
    m = HashedLogistic(HashedConfig(buckets=1 << 12, epochs=3))
    losses = m.fit(rows[:1500], labels[:1500])
    assert losses[-1] < losses[0]
    assert roc_auc(labels[1500:], m.probs(rows[1500:]).tolist()) > 0.95
    m.save(str(tmp_path), "m")
    back, _ = HashedLogistic.load(str(tmp_path), "m")
    assert np.allclose(back.probs(rows[:10]), m.probs(rows[:10]))


def test_roc_auc_counts_ties_half_and_needs_both_classes():
    assert roc_auc([0, 1], [0.1, 0.9]) == 1.0
    assert roc_auc([0, 1], [0.9, 0.1]) == 0.0
    assert roc_auc([0, 1, 0, 1], [0.5, 0.5, 0.5, 0.5]) == 0.5
    assert math.isnan(roc_auc([1, 1], [0.2, 0.3]))


def test_q_ranks_every_sources_candidates_and_its_log_is_the_step_logprob():
    class ByLength:
        """A test double for Q: prefers shorter tactics."""

        def log_q(self, goals, candidates):
            return [-float(len(t)) for t, _ in candidates]

    knn = _Table({"A": [("long tactic", -0.1)]})
    auto = _Table({"A": [("lia", -3.0), ("long tactic", -4.0)]})
    policy = MixedPolicy(None, auto, retrieval=knn, q=ByLength(), q_norm="none")
    out = policy(ProofState((toy("A"),)))
    assert out == [("lia", -3.0), ("long tactic", -11.0)]
    normed = MixedPolicy(None, auto, retrieval=knn, q=ByLength(), q_norm="node")(ProofState((toy("A"),)))
    assert [t for t, _ in normed] == ["lia", "long tactic"]  # the same order
    assert math.isclose(sum(math.exp(lp) for _, lp in normed), 1.0)  # a distribution over the node's candidates
    assert math.isclose(normed[0][1] - normed[1][1], 8.0)  # the same gaps
    with pytest.raises(ValueError, match="q_norm"):
        MixedPolicy(None, auto, q=ByLength(), q_norm="softmax")
    assert policy.sources_of("long tactic") == {"knn": [-0.1, 0], "auto": [-4.0, 1]}
    unranked = MixedPolicy(None, auto, retrieval=knn)(ProofState((toy("A"),)))
    assert unranked[0][0] == "long tactic"


@requires_coq
def test_collect_train_qv_and_search_ranked_by_q_with_astar_and_mcts_on_v(tmp_path):
    suite = tmp_path / "suite.jsonl"
    ctx = "Require Import Reals Lra Arith Lia.\nOpen Scope R_scope.\n"
    stmts = [f"Lemma l{i} (x y : R) (h0 : x + y = {i + 3}) (h1 : x - y = 1) : x * y = {(i + 4) * (i + 2) / 4}."
             for i in range(4)] + \
            ["Lemma n1 (n : nat) : (n + 0 = n)%nat.", "Lemma n2 (a b : nat) : (a + b = b + a)%nat.",
             "Lemma bad (x : R) (h : x = 1) : x = 2."]
    with open(suite, "w") as f:
        for s in stmts:
            f.write(json.dumps({"name": s.split()[1], "split": "train", "header": ctx, "formal_statement": s}) + "\n")
    common = ["--model", "none", "--budget", "6", "--timeout", "20", "--tactic-timeout", "5", "--workers", "1",
              "--hammer", "off"]
    r = qstar("collect", str(suite), "--out", str(tmp_path / "col"), *common)
    assert r.returncode == 0, r.stderr
    recs = [json.loads(line) for line in open(tmp_path / "col" / "records.jsonl")]
    assert sum(x["status"] == "proved" for x in recs) >= 5
    assert any(e.get("sources") for x in recs for e in x["tree"]["edges"])
    model = tmp_path / "qv"
    r = qstar("train", "qv", "--records", str(tmp_path / "col" / "records.jsonl"), "--out", str(model),
              "--holdout", "0")
    assert r.returncode == 0, r.stderr
    metrics = json.loads((model / "qv_metrics.json").read_text())
    assert metrics["q_pos"] >= 5 and metrics["q_neg"] > metrics["q_pos"]
    assert (model / "q_model.npy").is_file() and (model / "state_value.npy").is_file()
    r = qstar("bench", str(suite), "--out", str(tmp_path / "bench"), *common[2:], "--model", str(model),
              "--ordering", "astar", "--astar-lambda", "0.5")
    assert r.returncode == 0, r.stderr
    res = [json.loads(line) for line in open(tmp_path / "bench" / "results.jsonl")]
    assert {x["name"] for x in res if x["status"] == "proved"} >= {x["name"] for x in recs if x["status"] == "proved"}
    assert not any(x["name"] == "bad" and x["status"] == "proved" for x in res)
    # MCTS on the same kernel, with Q's prior and V at the leaf: the same theorems, soundly checked
    r = qstar("bench", str(suite), "--out", str(tmp_path / "mcts"), *common[2:], "--model", str(model),
              "--ordering", "mcts", "--mcts-width", "4", "--mcts-novelty", "0.1")
    assert r.returncode == 0, r.stderr
    res = [json.loads(line) for line in open(tmp_path / "mcts" / "results.jsonl")]
    assert {x["name"] for x in res if x["status"] == "proved"} >= {x["name"] for x in recs if x["status"] == "proved"}
    assert not any(x["name"] == "bad" and x["status"] == "proved" for x in res)
    # annotate shows the learned Q of each written step
    r = qstar("annotate", str(ROOT / "examples" / "annotate.v"), "--model", str(model), "--json")
    assert r.returncode == 0, r.stderr
    steps = [st for p in json.loads(r.stdout)["proofs"] for st in p["steps"] if st["verdict"] != "not_run"]
    assert steps and all(st["q"] is not None and 0 <= st["q"] <= 1 for st in steps)
    assert any(st["q"] > 0 for st in steps)  # a step some source proposes is not ruled out


def test_a_found_proof_joins_the_retrieval_database_at_once():
    from agent.policies.retrieval import KnnPolicy
    rows = [((goal([("n", "nat")], f"n + {i} = {i} + n"),), "lia.") for i in range(20)]
    knn = KnnPolicy(rows)
    state = ProofState((goal([("x, y", "R"), ("h", "Rabs x < y")], "Rabs x <= y"),))
    assert "unfold Rabs; lra." not in [t for t, _ in knn(state)]
    knn.add([((goal([("a, b", "R"), ("h", "Rabs a < b")], "Rabs a <= b"),), "unfold Rabs; lra.")])
    assert knn(state)[0][0] == "unfold Rabs; lra."
