"""The project index (agent/project/index.py): the user's own proofs, traced, reach retrieval for
the theorems below them and never for one above; cached beside the file."""

import dataclasses
import json
from types import SimpleNamespace

import agent.bench.pool as pool
from agent.prove import command
from agent.project.index import ProjectIndex
from conftest import qstar, requires_coq

GOALS = [{"hyps": [], "concl": "True"}]


def _index():
    # declarations in file order: a (proved), b (open), c (proved), d (open)
    rows = [{"decl": 0, "theorem": "a", "goals": GOALS, "tactic": "step_a."},
            {"decl": 2, "theorem": "c", "goals": GOALS, "tactic": "step_c."}]
    return ProjectIndex(rows, ["a", "b", "c", "d"], proofs=2)


def test_each_theorem_gets_the_steps_of_the_proofs_above_it_and_none_below(monkeypatch):
    studied = []
    searcher = SimpleNamespace(study=lambda rows: studied.append([r[1] for r in rows]))  # (goals, step, place)

    class WorkerDouble:  # a test double for the pool's worker: records what retrieval held
        def __init__(self, *a, **kw):
            pass

        def prove(self, item):
            return SimpleNamespace(name=item.theorem.name, held=[t for r in studied for t in r])

        def close(self):
            pass

    monkeypatch.setattr(pool, "Worker", WorkerDouble)
    monkeypatch.setattr(command, "_in_order", lambda backend, texts, th, proofs: SimpleNamespace(theorem=th))
    cfg = SimpleNamespace(workers=1, search=SimpleNamespace(check_timeout=1.0))
    theorems = [SimpleNamespace(name="b"), SimpleNamespace(name="d")]
    got = {r.name: r.held for r in command._prove_all(cfg, None, None, theorems, {}, searcher, {}, _index())}
    assert got == {"b": ["step_a."], "d": ["step_a.", "step_c."]}
    studied.clear()
    cfg.workers = 2  # theorems in any order: only what stands above the first
    monkeypatch.setattr(pool, "run_items", lambda items, **kw: [(it, SimpleNamespace(name=it.theorem.name)) for it in items])
    monkeypatch.setattr(pool, "item_deadline", lambda search: 1.0)
    list(command._prove_all(cfg, None, None, theorems, {}, searcher, {}, _index()))
    assert studied == [["step_a."]]


DOUBLE = """Require Import Arith.
Definition double (n : nat) := n + n.
Lemma double_0 : double 0 = 0.
Proof. unfold double. reflexivity. Qed.
Lemma double_S : forall n, double (S n) = S (S (double n)).
Proof. intro n. unfold double. simpl. rewrite <- plus_n_Sm. reflexivity. Qed.
Lemma double_twice : forall n, double n = 2 * n.
Proof.
Admitted.
Lemma later_one : double 1 = 2.
Proof. unfold double. reflexivity. Qed.
"""


@requires_coq
def test_prove_traces_the_files_proofs_once_and_reads_them_from_the_cache_after(tmp_path):
    (tmp_path / "D.v").write_text(DOUBLE)
    r = qstar("prove", "D.v", "--budget", "16", cwd=tmp_path)
    assert r.returncode == 0, r.stderr
    assert "project index: 9 steps of 3 proofs of the file (traced in" in r.stderr, r.stderr
    rep = json.loads((tmp_path / "D_proved.report.json").read_text())
    assert rep["project_index"]["steps"] == 9 and not rep["project_index"]["cached"]
    assert rep["summary"]["proved"] == 1
    assert list((tmp_path / ".qstar").glob("index-*.jsonl.gz"))
    r = qstar("prove", "D.v", "--budget", "16", cwd=tmp_path)
    assert r.returncode == 0 and "(from the cache)" in r.stderr, r.stderr
    assert json.loads((tmp_path / "D_proved.report.json").read_text())["project_index"]["cached"]
    r = qstar("prove", "D.v", "--budget", "16", "--project-index", "off", cwd=tmp_path)
    assert r.returncode == 0 and "project index" not in r.stderr
    assert json.loads((tmp_path / "D_proved.report.json").read_text())["project_index"] is None


def test_a_symbol_only_the_users_file_uses_weighs_in_the_premise_ranking():
    from collections import Counter

    from agent.learned.premises import Premise, PremiseIndex
    library = [Premise(f"lib_{k}", f"lib_{k} : forall n, n + {k} = {k} + n", "Lib.v", k) for k in range(50)]
    index = PremiseIndex(library, Counter())
    near = index.add(Premise("zz_near", "zz_near : True", "User.v", 900))
    quux = index.add(Premise("quux_all", "quux_all : forall n, quux n", "User.v", 100))
    goals = [{"hyps": [], "concl": "quux 3"}]
    names, x = index.candidates(goals, {}, set(range(len(index.premises))), file="User.v", offset=1000)
    overlap = {n: x[j][2] for j, n in enumerate(names)}
    assert overlap["quux_all"] > 0 and overlap.get("zz_near", 0.0) == 0.0, overlap
    ranked = [n for n, _ in index.rank(names, x)]
    assert ranked.index("quux_all") < ranked.index("zz_near")
    assert (near, quux) == (50, 51)


def test_the_theorem_being_proved_is_never_its_own_premise():
    from collections import Counter
    from types import SimpleNamespace

    from agent.generator.policy import GeneratorPolicy
    from agent.learned.premises import Premise, PremiseIndex
    index = PremiseIndex([Premise("target", "target : True", "Held.v", 10), Premise("other", "other : True", "Lib.v", 5)],
                         Counter())
    generator_double = SimpleNamespace(premises=index)  # a test double: only its premise index is read here
    policy = GeneratorPolicy(generator_double, theorem="Held.v:target", stated=[("target", "target : False", 0)],
                             offset=100)
    names = {index.premises[i].name + "@" + index.premises[i].file for i in policy.allowed}
    assert "target@Held.v" not in names and "other@Lib.v" in names
    assert "target@<this file>" in names  # a lemma above it of the same name is another lemma


def test_a_prover_that_fails_while_tracing_costs_the_steps_not_the_run(tmp_path, capsys):
    from agent.backends import backend_named
    from agent.project.index import build

    coq = backend_named("coq")

    class EnvDouble:  # a test double: the prover the tracer would drive
        def close(self):
            pass

    def dies(env, path, name, timeout, file_timeout):
        raise RuntimeError("coqidetop exited")
    backend = dataclasses.replace(coq, make_env=EnvDouble, trace_file=dies)
    (tmp_path / "D.v").write_text(DOUBLE)
    index = build(backend, str(tmp_path / "D.v"), DOUBLE)
    assert index.rows == [] and index.order[:2] == ["double_0", "double_S"] and not index.cached
    assert "the file's proofs are not traced (RuntimeError: coqidetop exited)" in capsys.readouterr().err
    assert not (tmp_path / ".qstar").exists()  # nothing cached: the next run traces again
