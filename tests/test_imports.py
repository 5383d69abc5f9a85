"""Imports the prover may add: tactic libraries in, anything else out."""

import json
import subprocess

from coq_env.imports import AUTO_LINE, import_line, insert_imports, is_import
from conftest import qstar, requires_coq


def test_the_line_goes_after_the_files_own_imports():
    src = "(* a header *)\nRequire Import Reals.\nOpen Scope R_scope.\nLemma a : True.\nProof.\nAdmitted.\n"
    out = insert_imports(src, AUTO_LINE)
    assert out == ("(* a header *)\nRequire Import Reals.\n" + AUTO_LINE + "\nOpen Scope R_scope.\n"
                   "Lemma a : True.\nProof.\nAdmitted.\n")
    assert insert_imports("Lemma a : True.\nProof.\nAdmitted.\n", AUTO_LINE).startswith(AUTO_LINE + "\nLemma")
    assert insert_imports(src, "") == src
    assert import_line("none") == "" and import_line("auto") == AUTO_LINE
    assert import_line("Coq.micromega.Lia,Coquelicot.Coquelicot") == \
        "Require Import Coq.micromega.Lia Coquelicot.Coquelicot."
    assert is_import("From Coq Require Import Lia.") and not is_import("Definition x := 1.")


@requires_coq
def test_prove_adds_the_tactic_libraries_and_check_accepts_them(tmp_path):
    src = tmp_path / "raw.v"
    src.write_text("Require Import Arith.\nOpen Scope nat_scope.\n\n"
                   "Theorem t : forall a b c : nat, a < b -> b < c -> 2 * a + 2 < 2 * c.\nProof.\nAdmitted.\n")
    out = tmp_path / "raw_proved.v"
    r = qstar("prove", str(src), "--model", "none", "--budget", "4", "--imports", "none")
    assert r.returncode == 0, r.stderr
    assert json.loads((tmp_path / "raw_proved.report.json").read_text())["summary"]["proved"] == 0
    assert out.read_text() == src.read_text()  # no proof: the user's text, nothing added
    r = qstar("prove", str(src), "--model", "none", "--budget", "4")
    assert r.returncode == 0, r.stderr
    rep = json.loads((tmp_path / "raw_proved.report.json").read_text())
    # Lra, Psatz, Field and CoqHammer's Tactics were loaded for the search, but the proof is lia:
    # the library is loaded after the file's imports, and imported only right above the theorem
    lines = ["From Coq Require Lia.", "Import Coq.micromega.Lia."]
    assert rep["summary"]["proved"] == 1 and rep["added_imports"] == lines
    assert out.read_text().startswith("Require Import Arith.\nFrom Coq Require Lia.\nOpen Scope nat_scope.\n\n"
                                      "Import Coq.micromega.Lia.\nTheorem t")
    c = qstar("check", str(out), "--reference", str(src))
    assert c.returncode == 0 and "ok    t" in c.stdout, c.stdout
    assert "added From Coq Require Lia." in c.stdout and "Tactics" not in out.read_text(), c.stdout


@requires_coq
def test_check_refuses_an_added_import_of_a_file_beside_the_source(tmp_path):
    (tmp_path / "Helper.v").write_text("Lemma cheat : 1 = 2.\nAdmitted.\n")
    assert subprocess.run(["coqc", "Helper.v"], cwd=tmp_path, capture_output=True, timeout=120).returncode == 0
    ref = tmp_path / "orig.v"
    ref.write_text("Lemma t : True.\nProof.\nAdmitted.\n")
    sneaky = tmp_path / "sneaky.v"
    sneaky.write_text("Require Import Helper.\nLemma t : True.\nProof.\nexact I.\nQed.\n")
    c = qstar("check", str(sneaky), "--reference", str(ref))
    assert c.returncode == 1 and "not a library installed with the prover" in c.stdout, c.stdout
    other = tmp_path / "other.v"
    other.write_text("Definition x := 1.\nLemma t : True.\nProof.\nexact I.\nQed.\n")
    c = qstar("check", str(other), "--reference", str(ref))
    assert c.returncode == 1 and "adds a sentence" in c.stdout, c.stdout
