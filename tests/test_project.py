"""A user's Coq project: its load path found as coq_makefile finds it, the user's sentences left
meaning what they meant, the file's own closing rules obeyed, and one line for what is not built."""

import json
import os
import subprocess

from coq_env.project import LoadPath, find_load_path, read_dune, unbuilt
from conftest import qstar, requires_coq


def test_the_load_path_is_the_first_project_file_above_the_source(tmp_path):
    (tmp_path / "theories" / "sub").mkdir(parents=True)
    (tmp_path / "_CoqProject").write_text(
        "# a comment\n-Q theories Lib\n-R vendor Vendor\n-I plugin\n-arg \"-w -notation-overridden\"\n"
        "-docroot docs\ntheories/Foo.v\n")
    found = find_load_path(str(tmp_path / "theories" / "sub" / "Foo.v"))
    assert found.source == str(tmp_path / "_CoqProject")
    assert found.args == ("-Q", str(tmp_path / "theories"), "Lib", "-R", str(tmp_path / "vendor"), "Vendor",
                          "-I", str(tmp_path / "plugin"), "-w", "-notation-overridden")
    assert "_CoqProject" in found.describe()
    assert find_load_path("/no/project/here/Foo.v") == LoadPath()

    dune = tmp_path / "d"
    (dune / "theories").mkdir(parents=True)
    (dune / "dune-project").write_text("(lang dune 3.0)\n(using coq 0.6)\n")
    (dune / "theories" / "dune").write_text("(coq.theory\n (name My.Lib)\n (theories Stdlib))\n")
    assert find_load_path(str(dune / "theories" / "A.v")).args == ("-Q", str(dune / "theories"), "My.Lib")
    (dune / "_build" / "default" / "theories").mkdir(parents=True)  # built: the compiled copy
    assert read_dune(str(dune)) == ("-Q", str(dune / "_build" / "default" / "theories"), "My.Lib")


def test_a_module_not_found_or_not_built_is_one_line_that_says_what_to_run(tmp_path):
    (tmp_path / "_CoqProject").write_text("-Q theories Lib\n")
    lp = find_load_path(str(tmp_path / "theories" / "Foo.v"))
    why = unbuilt("Error: Cannot find a physical path bound to logical path\nSibling with prefix Lib.\n", lp)
    assert why.startswith("module Lib.Sibling is not found") and f"cd {tmp_path} && make" in why
    assert "\n" not in why
    assert unbuilt("Error: The reference foo was not found in the current environment.", lp) is None


SIBLING = """Definition two := 2.
(* the project's own tactic, named like a library's: a prelude that imports micromega's lra
   above this file's sentences would make the earlier proof below call the wrong one *)
Ltac lra := reflexivity.
"""

FOO = """Require Import Arith.
From Lib Require Import Sibling.

Lemma earlier : two + two = 4.
Proof. lra. Qed.

Lemma two_less : forall n : nat, n < two * n + 1.
Proof.
Admitted.

Section S.
Set Default Proof Using "Type".
Variable h : nat.
Hypothesis Hh : h = 0.

(* lia proves it with Hh, which the statement does not mention: Qed refuses that proof here *)
Lemma uses_h : h + 1 = S h.
Proof.
Admitted.
End S.
"""


def _project(tmp_path):
    (tmp_path / "theories").mkdir()
    (tmp_path / "_CoqProject").write_text("-Q theories Lib\ntheories/Sibling.v\ntheories/Foo.v\n")
    (tmp_path / "theories" / "Sibling.v").write_text(SIBLING)
    (tmp_path / "theories" / "Foo.v").write_text(FOO)


def _coqc(tmp_path, path):
    return subprocess.run(["coqc", "-Q", "theories", "Lib", path], cwd=tmp_path, capture_output=True,
                          text=True, timeout=300)


@requires_coq
def test_prove_a_file_of_a_project_from_its_root_with_no_flags(tmp_path):
    _project(tmp_path)
    r = qstar("prove", "theories/Foo.v", "--model", "none", "--budget", "16", cwd=tmp_path)
    assert r.returncode == 2, r.stdout + r.stderr  # the user has not built the project yet
    assert r.stderr.count("\n") == 1 and "module Lib.Sibling is not found" in r.stderr, r.stderr
    assert "make" in r.stderr and not (tmp_path / "theories" / "Foo_proved.v").exists()

    assert _coqc(tmp_path, "theories/Sibling.v").returncode == 0
    r = qstar("prove", "theories/Foo.v", "--model", "none", "--budget", "16", cwd=tmp_path)
    assert r.returncode == 0, r.stdout + r.stderr
    rep = json.loads((tmp_path / "theories" / "Foo_proved.report.json").read_text())
    assert "_CoqProject" in rep["load_path"] and "_CoqProject" in r.stderr
    s = rep["summary"]
    assert (s["proved"], s["error"], s["theorems"]) == (2, 0, 2), rep["theorems"]
    assert all(t["stop_reason"] != "rejected" for t in rep["theorems"])
    out = (tmp_path / "theories" / "Foo_proved.v").read_text()
    assert out.index("Lemma earlier") < min(out.index(ln) for ln in rep["added_imports"] if ln.startswith("Import"))
    done = _coqc(tmp_path, "theories/Foo_proved.v")  # the written file compiles inside the project
    assert done.returncode == 0, done.stdout + done.stderr
    c = qstar("check", "theories/Foo_proved.v", "--reference", "theories/Foo.v", cwd=tmp_path)
    assert c.returncode == 0 and "3/3 theorems soundly proved" in c.stdout, c.stdout + c.stderr
    os.remove(tmp_path / "theories" / "Sibling.vo")
    c = qstar("check", "theories/Foo_proved.v", cwd=tmp_path)
    assert c.returncode == 2 and "module Lib.Sibling is not found" in c.stderr, c.stderr


@requires_coq
def test_a_file_of_an_installed_library_is_read_in_its_logical_path():
    from coq_env.stdlib import coq_where
    contrib = os.path.join(coq_where(), "user-contrib")
    libs = sorted(d for d in os.listdir(contrib) if os.path.isdir(os.path.join(contrib, d))) if os.path.isdir(contrib) else []
    if not libs:
        import pytest
        pytest.skip("no library installed under user-contrib")
    lib = libs[0]
    found = find_load_path(os.path.join(contrib, lib, "Some.v"))
    assert found.args == ("-R", os.path.join(contrib, lib), lib) and "installed library" in found.describe()
    assert find_load_path(os.path.join(coq_where(), "theories", "Lists", "List.v")) == LoadPath()
