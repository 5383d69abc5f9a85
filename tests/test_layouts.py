"""Every project layout a Coq user has, proved as the README runs ``qstar prove``, and the added
libraries placed where they change nothing the user wrote.

Each layout is a small project built here the way its user builds it (``coq_makefile`` + ``make``,
or ``dune build``); ``qstar prove`` runs from the project's root and from the file's folder, and
the written file must compile inside the project. ``QSTAR_LAYOUT_FLAGS`` (default ``--model
none``: the load path does not depend on the model) sets the prove flags: ``evals/layouts.sh``
runs the same tests with no flags at all.
"""

import json
import os
import shlex
import shutil
import subprocess
import sys

import pytest

from coq_env.placement import Library, Placement, alternatives, libraries
from coq_env.project import absolute_paths, find_load_path, read_coqproject, read_dune
from agent.env import Theorem
from conftest import ROOT, qstar, requires_coq

FLAGS = shlex.split(os.environ.get("QSTAR_LAYOUT_FLAGS", "--model none"))

# -- the load path, read as coq_makefile reads it --------------------------------------------------


def test_a_logical_name_is_never_taken_for_a_folder(tmp_path):
    (tmp_path / "Lib").mkdir()
    assert absolute_paths(("-R", "Lib", "Lib", "-w", "-deprecated", "-I", "plugin"), str(tmp_path)) == (
        "-R", str(tmp_path / "Lib"), "Lib", "-w", "-deprecated", "-I", str(tmp_path / "plugin"))
    (tmp_path / "_CoqProject").write_text('-R Lib Lib\n-arg "-Q ../vendor V"\n-arg -w\n-arg -notation-overridden\n')
    assert read_coqproject(str(tmp_path / "_CoqProject")) == (
        "-R", str(tmp_path / "Lib"), "Lib", "-Q", os.path.normpath(str(tmp_path / ".." / "vendor")), "V",
        "-w", "-notation-overridden")


def test_every_coq_theory_stanza_of_a_dune_file_is_read(tmp_path):
    (tmp_path / "dune-project").write_text("(lang dune 2.9)\n(using coq 0.3)\n")
    (tmp_path / "theories").mkdir()
    (tmp_path / "theories" / "dune").write_text(
        "(coq.theory\n (name X)\n (modules A))\n; a comment with a ( parenthesis\n(coq.theory (name Y.Z) (modules C))\n")
    assert read_dune(str(tmp_path)) == ("-Q", str(tmp_path / "theories"), "X", "-Q", str(tmp_path / "theories"), "Y.Z")


def test_with_both_project_files_the_build_the_user_ran_wins(tmp_path):
    (tmp_path / "dune-project").write_text("(lang dune 2.9)\n(using coq 0.3)\n")
    (tmp_path / "_CoqProject").write_text("-R theories X\n")
    (tmp_path / "theories").mkdir()
    (tmp_path / "theories" / "dune").write_text("(coq.theory (name X))\n")
    found = find_load_path(str(tmp_path / "theories" / "A.v"))
    assert found.source.endswith("_CoqProject") and "dune has not built it" in found.describe()
    (tmp_path / "_build" / "default" / "theories").mkdir(parents=True)
    (tmp_path / "_build" / "default" / "theories" / "A.vo").write_bytes(b"")
    found = find_load_path(str(tmp_path / "theories" / "A.v"))
    assert found.source.endswith("dune-project") and "dune built it" in found.describe()
    assert found.args == ("-Q", str(tmp_path / "_build" / "default" / "theories"), "X")
    (tmp_path / "theories" / "A.vo").write_bytes(b"")  # and coq_makefile's build beside the sources
    assert find_load_path(str(tmp_path / "theories" / "A.v")).source.endswith("_CoqProject")


# -- the added libraries, placed one by one ---------------------------------------------------------


def test_each_added_library_is_one_unit_with_its_import():
    libs = libraries("From Coq Require Import Lia Lra.\nFrom Hammer Require Import Tactics.\nFrom Coq Require Nsatz.")
    assert libs == [Library("From Coq Require Lia.", "Coq.micromega.Lia"), Library("From Coq Require Lra.", "Coq.micromega.Lra"),
                    Library("From Hammer Require Tactics.", "Hammer.Tactics.Tactics"), Library("From Coq Require Nsatz.")]
    placed = Placement(tuple(libs[:2]), tuple(libs[2:]), "why")
    assert placed.top_of("From Coq Require Lia Lra.\nFrom Hammer Require Tactics.") == (
        "From Coq Require Lia.\nFrom Coq Require Lra.")
    assert placed.requires_above("Import Coq.micromega.Lia Hammer.Tactics.Tactics.",
                                 "From Hammer Require Tactics.\nFrom Coq Require Nsatz.") == (
        "From Hammer Require Tactics.\nFrom Coq Require Nsatz.")
    assert placed.requires_above("Import Coq.micromega.Lia.", "From Hammer Require Tactics.") == ""
    bare = Theorem("t", "Lemma t : True.", "Definition x := 1.\n")
    tries = list(alternatives(bare, "From Coq Require Import Lia Lra.\nFrom Hammer Require Import Tactics."))
    assert [note for _, note in tries][0] == "above the theorem: Coq.micromega.Lia Coq.micromega.Lra Hammer.Tactics.Tactics"
    assert tries[0][0].context == ("Definition x := 1.\nFrom Coq Require Lia.\nFrom Coq Require Lra.\n"
                                   "From Hammer Require Tactics.\nImport Coq.micromega.Lia Coq.micromega.Lra Hammer.Tactics.Tactics.\n")
    assert len(tries) == 4 and all("left out: " in note for _, note in tries[1:])
    assert "Hammer" not in tries[3][0].context and "left out: Hammer.Tactics.Tactics" in tries[3][1]


# An earlier proof that a required library's hints would break: with Arith's (or CoqHammer's, which
# requires Arith, ZArith, List and Bool) hints loaded, `intuition` (auto with *) closes the
# equation itself and the user's next step has no goal left.
INTUITION = """Lemma my_comm : forall n m, n + m = m + n.
Proof. induction n; simpl; intros. { rewrite <- plus_n_O. reflexivity. } rewrite IHn. apply plus_n_Sm. Qed.

Lemma earlier (n m : nat) : True /\\ n + m = m + n.
Proof. intuition. apply my_comm. Qed.

Lemma open_one (n : nat) : 2 * n + 3 > n + 2.
Proof.
Admitted.
"""


@requires_coq
def test_a_library_that_breaks_an_earlier_proof_is_loaded_above_the_theorem(tmp_path):
    broken = tmp_path / "Top.v"
    broken.write_text("From Coq Require Lia.\n" + INTUITION)
    assert subprocess.run(["coqc", "Top.v"], cwd=tmp_path, capture_output=True).returncode != 0  # the hazard is real
    (tmp_path / "F.v").write_text(INTUITION)
    r = qstar("prove", "F.v", "--model", "none", "--budget", "8", cwd=tmp_path)
    assert r.returncode == 0, r.stdout + r.stderr
    rep = json.loads((tmp_path / "F_proved.report.json").read_text())
    assert rep["summary"]["proved"] == 1 and "above each theorem" in rep["imports_placement"], rep
    assert "above each theorem" in r.stderr
    out = (tmp_path / "F_proved.v").read_text()
    assert out.index("From Coq Require Lia.") > out.index("Lemma earlier")  # nothing added above it
    assert subprocess.run(["coqc", "F_proved.v"], cwd=tmp_path, capture_output=True).returncode == 0
    c = qstar("check", "F_proved.v", "--reference", "F.v", cwd=tmp_path)
    assert c.returncode == 0 and "3/3 theorems soundly proved" in c.stdout, c.stdout + c.stderr

    # bench: the same theorem as a suite row is searched with its libraries, not without any
    head = INTUITION[:INTUITION.index("Lemma open_one")]
    row = {"name": "open_one", "split": "test", "header": head,
           "formal_statement": "Lemma open_one (n : nat) : 2 * n + 3 > n + 2."}
    (tmp_path / "suite.jsonl").write_text(json.dumps(row) + "\n")
    r = qstar("bench", "suite.jsonl", "--out", "b", "--model", "none", "--budget", "8", cwd=tmp_path)
    assert r.returncode == 0, r.stderr
    got = json.loads((tmp_path / "b" / "results.jsonl").read_text())
    assert got["status"] == "proved" and not got["prelude_dropped"], got
    assert got["prelude_placed"].startswith("above the theorem: Coq.micromega.Lia")
    assert json.loads((tmp_path / "b" / "summary.json").read_text())["summary"]["prelude_placed"] == 1
    done = subprocess.run([sys.executable, str(ROOT / "evals" / "recheck.py"), "b"], cwd=tmp_path,
                          capture_output=True, text=True, timeout=300)
    assert done.returncode == 0 and "agree 1, disagree 0" in done.stdout, done.stdout + done.stderr


# -- the layouts ----------------------------------------------------------------------------------

A = "Definition two := 2.\n"
B = """From {lib} Require Import A.
{extra}
Lemma open_one (n : nat) : n + two + 1 > n.
Proof.
Admitted.
"""


def _make(root, args: str, folder: str, lib: str, extra_arg: str = ""):
    """A coq_makefile project: ``_CoqProject`` with ``args``, A.v and B.v in ``folder``, built."""
    src = root / folder if folder != "." else root
    src.mkdir(parents=True, exist_ok=True)
    prefix = "" if folder == "." else folder + "/"
    (root / "_CoqProject").write_text(f"{args}\n{extra_arg}\n{prefix}A.v\n{prefix}B.v\n")
    (src / "A.v").write_text(A)
    (src / "B.v").write_text(B.format(lib=lib, extra=""))
    subprocess.run(["coq_makefile", "-f", "_CoqProject", "-o", "Makefile"], cwd=root, check=True, capture_output=True)
    done = subprocess.run(["make"], cwd=root, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stdout + done.stderr
    return src / "B.v"


def _vendor(root):
    """A library outside the project, given through ``-arg`` (relative to the project's root)."""
    v = root.parent / "vendor"
    v.mkdir(exist_ok=True)
    (v / "V.v").write_text("Definition one := 1.\n")
    subprocess.run(["coqc", "-Q", ".", "V", "V.v"], cwd=v, check=True, capture_output=True)


LAYOUTS = {
    "-R Lib Lib": lambda root: _make(root, "-R Lib Lib", "Lib", "Lib"),
    "-R theories X": lambda root: _make(root, "-R theories X", "theories", "X"),
    "-Q src X with -arg": lambda root: (_vendor(root), _make(root, "-Q src X", "src", "X",
                                                               '-arg "-Q ../vendor V"\n-arg -w -arg -notation-overridden'))[1],
    "-R . X": lambda root: _make(root, "-R . X", ".", "X"),
}


def _prove_and_compile(root, source):
    """``qstar prove`` from the project's root and from the file's folder; the written file must
    compile inside the project, with the project's own load path."""
    for cwd in (root, source.parent):
        rel = os.path.relpath(source, cwd)
        r = qstar("prove", rel, *FLAGS, cwd=cwd)
        assert r.returncode == 0 and "Traceback" not in r.stderr, r.stdout + r.stderr
        rep = json.loads(source.with_name("B_proved.report.json").read_text())
        assert rep["summary"]["proved"] == 1, rep["theorems"]
        args = find_load_path(str(source)).args
        done = subprocess.run(["coqc", "-q", *args, str(source.with_name("B_proved.v"))], cwd=root,
                              capture_output=True, text=True, timeout=300)
        assert done.returncode == 0, done.stdout + done.stderr
        os.remove(source.with_name("B_proved.v"))


@requires_coq
@pytest.mark.parametrize("layout", sorted(LAYOUTS))
def test_prove_in_each_layout_from_the_root_and_from_the_files_folder(tmp_path, layout):
    root = tmp_path / "proj"
    root.mkdir()
    _prove_and_compile(root, LAYOUTS[layout](root))


@requires_coq
@pytest.mark.skipif(shutil.which("dune") is None, reason="dune is not installed (apt-get install dune)")
def test_prove_in_a_dune_project_from_the_root_and_from_the_files_folder(tmp_path):
    root = tmp_path / "proj"
    (root / "theories").mkdir(parents=True)
    (root / "dune-project").write_text("(lang dune 2.9)\n(using coq 0.3)\n")
    (root / "theories" / "dune").write_text("(coq.theory\n (name X))\n")
    (root / "theories" / "A.v").write_text(A)
    (root / "theories" / "B.v").write_text(B.format(lib="X", extra=""))
    done = subprocess.run(["dune", "build"], cwd=root, capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stdout + done.stderr
    _prove_and_compile(root, root / "theories" / "B.v")
