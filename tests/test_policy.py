"""Tactic policies on tiny models built from a config (no downloads)."""

import math
import threading
import warnings

import pytest

from agent.policies.automation import AutomationPolicy
from agent.policies.models import TinyConfig, build_tiny
from agent.policies.mixed import MixedPolicy
from agent.policies.transformer import BatchingPolicy, PolicyConfig, TransformerPolicy
from agent.policies.prompts import PRESETS, PromptContext, render
from helpers import coq_goals, coq_state

STATES = [coq_state(f"n : nat\n⊢ n + {j} = {j} + n") for j in range(5)]


def test_presets_render_the_published_formats_exactly():
    ctx = PromptContext(state="m n : ℕ\n⊢ n = n", name="foo", proof_before="intro h")
    assert render("reprover", ctx) == "m n : ℕ\n⊢ n = n"
    assert render("bfs-prover", ctx) == "m n : ℕ\n⊢ n = n:::"
    assert render("internlm2.5-stepprover", ctx) == (
        "---\nNAME: foo\n\n---\nPROOF_BEFORE: intro h\n\n---\nSTATE_BEFORE: m n : ℕ\n⊢ n = n\n\n---\nTACTIC: ")
    assert render("internlm2-stepprover", ctx) == (
        "<|im_start|>user\nDECL foo\nGOAL m n : ℕ\n⊢ n = n<|im_end|>\n<|im_start|>assistant\nPROOFSTEP ")
    assert {p.template for p in PRESETS.values()} <= {"reprover", "bfs-prover", "internlm2.5-stepprover",
                                                     "internlm2-stepprover"}
    with pytest.raises(ValueError):
        render("no-such-template", ctx)


@pytest.mark.parametrize("kind", ["causal", "seq2seq"])
def test_candidates_have_finite_logprobs_and_are_distinct(kind):
    model, tok, info = build_tiny(TinyConfig(kind=kind, width=64))
    pol = TransformerPolicy(model, tok, info, PolicyConfig(samples=6, max_new_tokens=8))
    for row in pol.propose([pol.prompt(s) for s in STATES]):
        tactics = [t for t, _ in row]
        assert len(tactics) == len(set(tactics))
        assert all(math.isfinite(lp) and lp < 0 for _, lp in row)
        assert [lp for _, lp in row] == sorted((lp for _, lp in row), reverse=True)


def test_sampled_logprobs_equal_teacher_forced_scores(tmp_path):
    from agent.learning.sft import tactic_loss
    from agent.learning.trainloop import LoopConfig, run_loop
    model, tok, info = build_tiny(TinyConfig(width=64))
    rows = [{"goals": s.goals, "tactic": t} for s in STATES for t in ("lia.", "intros n.", "ring.")]
    model.train()
    run_loop(model.parameters(), rows, lambda b: tactic_loss(model, tok, info, b, max_tactic_tokens=16),
             LoopConfig(max_steps=40, lr=3e-3, batch_size=8), str(tmp_path / "log"), "sft")
    model.eval()
    pol = TransformerPolicy(model, tok, info, PolicyConfig(samples=12, max_new_tokens=16))
    with warnings.catch_warnings():  # the shared-prefix path passes its cache by the current name
        warnings.simplefilter("error", FutureWarning)
        [row] = pol.propose([pol.prompt(STATES[0])])
    assert {"lia.", "intros n.", "ring."} & {t for t, _ in row}
    prompt = pol.prompt(STATES[0])
    for t, lp in row:
        assert abs(pol.score([prompt], [t])[0] - lp) < 1e-3


@pytest.mark.parametrize("kind", ["causal", "seq2seq"])
def test_batched_equals_unbatched(kind):
    model, tok, info = build_tiny(TinyConfig(kind=kind, width=64))
    pol = TransformerPolicy(model, tok, info, PolicyConfig(samples=4, decoding="beam", max_new_tokens=8))
    batched = pol.propose([pol.prompt(s) for s in STATES])
    single = [pol(s) for s in STATES]
    for b, u in zip(batched, single):
        assert [t for t, _ in b] == [t for t, _ in u]
        assert all(abs(x - y) < 1e-4 for (_, x), (_, y) in zip(b, u))


def test_batching_policy_serves_concurrent_searches_with_shared_batches():
    model, tok, info = build_tiny(TinyConfig(width=64))
    pol = TransformerPolicy(model, tok, info, PolicyConfig(samples=3, decoding="beam", max_new_tokens=6))
    direct = [pol(s) for s in STATES]
    results = [None] * len(STATES)
    with BatchingPolicy(pol, max_batch=8, max_wait=0.2) as server:
        def ask(i):
            results[i] = server.for_theorem("t")(STATES[i])
        threads = [threading.Thread(target=ask, args=(i,)) for i in range(len(STATES))]
        for th in threads:
            th.start()
        for th in threads:
            th.join()
    assert [[t for t, _ in r] for r in results] == [[t for t, _ in r] for r in direct]
    assert max(server.batches) > 1 and sum(server.batches) == len(STATES)


def test_mixed_policy_unites_candidates_with_a_prior():
    fake_model = lambda state: [("lia.", -0.5), ("garbage", -3.0)]  # noqa: E731
    mixed = MixedPolicy(fake_model, AutomationPolicy("coq"), automation_weight=0.1)
    ranked = mixed(STATES[0])
    cands = dict(ranked)
    assert len(ranked) == len(cands)  # a tactic proposed by two sources appears once
    assert cands["lia."] == -0.5  # the better of the two scores
    assert "intros." in cands and cands["intros."] < math.log(0.1) + 1e-9
    assert [lp for _, lp in ranked] == sorted(cands.values(), reverse=True)


def test_state_truncation_keeps_the_conclusion_and_nearest_hypotheses():
    from agent.policies.prompts import truncate_state
    s = "a : nat\nb : nat\nH : a = b\n⊢ b = a\n\nx : nat\n⊢ x = x"
    g = coq_goals(s)
    assert truncate_state(g, 0) == s and truncate_state(g, 100) == s
    assert truncate_state(g, 20) == "H : a = b\n⊢ b = a"
    assert truncate_state(g, 40) == "a : nat\nb : nat\nH : a = b\n⊢ b = a"
    assert all(len(truncate_state(g, m)) <= m for m in (10, 20, 30, 45))


def test_knn_retrieval_proposes_tactics_of_the_nearest_states(tmp_path):
    from agent.policies.retrieval import KnnPolicy
    rows = [(coq_goals("l : list nat\n⊢ rev (rev l) = l"), "apply rev_involutive."),
            (coq_goals("n, m : nat\n⊢ n + m = m + n"), "apply Nat.add_comm."),
            (coq_goals("n : nat\n⊢ n * 1 = n"), "apply Nat.mul_1_r.")] * 2
    knn = KnnPolicy(rows, max_df=1.0)
    cands = knn(coq_state("xs : list nat\n⊢ rev (rev xs) = xs"))
    assert cands[0][0] == "apply rev_involutive."
    assert abs(sum(math.exp(lp) for _, lp in cands) - 1.0) < 1e-6
    path = str(tmp_path / "db.jsonl.gz")
    KnnPolicy.save_rows(path, rows)
    again = KnnPolicy.load(path, max_df=1.0)
    assert again(coq_state("a, b : nat\n⊢ a + b = b + a"))[0][0] == "apply Nat.add_comm."


FILE = """Require Import Arith.
Definition dbl (n : nat) := n + n.
Lemma dbl_spec : forall n, dbl n = 2 * n.
Proof. intros; unfold dbl; lia. Qed.
""" + "".join(f"Lemma filler{i} : {i} <= {i} + 1.\nProof. lia. Qed.\n" for i in range(10))


def test_file_lemmas_sharing_the_goals_symbols_come_before_the_most_recent():
    from agent.backends import backend_named
    from agent.policies.file_lemmas import FileLemmas
    b = backend_named("coq")
    stated = {n: s for n, s, _ in b.lemma_statements(FILE)}
    recent = tuple(b.usable_lemmas(FILE))
    assert recent[0] == "filler9" and recent[-1] == "dbl_spec"  # eleven lemmas, most recent first
    fl = FileLemmas(recent, stated, ranked=2, limit=4)
    goal = coq_goals("k : nat\n⊢ dbl k = k * 2")[0]
    # the eleventh most recent first by its symbols, then filler2 (its "2"), then the most recent
    assert fl.choose(goal) == ["dbl_spec", "filler2", "filler9", "filler8"]
    tactics = fl.tactics(goal, "coq")
    assert tactics[:4] == ["apply dbl_spec.", "eapply dbl_spec.", "rewrite dbl_spec.", "rewrite <- dbl_spec."]
    assert "rewrite filler9." not in tactics and "apply filler9." in tactics  # <= is no equation
    # ranked by statements only when there are some: without, the most recent, as before
    plain = AutomationPolicy("coq", lemmas=recent)
    assert not any("dbl_spec" in t for t, _ in plain(coq_state("k : nat\n⊢ dbl k = k * 2")))


@pytest.mark.parametrize("mode", ["ranked", "recent", "off"])
def test_a_bench_theorem_gets_its_files_lemmas_as_prove_gives_them(mode):
    from agent.search.searcher import SearchConfig, build_searcher
    searcher = build_searcher(SearchConfig(model="none", file_lemmas=mode, goal_args="off", hammer="off",
                                           procedures="off"))
    policy = searcher.make_policy("coq", "t", (), FILE)  # a bench item: no lemmas, its file above it
    tactics = [t for t, _ in policy(coq_state("k : nat\n⊢ dbl k = k * 2"))]
    assert ("rewrite dbl_spec." in tactics) == (mode == "ranked")
    assert ("apply filler9." in tactics) == (mode != "off")
