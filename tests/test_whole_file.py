"""Whole files: theorems in file order, a proved lemma usable by the later ones, an unproved one
never in any context."""

import json

from coq_env.files import context_in_order, usable_lemmas
from conftest import qstar, requires_coq

HEADER = ("Parameter P : nat -> Prop.\nAxiom P0 : P 0.\nAxiom PS : forall n, P n -> P (S n).\n\n")
LEMMAS = ("Lemma l1 : P 1.\nProof.\nAdmitted.\n\n"
          "Lemma l2 : True.\nProof.\nAdmitted.\n\n"
          "{l3}\nProof.\nAdmitted.\n\n"
          "Lemma l4 : P 0 /\\ True.\nProof.\nAdmitted.\n\n"
          "Lemma l5 : forall n, P n -> P (S (S (S (S n)))).\nProof.\nAdmitted.\n")
GOOD_L3 = "Lemma l3 : forall n, P n -> P (S (S n))."
BAD_L3 = "Lemma l3 : forall n, P n -> P (S (S (S (S n)))) -> P 0 -> False."  # false: unprovable


def test_context_in_order_carries_found_proofs_and_cuts_unproved_lemmas():
    text = HEADER + LEMMAS.format(l3=GOOD_L3)
    ctx = context_in_order(text, {"l1": ("apply PS.", "apply P0.")}, "l5")
    assert "Lemma l1 : P 1.\nProof.\n  apply PS.\n  apply P0.\nQed." in ctx
    assert "Lemma l2" not in ctx and "Lemma l3" not in ctx and "Lemma l4" not in ctx
    assert "Admitted" not in ctx and ctx.startswith(HEADER)
    assert usable_lemmas(ctx) == ["l1", "PS", "P0"]


@requires_coq
def test_a_later_lemma_uses_a_proved_earlier_one_and_never_an_unproved_one(tmp_path):
    args = ("--model", "none", "--budget", "30", "--timeout", "60")
    src = tmp_path / "five.v"
    src.write_text(HEADER + LEMMAS.format(l3=GOOD_L3))
    r = qstar("prove", str(src), *args)
    assert r.returncode == 0, r.stderr
    rep = json.loads((tmp_path / "five_proved.report.json").read_text())
    by = {t["name"]: t for t in rep["theorems"]}
    assert all(t["status"] == "proved" for t in by.values()), by
    assert any("l3" in step for step in by["l5"]["proof"])  # lemma 5 is proved through lemma 3
    c = qstar("check", str(tmp_path / "five_proved.v"), "--reference", str(src))
    assert c.returncode == 0, c.stdout

    bad = tmp_path / "bad.v"
    bad.write_text(HEADER + LEMMAS.format(l3=BAD_L3))
    r = qstar("prove", str(bad), *args)
    assert r.returncode == 0, r.stderr
    by = {t["name"]: t for t in json.loads((tmp_path / "bad_proved.report.json").read_text())["theorems"]}
    assert by["l3"]["status"] != "proved"
    assert by["l5"]["status"] != "proved" or not any("l3" in step for step in by["l5"]["proof"])
    c = qstar("check", str(tmp_path / "bad_proved.v"), "--reference", str(bad))
    assert "FAIL  l3" in c.stdout and ("ok    l5" in c.stdout) == (by["l5"]["status"] == "proved")


@requires_coq
def test_workers_prove_the_open_theorems_apart_and_the_written_file_is_checked_whole(tmp_path):
    src = tmp_path / "five.v"
    src.write_text(HEADER + LEMMAS.format(l3=GOOD_L3))
    r = qstar("prove", str(src), "--model", "none", "--budget", "30", "--timeout", "60", "--workers", "2")
    assert r.returncode == 0, r.stderr
    rep = json.loads((tmp_path / "five_proved.report.json").read_text())
    by = {t["name"]: t for t in rep["theorems"]}
    assert sorted(by) == ["l1", "l2", "l3", "l4", "l5"] and rep["not_attempted"] == []
    assert all(by[n]["status"] == "proved" for n in ("l1", "l2", "l3", "l4")), by
    for t in by.values():  # each was proved without the other open theorems in its context
        assert not any(f"l{i}" in step for step in t["proof"] or () for i in range(1, 6)), t
    c = qstar("check", str(tmp_path / "five_proved.v"), "--reference", str(src))
    assert all(f"ok    l{i}" in c.stdout for i in range(1, 5)), c.stdout
    assert ("ok    l5" in c.stdout) == (by["l5"]["status"] == "proved"), c.stdout  # l5 without l3: maybe not
    r = qstar("prove", str(src), "--workers", "0")
    assert r.returncode == 2 and "--workers must be at least 1" in r.stderr
