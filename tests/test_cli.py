"""Smoke runs of ``qstar prove`` and ``qstar check`` on the bundled example, and bad input."""

import json
import os
import shutil
import subprocess
from pathlib import Path

import pytest

from conftest import qstar, requires_coq, from_a_terminal

ROOT = Path(__file__).resolve().parents[1]



@requires_coq
def test_prove_then_check_the_bundled_example(tmp_path):
    src = tmp_path / "arith.v"
    shutil.copy(ROOT / "examples" / "arith.v", src)
    out, report = tmp_path / "arith_proved.v", tmp_path / "report.json"
    r = qstar("prove", str(src), "--output", str(out), "--report", str(report), "--budget", "40")
    assert r.returncode == 0, r.stderr
    rep = json.loads(report.read_text())
    records = rep["theorems"]
    assert len(records) == 13 and rep["config"]["search"]["budget"] == 40
    assert {"name", "status", "proof", "expansions", "seconds", "stop_reason"} <= set(records[0])
    proved = [t for t in records if t["status"] == "proved"]
    assert len(proved) >= 11
    assert src.read_text() == (ROOT / "examples" / "arith.v").read_text()  # input untouched
    c = qstar("check", str(out), "--reference", str(src))
    for t in proved:  # every proof the prover reported passes the independent check
        assert f"ok    {t['name']}" in c.stdout
    assert (c.returncode == 0) == (len(proved) == 13)
    assert subprocess.run(["coqc", out.name], cwd=tmp_path, capture_output=True, timeout=120).returncode == 0


@requires_coq
def test_check_fails_on_an_unproved_file():
    r = qstar("check", "examples/arith.v")
    assert r.returncode == 1 and "FAIL" in r.stdout and "Admitted" in r.stdout


@pytest.mark.parametrize("name,text,needle", [
    ("missing.v", None, "no such file"),
    ("notes.txt", "hello", "unknown extension"),
    ("closed.v", "Lemma a : True.\nProof. exact I. Qed.\n", "no open theorem"),
    ("broken.v", "Lemma a : True.\nProof. (* never closed\nAdmitted.\n", "cannot parse"),
])
def test_bad_input_is_one_line_and_writes_nothing(tmp_path, name, text, needle):
    path = tmp_path / name
    if text is not None:
        path.write_text(text)
    out = tmp_path / "out.v"
    r = qstar("prove", str(path), "--output", str(out))
    assert r.returncode == 2
    assert needle in r.stderr and "Traceback" not in r.stderr
    assert len(r.stderr.strip().splitlines()) == 1
    assert not out.exists()
    assert sorted(os.listdir(tmp_path)) == sorted([name] if text is not None else [])


def test_check_bad_input():
    r = qstar("check", "no/such/file.lean")
    assert r.returncode == 2 and "no such file" in r.stderr


@pytest.mark.skipif(shutil.which("lake") is not None, reason="a Lean toolchain is present: the real run is tested instead")
def test_lean_file_without_toolchain_is_a_clear_error(tmp_path):
    out = tmp_path / "basic_proved.lean"
    r = qstar("prove", "examples/basic.lean", "--output", str(out))
    assert r.returncode == 2 and "Lean toolchain not found" in r.stderr and not out.exists()


@pytest.mark.lean
@pytest.mark.skipif(shutil.which("lake") is None, reason="needs a Lean toolchain: `lake` is not on PATH")
def test_prove_then_check_the_lean_example(tmp_path):
    out, report = tmp_path / "basic_proved.lean", tmp_path / "report.json"
    r = qstar("prove", "examples/basic.lean", "--output", str(out), "--report", str(report))
    assert r.returncode == 0, r.stderr
    proved = [t for t in json.loads(report.read_text())["theorems"] if t["status"] == "proved"]
    assert len(proved) >= 6
    c = qstar("check", str(out), "--reference", "examples/basic.lean")
    for t in proved:
        assert f"ok    {t['name']}" in c.stdout


@requires_coq
def test_statement_that_does_not_load_is_reported_as_error(tmp_path):
    src = tmp_path / "mixed.v"
    src.write_text("Lemma good : True.\nProof.\nAdmitted.\n\n"
                   "Lemma bad : no_such_constant = 1.\nProof.\nAdmitted.\n")
    report = tmp_path / "r.json"
    r = qstar("prove", str(src), "--report", str(report), "--budget", "8")
    assert r.returncode == 0, r.stderr
    rec = {t["name"]: t for t in json.loads(report.read_text())["theorems"]}
    assert rec["good"]["status"] == "proved"
    assert rec["bad"]["status"] == "error" and rec["bad"]["stop_reason"] == "statement_error"
    assert "no_such_constant" in rec["bad"]["message"]


def _dead_prover(tmp_path) -> dict:
    """An environment whose coqidetop exits at once (coqc and coqtop stay the real ones)."""
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir(exist_ok=True)
    fake = bin_dir / "coqidetop.opt"
    fake.write_text("#!/bin/sh\nexit 1\n")
    fake.chmod(0o755)
    return {**os.environ, "PATH": f"{bin_dir}{os.pathsep}{os.environ['PATH']}"}


@requires_coq
def test_a_prover_that_dies_is_an_internal_error_not_the_users_statement(tmp_path):
    src = tmp_path / "two.v"
    src.write_text("Lemma a : True.\nProof.\nAdmitted.\n\nLemma b : 1 = 1.\nProof.\nAdmitted.\n")
    r = qstar("prove", str(src), "--model", "none", env=_dead_prover(tmp_path))
    assert r.returncode == 3, r.stdout + r.stderr
    assert "2 theorem(s) hit an internal error" in r.stderr
    s = json.loads((tmp_path / "two_proved.report.json").read_text())["summary"]
    assert (s["internal_error"], s["statement_error"], s["proved"]) == (2, 0, 0)
    again = qstar("prove", str(tmp_path / "two_proved.v"), "--model", "none")  # the prover is back
    assert again.returncode == 0 and "proved 2/2" in again.stdout, again.stdout + again.stderr

    suite = tmp_path / "s.jsonl"
    suite.write_text("".join(json.dumps({"name": n, "split": "test", "header": "", "formal_statement": st}) + "\n"
                             for n, st in (("a", "Lemma a : True."), ("b", "Lemma b : 1 = 1."))))
    run = ["bench", str(suite), "--out", str(tmp_path / "run"), "--prelude", "", "--model", "none"]
    r = qstar(*run, env=_dead_prover(tmp_path))
    assert r.returncode == 3 and "internal errors 2" in r.stdout, r.stdout + r.stderr
    r = qstar(*run, "--resume")  # runs the two again
    rows = [json.loads(x) for x in (tmp_path / "run" / "results.jsonl").read_text().splitlines()]
    assert r.returncode == 0 and sorted((x["name"], x["status"]) for x in rows) == [("a", "proved"), ("b", "proved")]


def test_iterate_exits_3_when_a_run_in_its_folder_hit_an_internal_error(tmp_path):
    from agent.learning.iterate import _internal_errors
    (tmp_path / "round_0" / "eval").mkdir(parents=True)
    log = tmp_path / "round_0" / "eval" / "results.jsonl"
    log.write_text(json.dumps({"id": "x", "stop_reason": "budget"}) + "\n")
    assert _internal_errors(str(tmp_path)) == 0
    log.write_text(log.read_text() + json.dumps({"id": "y", "stop_reason": "internal_error"}) + "\n")
    assert _internal_errors(str(tmp_path)) == 3


@requires_coq
@pytest.mark.skipif(not (ROOT / "agent" / "default_model" / "knn.jsonl.gz").exists(),
                    reason="no bundled model in this checkout (agent/default_model)")
def test_prove_uses_the_bundled_model_for_coq_by_default(tmp_path):
    src = tmp_path / "two.v"
    src.write_text("Require Import Lia.\nLemma t1 : forall n : nat, n + 0 = n.\nProof.\nAdmitted.\n"
                   "Lemma t2 : forall a b : nat, a + b = b + a.\nProof.\nAdmitted.\n")
    report = tmp_path / "r.json"
    r = qstar("prove", str(src), "--report", str(report), "--device", "cpu")
    assert r.returncode == 0, r.stderr
    rep = json.loads(report.read_text())
    assert rep["config"]["search"]["model"] == "default"
    assert all(t["model_seconds"] > 0 for t in rep["theorems"])
    assert [t["status"] for t in rep["theorems"]] == ["proved", "proved"]


@requires_coq
def test_sigint_during_the_third_theorem_keeps_the_first_two_on_disk(tmp_path):
    import signal
    import sys
    import time
    src = tmp_path / "three.v"
    src.write_text("Lemma t1 : forall n : nat, n + 0 = n.\nProof.\nAdmitted.\n\n"
                   "Lemma t2 : forall P Q : Prop, P /\\ Q -> Q /\\ P.\nProof.\nAdmitted.\n\n"
                   # Deciding this by computation takes 2^60 steps: every closing tactic runs long.
                   "Lemma t3 : (fix f (n : nat) : nat := match n with 0 => 0 | S m => f m + f m end) 60 = 1."
                   "\nProof.\nAdmitted.\n")
    out, report = tmp_path / "three_proved.v", tmp_path / "three_proved.report.json"
    proc = subprocess.Popen(from_a_terminal([sys.executable, "-m", "agent.cli", "prove", str(src), "--model", "none",
                             "--budget", "100000", "--timeout", "600", "--tactic-timeout", "60"]),
                            cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    deadline = time.monotonic() + 300
    while time.monotonic() < deadline:  # the report is rewritten after every theorem
        if report.exists() and json.loads(report.read_text())["summary"]["attempted"] == 2:
            break
        time.sleep(0.1)
    time.sleep(1.0)  # well inside t3's search, which cannot succeed
    proc.send_signal(signal.SIGINT)
    _, err = proc.communicate(timeout=60)
    assert proc.returncode == 130, err
    rep = json.loads(report.read_text())
    assert rep["summary"]["interrupted"] and rep["summary"]["proved"] == 2
    assert [t["name"] for t in rep["theorems"]] == ["t1", "t2"] and rep["not_attempted"] == ["t3"]
    c = qstar("check", str(out), "--reference", str(src))
    assert "ok    t1" in c.stdout and "ok    t2" in c.stdout and "FAIL  t3" in c.stdout


COMMANDS = ["prove", "check", "bench", "collect", "trace", "iterate", "synth", "stdlib-suite",
            "train sft", "train value", "train templates"]


@pytest.mark.parametrize("command", COMMANDS)
def test_every_command_shows_its_defaults_and_requires_what_it_needs(command):
    r = qstar(*command.split(), "--help")
    assert r.returncode == 0 and "(default:" in r.stdout and "(required)" in r.stdout, r.stdout
    assert "SEARCH." not in r.stdout and "search." not in r.stdout  # no internal names leak
    r = qstar(*command.split())  # nothing given: the required argument is named
    assert r.returncode == 2 and "required" in (r.stdout + r.stderr).lower()


def test_a_lean_project_not_built_is_one_line_that_names_the_build_command(tmp_path):
    from lean_env.project import mathlib_oleans, repl_binaries, unbuilt
    bin_dir, proj, called = tmp_path / "bin", tmp_path / "proj", tmp_path / "lake-was-called"
    bin_dir.mkdir()
    proj.mkdir()
    lake = bin_dir / "lake"  # a toolchain is on PATH, but the project was never built
    lake.write_text(f"#!/bin/sh\ntouch {called}\nexit 1\n")
    lake.chmod(0o755)
    (proj / "lakefile.toml").write_text('name = "p"\n')
    out = tmp_path / "basic_proved.lean"
    env = {**os.environ, "PATH": f"{bin_dir}:{os.environ['PATH']}"}
    r = qstar("prove", "examples/basic.lean", "--lean-project", str(proj), "--output", str(out), env=env)
    assert r.returncode == 2 and r.stderr.count("\n") == 1, r.stderr
    assert "is not built" in r.stderr and "lake build REPL" in r.stderr and not out.exists() and not called.exists()
    repl = repl_binaries(str(proj))[0]
    os.makedirs(os.path.dirname(repl))
    open(repl, "w").close()
    assert unbuilt(str(proj), "theorem t : 1 = 1 := rfl") is None  # no Mathlib import: the REPL is enough
    assert "Mathlib is not built" in unbuilt(str(proj), "import Mathlib\ntheorem t : 1 = 1 := rfl")
    olean = mathlib_oleans(str(proj))[0]
    os.makedirs(os.path.dirname(olean))
    open(olean, "w").close()
    assert unbuilt(str(proj), "import Mathlib\n") is None
    assert "not a Lake project" in unbuilt(str(tmp_path / "bin"))
