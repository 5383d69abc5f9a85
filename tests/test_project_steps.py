"""A bench item whose header is its file above the theorem (the library-files suite) holds the
steps of the human proofs above it, and its search proposes them as their own source (``proj``):
agent/project/items.py, agent/policies/mixed.py."""

import json
import threading
import time

from agent.env import Goal, ProofState
from agent.policies.mixed import MixedPolicy
from conftest import qstar, requires_coq

# `unwrap` is the file's own step: no database, template or automation of qstar writes it, and
# `wrap` is sealed in a module, so nothing but that step opens the goal
HEADER = """Module Type WRAP.
Parameter wrap : nat -> Prop.
Parameter mk : forall n, n + 0 = n -> wrap n.
End WRAP.
Module W : WRAP.
Definition wrap (n : nat) := n + 0 = n.
Definition mk (n : nat) (e : n + 0 = n) : wrap n := e.
End W.
Import W.
Ltac unwrap := refine (mk _ _).
Lemma w1 : wrap 1.
Proof. unwrap. reflexivity. Qed.
"""


def _suite(path):
    rows = [{"name": "w2", "split": "test", "source": "U.v", "header": HEADER, "formal_statement": "Lemma w2 : wrap 2."},
            # w1 itself, with the file above its own statement: its proof is below, never its to see
            {"name": "w1", "split": "test", "source": "U.v", "header": HEADER[:HEADER.index("Lemma w1")],
             "formal_statement": "Lemma w1 : wrap 1."}]
    path.write_text("".join(json.dumps(r) + "\n" for r in rows))
    return str(path)


@requires_coq
def test_bench_proposes_the_steps_of_the_proofs_above_a_theorem_and_never_its_own(tmp_path):
    suite = _suite(tmp_path / "suite.jsonl")
    env = {"XDG_CACHE_HOME": str(tmp_path / "cache"), "PATH": __import__("os").environ["PATH"]}
    got = {}
    for pi in ("on", "off"):
        r = qstar("bench", suite, "--out", str(tmp_path / pi), "--budget", "8", "--workers", "1",
                  "--project-index", pi, env=env)
        assert r.returncode == 0, r.stderr
        got[pi] = {row["id"]: row for row in map(json.loads, (tmp_path / pi / "results.jsonl").read_text().splitlines())}
    on, off = got["on"], got["off"]
    assert on["w2"]["status"] == "proved" and on["w2"]["proof"] == ["unwrap.", "reflexivity."]
    assert "proj" in on["w2"]["proof_sources"][0] and on["w2"]["project_steps"] == 2
    assert "project_steps" not in on["w1"] and on["w1"]["status"] != "proved"  # its own proof stays below
    assert off["w2"]["status"] != "proved" and "project_steps" not in off["w2"]
    summary = json.loads((tmp_path / "on" / "summary.json").read_text())["summary"]
    assert (summary["with_project_steps"], summary["proofs_with_project_step"]) == (1, 1)
    assert summary["project_index"]["files"] == 1 and summary["project_index"]["steps"] == 2
    assert summary["fallbacks"] == {"file_lemmas_unsplit": 0}  # every context split: nothing skipped
    assert list((tmp_path / "cache" / "qstar" / "project-index").glob("index-*.jsonl.gz"))


class _QDouble:  # a test double for Q: it knows nothing of the user's idiom and says so
    def log_q(self, goals, candidates):
        return [-12.0 if t == "unwrap." else -1.0 for t, _ in candidates]


def test_a_step_of_the_users_proofs_keeps_its_own_score_under_q():
    state = ProofState((Goal((), "wrap 2"),))
    proj = lambda s: [("unwrap.", -0.1)]  # noqa: E731
    auto = lambda s: [("auto.", -0.5), ("unwrap.", -3.0)]  # noqa: E731
    ranked = MixedPolicy(None, auto, q=_QDouble(), project=proj, project_weight=1.0)(state)
    assert ranked[0] == ("unwrap.", -0.1), ranked
    without = MixedPolicy(None, auto, q=_QDouble())(state)
    assert without[-1][0] == "unwrap.", without  # Q alone buries it


def test_the_generator_adds_and_generates_one_thread_at_a_time():
    from agent.generator.model import Generator, GeneratorConfig
    import pickle
    gen = Generator(GeneratorConfig())
    copy = pickle.loads(pickle.dumps(gen))  # a Ray worker's copy gets a lock of its own
    assert copy.lock is not gen.lock
    done = []
    gen._add = lambda steps, file="": done.append(steps)  # only the lock is under test here
    with gen.lock:
        t = threading.Thread(target=gen.add, args=([([{"hyps": [], "concl": "True"}], "exact I.")],))
        t.start()
        time.sleep(0.2)
        assert done == []  # waits while another thread holds the generator
    t.join(5)
    assert len(done) == 1


WRAP_A = HEADER.replace("Lemma w1", "Lemma w0 : wrap 0.\nProof. unwrap. reflexivity. Qed.\nLemma w1")


@requires_coq
def test_prove_proposes_the_steps_of_the_project_files_the_file_requires(tmp_path):
    import subprocess
    (tmp_path / "theories" / "sub").mkdir(parents=True)
    (tmp_path / "_CoqProject").write_text("-R theories MyLib\n")
    (tmp_path / "theories" / "sub" / "A.v").write_text(WRAP_A)
    (tmp_path / "theories" / "B.v").write_text("From MyLib Require Import A.\nImport W.\n"
                                               "Lemma w2 : wrap 2.\nProof.\nAdmitted.\n")
    subprocess.run(["coqc", "-R", "theories", "MyLib", "theories/sub/A.v"], cwd=tmp_path, check=True, timeout=120)
    from coq_env.requires import required_files, roots
    args = ("-R", str(tmp_path / "theories"), "MyLib")
    assert roots(args) == [(str(tmp_path / "theories"), "MyLib", True)]
    # -R finds a module by the end of its name; -Q only by its full logical name
    assert required_files(str(tmp_path / "theories" / "B.v"), "Require Import MyLib.sub.A.", args) == \
        required_files(str(tmp_path / "theories" / "B.v"), "From MyLib Require Import A.", args) == \
        [str(tmp_path / "theories" / "sub" / "A.v")]
    assert required_files("B.v", "From MyLib Require Import A.", ("-Q", str(tmp_path / "theories"), "MyLib")) == []
    assert required_files("B.v", "From Coq Require Import Arith.", args) == []  # not the project's
    env = {"XDG_CACHE_HOME": str(tmp_path / "cache"), "PATH": __import__("os").environ["PATH"]}
    r = qstar("prove", "theories/B.v", "--budget", "8", cwd=tmp_path, env=env)
    assert r.returncode == 0, r.stderr
    assert "and 4 steps of 1 project files it requires" in r.stderr, r.stderr
    rep = json.loads((tmp_path / "theories" / "B_proved.report.json").read_text())
    assert rep["summary"]["proved"] == 1 and rep["project_index"]["required_files"] == 1
    assert "unwrap." in (tmp_path / "theories" / "B_proved.v").read_text()
    assert rep["fallbacks"] == {"file_lemmas_unsplit": 0}
    r = qstar("prove", "theories/B.v", "--budget", "8", "--project-index", "off", cwd=tmp_path, env=env)
    assert r.returncode == 0 and json.loads((tmp_path / "theories" / "B_proved.report.json").read_text())["summary"]["proved"] == 0


def test_a_step_of_the_users_proofs_is_proposed_with_its_locals_renamed_to_the_states():
    from agent.env import Hypothesis
    from agent.project.policy import ProjectPolicy, rename
    there = (Goal((Hypothesis(("a", "b"), "R"), Hypothesis(("Hab",), "a <= b")), "Rmin a b = a"),)
    here = (Goal((Hypothesis(("x", "y"), "R"), Hypothesis(("H",), "x <= y")), "Rmin x y = x"),)
    assert rename("destruct (Rle_lt_dec a b).", there, here) == "destruct (Rle_lt_dec x y)."
    assert rename("rewrite Rmin_left; [reflexivity | exact Hab].", there, here) == \
        "rewrite Rmin_left; [reflexivity | exact H]."
    assert rename("intros c d.", there, here) == "intros c d."  # names a step binds stay
    # a local whose name is here too, holding the same kind of thing, keeps it
    same = (Goal((Hypothesis(("b", "a"), "R"), Hypothesis(("Hab",), "b <= a")), "Rmin b a = b"),)
    assert rename("exact Hab.", there, same) == "exact Hab."
    got = dict(ProjectPolicy([(there, "exact Hab."), (there, "lra.")])(ProofState(here)))
    assert set(got) == {"exact H.", "lra."}, got


def test_states_are_compared_with_their_locals_named_by_place():
    from agent.env import Hypothesis
    from agent.project.policy import ProjectPolicy, nameless
    a = (Goal((Hypothesis(("a", "b"), "R"), Hypothesis(("Hab",), "a <= b")), "Rmin a b = a"),)
    x = (Goal((Hypothesis(("x", "y"), "R"), Hypothesis(("H",), "x <= y")), "Rmin x y = x"),)
    assert nameless(a) == nameless(x)
    other = (Goal((Hypothesis(("l",), "list nat"),), "length (rev l) = length l"),)
    policy = ProjectPolicy([(a, "rewrite Rmin_left; [reflexivity | exact Hab]."), (other, "apply rev_length.")]
                           + [(other, f"step{k}.") for k in range(3)])
    got = policy(ProofState(x))
    assert got[0] == ("rewrite Rmin_left; [reflexivity | exact H].", 0.0), got  # the same state: certain


@requires_coq
def test_annotate_offers_the_steps_of_the_proofs_above_at_the_marked_step(tmp_path):
    (tmp_path / "U.v").write_text(HEADER + "Lemma w2 : wrap 2.\nProof. reflexivity. Qed.\n")
    got = {}
    for pi in ("on", "off"):
        r = qstar("annotate", "U.v", "--json", "--theorem", "w2", "--project-index", pi, cwd=tmp_path)
        assert r.returncode == 0, r.stderr
        got[pi] = json.loads(r.stdout)["proofs"][0]
    on, off = got["on"], got["off"]
    assert on["status"] == "rejected" and on["marked"] == 1
    assert {"tactic": "unwrap.", "verdict": "ok"} in [{k: a[k] for k in ("tactic", "verdict")} for a in on["alternatives"]]
    assert on["closing"] and on["closing"][0] == "unwrap."
    assert "unwrap." not in [a["tactic"] for a in off["alternatives"]]
