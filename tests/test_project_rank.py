"""The project source's ranker (agent/project/rank.py, rank_train.py): what it reads of a
candidate, that it is fitted from a traced corpus as the README runs it, and that the file's
steps reach it with their place in their proofs."""

import json
import math

import pytest

from agent.env import Goal, Hypothesis, ProofState
from conftest import qstar


def _g(concl, *hyps):
    return (Goal(tuple(Hypothesis((n,), t) for n, t in hyps), concl),)


# other proofs of the file, so that the state's words are not in half of the rows (then unindexed)
OTHERS = [(_g(f"length (rev l{k}) = length l{k}"), f"apply rev_length{k}.", 0) for k in range(4)]


def _ranker(**weights):
    """A ranker that reads only the named features (a hand-set model to test the plumbing)."""
    from agent.project.rank import FEATURES, ProjectRanker
    return ProjectRanker(weights=[weights.get(f, 0.0) for f in FEATURES], bias=-1.0)


def test_the_step_that_followed_the_same_step_ranks_first_at_equal_similarity():
    from agent.project.policy import ProjectPolicy
    state = _g("forall n : nat, n + 0 = n")
    # two proofs took a step at the very same state; only the second came after `intros.`
    rows = OTHERS + [(state, "apply plus_n_O.", 0), (state, "intros.", 0), (state, "induction n.", 1)]
    policy = ProjectPolicy(rows, ranker=_ranker(same_prev=3.0))
    after_intros = policy(ProofState(state, path=("intros.",)))
    assert after_intros[0][0] == "induction n.", after_intros
    at_start = policy(ProofState(state))
    assert at_start[0][0] in ("apply plus_n_O.", "intros."), at_start
    assert all(lp <= 0 for _, lp in after_intros)
    # without a place the step before a row is not known: nothing counts as the same
    blind = ProjectPolicy([r[:2] for r in rows], ranker=_ranker(same_prev=3.0))
    assert len({lp for _, lp in blind(ProofState(state, path=("intros.",)))}) == 1


def test_the_bundled_ranker_reads_the_features_it_was_fitted_on_and_prefers_the_same_previous_step():
    from agent.project.policy import ProjectPolicy
    from agent.project.rank import FEATURES, ProjectRanker
    from agent.search.searcher import BUNDLED_MODEL
    r = ProjectRanker.load(f"{BUNDLED_MODEL}/project_rank.json")
    assert tuple(r.features) == FEATURES and r.trained_on["steps"] > 1000
    w = dict(zip(FEATURES, r.weights))
    assert w["max_sim"] > 0 and w["same_prev"] > 0 and w["log_rank"] < 0
    state = _g("forall n : nat, n + 0 = n")
    rows = OTHERS + [(state, "apply plus_n_O.", 0), (state, "intros.", 0), (state, "induction n.", 1)]
    assert ProjectPolicy(rows, ranker=r)(ProofState(state, path=("intros.",)))[0][0] == "induction n."


def test_a_ranker_file_of_other_features_or_no_ranker_at_all_is_a_one_line_error(tmp_path):
    from agent.backends import UsageError
    from agent.project.rank import ProjectRanker
    bad = tmp_path / "r.json"
    bad.write_text('{"features": ["max_sim"], "mean": [0], "scale": [1], "weights": [1], "bias": 0}')
    with pytest.raises(UsageError, match="other features"):
        ProjectRanker.load(str(bad))
    bad.write_text("not json")
    with pytest.raises(UsageError, match="not a project ranker"):
        ProjectRanker.load(str(bad))
    ok = _ranker(max_sim=1.0)
    ok.save(str(tmp_path / "ok.json"))
    again = ProjectRanker.load(str(tmp_path / "ok.json"))
    assert again == ok and math.isclose(math.exp(ok.log_prob([0.0] * len(ok.weights))), 1 / (1 + math.e))


def test_a_project_index_hands_each_step_with_its_place_in_its_proof():
    from agent.project.index import ProjectIndex
    g = [{"hyps": [], "concl": "True"}]
    rows = [{"decl": 0, "theorem": "a", "goals": g, "tactic": "s0."}, {"decl": 0, "theorem": "a", "goals": g, "tactic": "s1."},
            {"decl": 2, "theorem": "b", "goals": g, "tactic": "t0."}]
    index = ProjectIndex(rows, ["a", "x", "b", "c"])
    index.add_file("Dep.v", ProjectIndex([{"decl": 0, "theorem": "d", "goals": g, "tactic": "u0."}], ["d"]))
    assert [(t, k) for _, t, k in index.visible(3)] == [("u0.", 0), ("s0.", 0), ("s1.", 1), ("t0.", 0)]
    assert [t for _, t, _ in index.visible(1)] == ["u0.", "s0.", "s1."]  # never b's own or a later proof


def _corpus(path, name="Lib/File.v"):
    """A traced file where `induction n.` always follows `intros.`: what the ranker can learn."""
    def row(th, k, concl, tactic):
        return {"file": name, "theorem": th, "step": k, "goals": [{"hyps": [], "concl": concl}], "tactic": tactic,
                "next_goals": [], "proved": False, "globals": []}
    rows = []
    for i in range(12):
        concl = f"forall n : nat, n + {i} = {i} + n"
        rows += [row(f"t{i}", 0, concl, "intros."), row(f"t{i}", 1, concl.split(", ", 1)[1], "induction n."),
                 row(f"t{i}", 2, f"0 + {i} = {i} + 0", "simpl."), row(f"t{i}", 3, f"{i} = {i} + 0", "auto.")]
    path.write_text("".join(json.dumps(r) + "\n" for r in rows))


def test_qstar_train_project_rank_fits_a_ranker_from_a_traced_corpus(tmp_path):
    _corpus(tmp_path / "c.jsonl")
    out = tmp_path / "m" / "project_rank.json"
    r = qstar("train", "project-rank", str(tmp_path / "c.jsonl"), "--out", str(out), "--splits", "train,valid,test")
    assert r.returncode == 0, r.stderr
    from agent.model_folder import describe
    from agent.project.rank import ProjectRanker
    ranker = ProjectRanker.load(str(out))
    assert ranker.trained_on["steps"] == 44 and ranker.trained_on["steps_with_the_written_step"] > 30
    assert "project_rank" in describe(str(tmp_path / "m"))["parts"]
    # the file's proofs above, walked as prove meets them: the fitted ranker puts the step first
    from agent.project.rank_train import examples
    rows = [json.loads(line) for line in (tmp_path / "c.jsonl").read_text().splitlines()]
    hits = [labels[0] for _, labels, _ in examples(rows, ranker) if any(labels)]
    assert sum(hits) >= 0.9 * len(hits)


def test_qstar_train_project_rank_on_bad_input_says_so_in_one_line(tmp_path):
    r = qstar("train", "project-rank", str(tmp_path / "missing.jsonl"), "--out", str(tmp_path / "r.json"))
    assert r.returncode == 2 and "no such file" in r.stderr and not (tmp_path / "r.json").exists()
    _corpus(tmp_path / "c.jsonl")
    r = qstar("train", "project-rank", str(tmp_path / "c.jsonl"), "--out", str(tmp_path / "r.json"), "--splits", "none")
    assert r.returncode == 2 and "no file of the none split" in r.stderr and not (tmp_path / "r.json").exists()


def test_the_bundled_model_ranks_the_files_steps_unless_told_otherwise(tmp_path):
    from agent.backends import UsageError
    from agent.search.learners import Learners
    from agent.search.searcher import BUNDLED_MODEL, SearchConfig
    rows = OTHERS + [(_g("forall n : nat, n + 0 = n"), "intros.", 0)]
    on = Learners.load(SearchConfig(retrieval="none"), BUNDLED_MODEL)
    assert on.ranker is not None and on.for_theorem("coq", "t", project=tuple(rows)).project.ranker is on.ranker
    off = Learners.load(SearchConfig(retrieval="none", project_rank="none"), BUNDLED_MODEL)
    assert off.ranker is None and off.for_theorem("coq", "t", project=tuple(rows)).project.ranker is None
    with pytest.raises(UsageError, match="no ranker of the file's own steps"):
        Learners.load(SearchConfig(retrieval="none", project_rank=str(tmp_path / "none.json")), BUNDLED_MODEL)
