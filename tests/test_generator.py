"""The step generator: skeletons with typed holes, the .glob reader, the corpus tracer's globals
and cap, and `qstar train generator` on a real traced library file, as a user runs them."""

import json
import shutil
import subprocess

import pytest

from agent.generator.skeleton import abstract, fill, holes, kind_of, normalize_step
from conftest import qstar


def test_a_step_becomes_a_skeleton_with_local_global_and_numeral_holes():
    a = abstract("- rewrite (Rplus_comm x 1) in H.", {"x", "H"}, {"Rplus_comm"})
    assert a.skeleton == "rewrite (⟨G0⟩ ⟨L0⟩ ⟨N0⟩) in ⟨L1⟩."
    assert dict(a.args) == {"G0": "Rplus_comm", "L0": "x", "L1": "H", "N0": "1"}
    assert fill(a.skeleton, dict(a.args)) == "rewrite (Rplus_comm x 1) in H."
    assert holes(a.skeleton) == ["G0", "L0", "N0", "L1"] and kind_of(a.skeleton) == "rewrite"
    # names the step binds stay literal; a goal selector and an occurrence number are not numerals
    assert abstract("intros x y Hxy.", set(), set()).skeleton == "intros x y Hxy."
    assert abstract("2: lia.", set(), set()).skeleton == "2: lia."
    a = abstract("rewrite Rbar.Finite at 2.", set(), {"Finite"})
    assert a.skeleton == "rewrite ⟨G0⟩ at 2." and a.args == (("G0", "Rbar.Finite"),)
    assert normalize_step("  + { apply   H.") == "apply H."


@pytest.fixture(scope="module")
def markov_runs(tmp_path_factory):
    """Coquelicot's Markov.v traced and a generator trained on it, by the commands a user runs,
    once for the tests of this module that read them (each test copies nothing: they only read):
    (corpus, model folder, the trace's and the training's completed processes)."""
    d = tmp_path_factory.mktemp("markov")
    corpus, model = d / "steps.jsonl", d / "gen"
    trace = qstar("trace", "lib:Coquelicot/Markov.v", "--out", str(corpus), "--file-timeout", "120")
    assert trace.returncode == 0, trace.stderr
    train = qstar("train", "generator", str(corpus), "--out", str(model), "--splits", "train,valid,test",
                  "--min-count", "1")
    assert train.returncode == 0, train.stderr
    return corpus, model, trace, train


@pytest.fixture
def markov(markov_runs):
    return markov_runs[:2]


def _contrib():
    where = subprocess.run(["coqc", "-where"], capture_output=True, text=True, check=True).stdout.strip()
    return f"{where}/user-contrib/Coquelicot"


def test_glob_references_are_read_only_for_the_text_they_were_written_for(tmp_path):
    from coq_env.glob import GlobIndex, read_glob
    src = f"{_contrib()}/Markov.v"
    refs = read_glob(src)
    assert refs and all(r.name.count(".") >= 1 for r in refs)
    text = open(src, encoding="utf-8").read()
    lemma = text.index("Lemma LPO_ub_dec")
    used = GlobIndex(text, refs).between(lemma, text.index("Qed.", lemma))
    assert "Coquelicot.Markov.LPO_ub_dec" not in used and any(u.startswith("Coq.") for u in used)
    # the same glob beside an edited copy describes another text: not read
    shutil.copy(src.replace(".v", ".glob"), tmp_path / "Markov.glob")
    (tmp_path / "Markov.v").write_text(text + "\n(* edited *)\n", encoding="utf-8")
    assert read_glob(str(tmp_path / "Markov.v")) is None


def test_trace_a_library_file_by_name_then_train_the_generator_and_generate(markov_runs):
    corpus, model, _, r = markov_runs  # `qstar trace lib:Coquelicot/Markov.v`, then `qstar train generator`
    rows = [json.loads(ln) for ln in corpus.read_text(encoding="utf-8").splitlines()]
    done = json.loads((corpus.parent / "steps.jsonl.done.jsonl").read_text(encoding="utf-8"))
    assert done["file"] == "Coquelicot/Markov.v" and done["glob"] == 1 and done["traced"] >= 6
    assert rows and all(isinstance(x["globals"], list) for x in rows)
    assert any("Coq.Reals" in g for x in rows for g in x["globals"])

    assert "trained on" in r.stdout and (model / "train_log.json").exists()
    from agent.generator.model import Generator
    gen = Generator.load(str(model))
    # in-sample, the human step is among the candidates of most states, and a global hole is
    # filled by a premise pointer
    found = 0
    for x in rows[:40]:
        cands = [normalize_step(t) for t, _ in gen.generate(x["goals"], 50)]
        assert len(cands) == len(set(cands))
        found += normalize_step(x["tactic"]) in cands
    assert found >= 20
    with_global = [x for x in rows if any(h.startswith("G") for h in
                                          dict(abstract(x["tactic"], set(), {g.rsplit('.', 1)[-1] for g in x["globals"]}).args))]
    assert with_global
    ranked = [n for n, _ in gen.rank_premises(with_global[0]["goals"], set(range(len(gen.premises.premises))))]
    assert ranked and len(ranked) == len(set(ranked))


def test_train_generator_bad_input_is_one_line_and_exit_2(tmp_path):
    r = qstar("train", "generator", str(tmp_path / "missing.jsonl"), "--out", str(tmp_path / "g"))
    assert r.returncode == 2 and r.stderr.strip().splitlines()[-1].startswith("qstar: error: no such file")
    bad = tmp_path / "bad.jsonl"
    bad.write_text('{"nope": 1}\n', encoding="utf-8")
    r = qstar("train", "generator", str(bad), "--out", str(tmp_path / "g"))
    assert r.returncode == 2 and "not a traced corpus" in r.stderr
    assert not (tmp_path / "g").exists()


@pytest.mark.parametrize("cap", [0.001])
def test_the_per_file_cap_stops_starting_lemmas_and_says_how_many_were_left(tmp_path, cap):
    corpus = tmp_path / "steps.jsonl"
    r = qstar("trace", "lib:Coquelicot/Markov.v", "--out", str(corpus), "--file-timeout", str(cap))
    assert r.returncode == 0, r.stderr
    done = json.loads((tmp_path / "steps.jsonl.done.jsonl").read_text(encoding="utf-8"))
    assert done["capped"] >= 7 and done.get("traced", 0) <= 1


def test_the_generator_is_a_candidate_source_of_search_and_prove_runs_with_it(tmp_path, markov):
    corpus, model = markov
    from agent.env import Theorem
    from agent.search.searcher import SearchConfig, build_searcher
    from coq_env import CoqEnv
    searcher = build_searcher(SearchConfig(model="none", generator=str(model)))
    policy = searcher.make_policy("coq", "t", ("LPO_ub_dec",))
    with CoqEnv() as env:
        state = env.start(Theorem("t", "Lemma t : forall n m : nat, n <= m -> n <= S m.", ""))
        cands = policy(state)
    gen = [t for t, _ in cands if "gen" in policy.sources_of(t)]
    assert gen and any(t.startswith("intros") for t in gen)
    # the user's earlier lemma is a premise the generator's global holes may point at
    assert "LPO_ub_dec" in {policy.parts[0][1].gen.premises.premises[i].name for i in policy.parts[0][1].allowed}
    src = tmp_path / "f.v"
    src.write_text("Lemma t : forall n m : nat, n <= m -> n <= S m.\nProof.\nAdmitted.\n", encoding="utf-8")
    r = qstar("prove", str(src), "--model", "none", "--generator", str(model), "--budget", "8",
              "--output", str(tmp_path / "out.v"))
    assert r.returncode == 0, r.stderr
    r = qstar("prove", str(src), "--generator", str(tmp_path / "nothing"))
    assert r.returncode == 2 and "no generator there" in r.stderr


def test_a_proof_found_in_the_run_is_proposed_at_once_online(tmp_path, markov):
    corpus, model = markov
    from agent.generator.model import Generator
    gen = Generator.load(str(model))
    goals = [{"hyps": [{"names": ["zork"], "type": "quux_frob 3"}], "concl": "quux_frob 4"}]
    step = "apply quux_frob_succ in zork; exact zork."
    assert step not in [t for t, _ in gen.generate(goals, 50)]
    import pickle
    copy = pickle.loads(pickle.dumps(gen))  # a copy per file (evals/project_top1.py), locks anew
    gen.add([(goals, step)], file="mine.v")
    assert gen.generate(goals, 5)[0][0] == step
    assert step not in [t for t, _ in copy.generate(goals, 50)]  # the copy learned nothing of it
    # re-pointed in a state whose hypothesis has another name
    other = [{"hyps": [{"names": ["h"], "type": "quux_frob 3"}], "concl": "quux_frob 4"}]
    assert "apply quux_frob_succ in h; exact h." in [t for t, _ in gen.generate(other, 10)]

    # expert iteration: a round's generator is the corpus's plus every proof checked so far, saved
    # as a folder the next round's search loads (a stored search record, as collect writes it)
    from agent.learning.iterate import train_generator_round
    records = tmp_path / "records.jsonl"
    tree = {"proof": [step], "nodes": [{"id": 0, "parent": None, "goals": goals}],
            "edges": [{"src": 0, "dst": None, "tactic": step, "outcome": "proved"}]}
    records.write_text(json.dumps({"name": "frob", "status": "proved", "tree": tree}) + "\n"
                       + json.dumps({"name": "other", "status": "failed", "tree": tree}) + "\n", encoding="utf-8")
    assert train_generator_round(str(model), str(tmp_path / "round1"), [str(records)]) == 1
    again = Generator.load(str(tmp_path / "round1"))
    assert len(again.row_skeleton) == len(Generator.load(str(model)).row_skeleton) + 1
    assert again.generate(goals, 5)[0][0] == step
    # a generator trained on one library only: none of this corpus is the standard library's
    r = qstar("train", "generator", str(corpus), "--out", str(tmp_path / "std"), "--splits", "train,valid,test",
              "--libraries", "Coq")
    assert r.returncode == 2 and "no row of the train,valid,test split in Coq" in r.stderr.strip().splitlines()[-1]


def test_the_lemmas_above_the_theorem_in_its_file_are_ranked_premises_with_their_statements(tmp_path, markov):
    corpus, model = markov
    from agent.backends import backend_named
    from agent.generator.model import Generator
    from agent.generator.policy import HERE, GeneratorPolicy
    context = ("Definition quux (n : nat) := n <= n.\n"
               "Lemma quux_frob_all : forall n : nat, quux n.\nProof. intros n; apply le_n. Qed.\n"
               "Lemma unrelated_later : True.\nProof. exact I. Qed.\n")
    stated = backend_named("coq").lemma_statements(context)
    assert [n for n, _, _ in stated] == ["quux_frob_all", "unrelated_later"]
    assert stated[0][1] == "Lemma quux_frob_all : forall n : nat, quux n."
    gen = Generator.load(str(model))
    policy = GeneratorPolicy(gen, stated=stated, offset=len(context))
    goals = [{"hyps": [], "concl": "quux 3"}]
    ranked = [n for n, _ in gen.rank_premises(goals, policy.allowed, file=HERE, offset=policy.offset)]
    assert "quux_frob_all" in ranked[:10]
    # each theorem of a file adds the lemmas above it: added once, not once per theorem
    size = len(gen.premises.premises)
    GeneratorPolicy(gen, stated=stated, offset=len(context))
    assert len(gen.premises.premises) == size
    # another file's theorem (proved later by the same worker) does not see this file's lemmas
    other = GeneratorPolicy(gen, stated=[("zz_other", "Lemma zz_other : True.", 0)], offset=100)
    ranked = [n for n, _ in gen.rank_premises(goals, other.allowed, file=HERE, offset=other.offset)]
    assert "quux_frob_all" not in ranked and "unrelated_later" not in ranked


def test_a_tactic_named_like_a_global_stays_literal():
    # without a .glob, `apply` and `reflexivity` may be known as globals (some library states one)
    known = {"apply", "reflexivity", "split", "Rabs_pos"}
    assert abstract("apply Rabs_pos.", set(), known).skeleton == "apply ⟨G0⟩."
    assert abstract("split; [apply H | reflexivity].", {"H"}, known).skeleton == "split; [apply ⟨L0⟩ | reflexivity]."
    assert abstract("now rewrite (Rabs_pos x + y).", {"x", "y"}, known).skeleton == "now rewrite (⟨G0⟩ ⟨L0⟩ + ⟨L1⟩)."
