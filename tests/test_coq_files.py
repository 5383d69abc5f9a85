import shutil
import subprocess

from coq_env.files import open_theorems, parse_coq_file, skeleton, with_proofs

SRC = """Require Import Lia.
(* Lemma commented_out : False. Admitted. *)
Definition two := 2.

Lemma done_already : two = 2.
Proof. reflexivity. Qed.

Theorem open_one : forall n, n + 0 = n.
Proof.
  intros.
Admitted.

Lemma with_admit : 1 = 1 /\\ 2 = 2.
Proof. split. reflexivity. admit. Qed.

Example no_proof_keyword : True.
Admitted.
"""


def test_finds_theorems_and_open_ones():
    decls = parse_coq_file(SRC)
    assert [d.name for d in decls] == ["done_already", "open_one", "with_admit", "no_proof_keyword"]
    opened = open_theorems(SRC)
    assert [t.name for t in opened] == ["open_one", "with_admit", "no_proof_keyword"]
    t = opened[0]
    assert t.statement == "Theorem open_one : forall n, n + 0 = n."
    assert t.context.endswith("Qed.\n\n") and "Definition two" in t.context


def test_write_back_keeps_statements_and_everything_else():
    out = with_proofs(SRC, {"open_one": ("intros.", "lia."), "no_proof_keyword": ("exact I.",)})
    assert "Theorem open_one : forall n, n + 0 = n.\nProof.\n  intros.\n  lia.\nQed." in out
    assert "Example no_proof_keyword : True.\nProof.\n  exact I.\nQed." in out
    assert "Proof. split. reflexivity. admit. Qed." in out  # not proved: untouched
    assert skeleton(out) == skeleton(SRC)
    assert [t.name for t in open_theorems(out)] == ["with_admit"]


MODULES = """Lemma top : True. Proof. exact I. Qed.
Module M.
Lemma in_m : True. Proof. exact I. Qed.
Section S.
Lemma in_s : True. Proof. exact I. Qed.
End S.
Module N.
Lemma in_n : True. Proof. exact I. Qed.
End N.
End M.
Module Type T.
Axiom ax_t : True.
End T.
Module O.
Lemma in_o : True. Proof. exact I. Qed.
"""


def test_file_lemmas_are_named_as_the_next_sentence_resolves_them(tmp_path):
    from coq_env.files import lemma_statements, usable_lemmas
    names = usable_lemmas(MODULES)
    assert names == ["in_o", "M.N.in_n", "M.in_s", "M.in_m", "top"]  # none of a module type
    assert [n for n, _, _ in lemma_statements(MODULES)] == ["top", "M.in_m", "M.in_s", "M.N.in_n", "in_o"]
    if shutil.which("coqc"):  # each name resolves at the point the next theorem stands
        (tmp_path / "Mods.v").write_text(MODULES + "".join(f"Check {n}.\n" for n in names) + "End O.\n")
        done = subprocess.run(["coqc", "Mods.v"], cwd=tmp_path, capture_output=True, text=True, timeout=120)
        assert done.returncode == 0, done.stdout + done.stderr


def test_a_context_that_cannot_be_split_is_said_and_counted_for_the_runs_summary(capsys, monkeypatch):
    import coq_env.files
    from agent.backends import backend_named
    monkeypatch.setattr(coq_env.files, "_SAID", set())  # said once per error in a process: this test's own
    coq = backend_named("coq")
    before = coq.fallbacks()["file_lemmas_unsplit"]
    text = "Lemma a : True.\nProof. exact I. Qed.\n(* a comment never closed\n"
    assert coq.usable_lemmas(text) == [] and coq.usable_lemmas(text) == []
    assert coq.fallbacks()["file_lemmas_unsplit"] == before + 1  # one context, however often asked
    assert "the file's earlier lemmas are not offered" in capsys.readouterr().err


def test_a_proof_left_open_without_a_proof_keyword_stays_a_separate_sentence():
    # "Theorem t : T.\nsimpl; auto.\nQed." (no Proof.): the proof starts at the statement's period
    from coq_env.sentences import split_sentences
    from coq_env.trace import admit_proofs
    text = "Theorem a : True.\nexact I.\nQed.\nTheorem b : 1 = 1.\nreflexivity.\nQed.\n"
    out = admit_proofs(text, {1})
    assert "Theorem b : 1 = 1. Admitted." in out and "exact I." in out
    assert [s.text.strip() for s in split_sentences(out)][-2:] == ["Theorem b : 1 = 1.", "Admitted."]
