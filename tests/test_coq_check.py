"""The sound final check rejects forged Coq proofs; coqc agrees with what it accepts."""

import subprocess

import pytest

from agent.env import Theorem
from coq_env.check import check_file, check_proof
from conftest import requires_coq

pytestmark = requires_coq

ORIGINAL = """Require Import Lia.

Lemma easy_one : forall n : nat, n + 0 = n.
Proof.
Admitted.
"""


def write(tmp_path, name, text):
    p = tmp_path / name
    p.write_text(text, encoding="utf-8")
    return str(p)


def proved(body):
    return ORIGINAL.replace("Proof.\nAdmitted.", f"Proof.\n{body}\nQed.")


def test_real_proof_is_accepted_and_coqc_agrees(tmp_path):
    path = write(tmp_path, "Good.v", proved("intros. lia."))
    ref = write(tmp_path, "Orig.v", ORIGINAL)
    [v] = check_file(path, reference=ref)
    assert v.ok, v.reason
    assert subprocess.run(["coqc", path], cwd=tmp_path, capture_output=True, timeout=120).returncode == 0


@pytest.mark.parametrize("forged,why", [
    (ORIGINAL, "Admitted"),
    (proved("intros. admit."), "admit"),
    (proved("intros. lia.\nAbort.").replace("\nQed.", ""), "Abort"),
])
def test_unfinished_proofs_are_rejected(tmp_path, forged, why):
    path = write(tmp_path, "Forged.v", forged)
    verdicts = check_file(path, reference=write(tmp_path, "Orig.v", ORIGINAL))
    assert verdicts and not any(v.ok for v in verdicts)


def test_axiom_used_in_proof_is_rejected(tmp_path):
    forged = ORIGINAL.replace("Lemma easy_one", "Axiom cheat : forall P : Prop, P.\n\nLemma easy_one")
    forged = forged.replace("Proof.\nAdmitted.", "Proof.\napply cheat.\nQed.")
    ref = write(tmp_path, "Orig.v", ORIGINAL)
    [v] = check_file(write(tmp_path, "Forged.v", forged), reference=ref)
    assert not v.ok and "reference" in v.reason
    # An Axiom smuggled into the proof body is screened out before anything runs.
    th = Theorem("easy_one", "Lemma easy_one : forall n : nat, n + 0 = n.", "Require Import Lia.\n")
    assert not check_proof(th, ("Axiom cheat : forall P : Prop, P.", "apply cheat.")).ok


def test_admitted_helper_is_not_an_acceptable_axiom(tmp_path):
    text = ("Lemma helper : 1 = 2.\nAdmitted.\n\n"
            "Lemma uses_helper : 1 = 2.\nProof.\nexact helper.\nQed.\n")
    verdicts = {v.name: v for v in check_file(write(tmp_path, "H.v", text))}
    assert not verdicts["helper"].ok
    assert not verdicts["uses_helper"].ok and "helper" in verdicts["uses_helper"].reason


def test_changed_statement_is_rejected(tmp_path):
    forged = proved("intros. lia.").replace("n + 0 = n", "n = n")
    [v] = check_file(write(tmp_path, "F.v", forged), reference=write(tmp_path, "O.v", ORIGINAL))
    assert not v.ok and "statement" in v.reason


def test_changed_definition_is_rejected(tmp_path):
    orig = "Definition P := False.\n\nLemma p_holds : ~ P.\nProof.\nAdmitted.\n"
    forged = "Definition P := True.\n\nLemma p_holds : ~ P.\nProof.\nAdmitted.\n".replace(
        "Proof.\nAdmitted.", "Proof.\nunfold P. intro H. exact H.\nQed.")
    [v] = check_file(write(tmp_path, "F.v", forged), reference=write(tmp_path, "O.v", orig))
    assert not v.ok and "outside proofs" in v.reason


def test_check_proof_reinserts_the_original_statement():
    th = Theorem("easy_one", "Lemma easy_one : forall n : nat, n + 0 = n.", "Require Import Lia.\n")
    assert check_proof(th, ("intros.", "lia.")).ok
    assert not check_proof(th, ("intros.",)).ok  # incomplete: coqc refuses Qed
    assert not check_proof(th, ("Qed. Lemma x : True.", "exact I.")).ok
    assert not check_proof(th, ("intros.", "Admitted.")).ok


def test_library_axioms_of_reals_are_accepted():
    th = Theorem("r", "Lemma r : forall x : R, x + 0 = x.", "Require Import Reals.\nOpen Scope R_scope.\n")
    v = check_proof(th, ("intros.", "ring."))
    assert v.ok, v.reason


def test_lemma_inside_open_sections_and_modules_is_checked_in_place():
    ctx = ("Module Type T.\nParameter x : nat.\nEnd T.\n"
           "Module M <: T.\nDefinition x := 0.\nModule Inner := Nat.\n"
           "Section S.\nVariable n : nat.\nHypothesis H : n = 0.\n")
    th = Theorem("uses_h", "Lemma uses_h : n + 0 = 0.", ctx)
    v = check_proof(th, ("rewrite H.", "reflexivity."))
    assert v.ok, v.reason  # section hypotheses are premises, not axioms
    assert not check_proof(th, ("rewrite H.",)).ok
    cheat = Theorem("uses_h", "Lemma uses_h : n + 0 = 0.", ctx + "Axiom cheat : False.\n")
    assert check_proof(cheat, ("destruct cheat.",)).ok  # the context's own axiom (no reference)
    assert not check_proof(th, ("Axiom c2 : False.", "destruct c2.")).ok


FUNCTOR_CTX = """Require Import Coq.Structures.Orders.
Module Type MT.
  Parameter t : Type.
  Parameter z : t.
  Axiom all_z : forall x : t, x = z.
End MT.
Module Type MT2.
  Include MT.
"""


def test_abstract_fields_of_open_functors_and_module_types_are_premises():
    # A module type's own (included) fields: Locate puts them under the checked file.
    th = Theorem("l2", "Lemma l2 : forall x y : t, x = y.", FUNCTOR_CTX)
    v = check_proof(th, ("intros.", "rewrite (all_z x), (all_z y).", "reflexivity."))
    assert v.ok, v.reason
    # A functor's parameters (one imported, one qualified, a "with Module ... :=" signature).
    ctx = FUNCTOR_CTX + "End MT2.\nModule Type S. Declare Module E : MT. End S.\n" \
        "Module F (Import X : MT) (Y : MT) <: S with Module E := X.\nModule E := X.\n"
    for stmt, body in [("forall x y : t, x = y", "intros. rewrite (all_z x), (all_z y). reflexivity."),
                       ("forall x y : Y.t, x = y", "intros. rewrite (Y.all_z x), (Y.all_z y). reflexivity.")]:
        v = check_proof(Theorem("l", f"Lemma l : {stmt}.", ctx), body)
        assert v.ok, v.reason
    # An Admitted lemma of the file stays unacceptable inside a functor, and a wrong proof fails.
    admitted = Theorem("l", "Lemma l : forall x y : Y.t, x = y.",
                       ctx + "Lemma cheat : forall a b : Y.t, a = b.\nProof.\nAdmitted.\n")
    v = check_proof(admitted, ("exact cheat.",))
    assert not v.ok and "Admitted" in v.reason
    assert not check_proof(Theorem("l", "Lemma l : forall x y : Y.t, x = y.", ctx), ("intros.",)).ok
    in_type = Theorem("l3", "Lemma l3 : forall x y : t, x = y.",
                      FUNCTOR_CTX + "Lemma cheat : forall a b : t, a = b.\nProof.\nAdmitted.\n")
    v = check_proof(in_type, ("exact cheat.",))
    assert not v.ok and "Admitted" in v.reason


def test_locate_past_its_deadline_accepts_no_premise(tmp_path):
    # The second coqtop run (Locate) is bounded like the first; when it is killed, no assumption
    # becomes a premise, so the proof is refused rather than waved through.
    from coq_env.check import _is_premise, _locate, open_scopes
    text = FUNCTOR_CTX + "Lemma l2 : forall x y : t, x = y.\nProof. intros. rewrite (all_z x), (all_z y). reflexivity. Qed.\n"
    src = str(tmp_path / "QstarCheck.v")
    cmd = ["coqtop", "-q", "-batch", "-l", src]
    assert _locate(src, text, ["z", "t"], cmd, str(tmp_path), timeout=0.01) == {}
    where = _locate(src, text, ["z", "t"], cmd, str(tmp_path), timeout=60)
    assert where == {"z": "Top.MT2.z", "t": "Top.MT2.t"}
    assert all(_is_premise(p, open_scopes(text), "Top") for p in where.values())


def test_the_locate_pass_gets_the_time_the_compile_left(monkeypatch):
    # One check, one deadline: Locate runs with what the first compile left, not a fresh timeout.
    import coq_env.check as check
    real, seen = check.run_bounded, []

    def spy(cmd, *, timeout, **kw):
        seen.append(timeout)
        return real(cmd, timeout=timeout, **kw)

    monkeypatch.setattr(check, "run_bounded", spy)
    ctx = "Require Import Coq.Structures.OrderedType.\nModule Make (X : OrderedType).\n"
    th = Theorem("l", "Lemma l : forall x : X.t, X.eq x x.", ctx)  # X.eq_refl: a premise found by Locate
    v = check_proof(th, ("intros.", "apply X.eq_refl."), timeout=90)
    assert v.ok, v.reason
    assert len(seen) == 2 and seen[0] == 90 and 0 < seen[1] < 90
