"""CoqHammer in the portfolio: its sauto family among the candidates, and ``hammer`` as the last
resort whose reconstructed tactic the kernel checks like any other."""

import dataclasses
import json

import pytest

from agent.backends import UsageError, backend_named
from agent.env import ProofState, Theorem
from agent.search.best_first import SearchBudget
from agent.search.prover import prove_theorem
from agent.search.searcher import SearchConfig, hammer_mode
from coq_env.hammer import tactics_from, SAUTO_TACTICS, TACTICS_LINE, installed, reconstruction
from conftest import qstar, requires_coq
from helpers import ScriptedEnv, toy

# One test process: a test below looks for CoqHammer provers left anywhere on the machine.
pytestmark = pytest.mark.xdist_group("hammer")
requires_hammer = pytest.mark.skipif(not installed(), reason="CoqHammer is not installed "
                                     "(apt-get install libcoq-hammer eprover)")

# What coqc printed for `hammer.` on In x l -> In x (l ++ l) (CoqHammer 1.3.2, Coq 8.16).
HAMMER_OUTPUT = """Detecting provers...
Eprover found
Vampire not found
Extracting features...
Running provers (8 threads)...
Eprover (nbayes-32) succeeded
- dependencies: Lists.List.in_app_iff
Reconstructing the proof...
Trying reconstruction batch 1...
Tactic hauto succeeded.
Replace the hammer tactic with:
\thauto use: in_app_iff.
"""


def test_the_reconstruction_tactic_is_read_from_hammers_output():
    assert reconstruction(HAMMER_OUTPUT) == "hauto use: in_app_iff."
    assert reconstruction("Detecting provers...\nEprover found\nHammer failed: ATPs failed to find a proof\n") is None


def test_hammer_mode_follows_the_flag_the_backend_and_the_installation():
    coq = backend_named("coq")
    lean = dataclasses.replace(coq, name="lean")
    absent = dataclasses.replace(coq, hammer_installed=lambda: False)
    present = dataclasses.replace(coq, hammer_installed=lambda: True)
    assert hammer_mode(SearchConfig(hammer="full"), lean) == "off"
    assert hammer_mode(SearchConfig(hammer="auto"), absent) == "off"
    with pytest.raises(UsageError, match="not installed"):
        hammer_mode(SearchConfig(hammer="sauto"), absent)
    assert hammer_mode(SearchConfig(hammer="auto"), present) == "sauto"
    assert hammer_mode(SearchConfig(hammer="full"), present) == "full"
    assert hammer_mode(SearchConfig(hammer="sauto"), present) == "sauto"
    assert hammer_mode(SearchConfig(hammer="off"), present) == "off"
    assert present.imports_for("auto", True).endswith("\n" + TACTICS_LINE)
    assert TACTICS_LINE not in present.imports_for("auto", False)
    assert present.imports_for("none", True) == ""  # a user's --imports choice is exact


class _Start(ScriptedEnv):
    """The scripted test double, started on a goal named by the theorem's statement."""

    def start(self, theorem, *, timeout=None):
        return ProofState((toy(theorem.statement),), ())


def _prove(moves, hint, verdict=(True, "")):
    env = _Start(moves)
    checked = []

    def check(th, tactics):
        checked.append(tactics)
        return verdict
    rec = prove_theorem(env, Theorem("t", "G", ""), policy=lambda s: [("a.", -1.0)], check=check,
                        budget=SearchBudget(max_expansions=4, max_seconds=5), last_resort=lambda th: hint,
                        keep_tree=True)
    return rec, env, checked


def test_the_last_resort_runs_only_after_the_search_fails_and_its_proof_is_checked():
    rec, env, checked = _prove({"G": {"a.": "QED", "h.": "QED"}}, ("h.",))
    assert rec.status == "proved" and rec.proof == ["a."] and ("G", "h.") not in env.applied
    rec, env, checked = _prove({"G": {"h.": "QED"}}, ("h.",))
    assert (rec.status, rec.proof, rec.stop_reason) == ("proved", ["h."], "last_resort")
    assert checked == [("h.",)]
    root = rec.tree["nodes"][0]  # the tree says so too: a proved statement is never labelled refuted
    assert root["status"] == "proved" and rec.tree["proof"] == ["h."]
    assert {"tactic": "h.", "outcome": "proved"}.items() <= rec.tree["edges"][-1].items()
    rec, _, _ = _prove({"G": {"h.": "QED"}}, ("h.",), verdict=(False, "axiom"))
    assert (rec.status, rec.stop_reason) == ("failed", "rejected") and "axiom" in rec.message
    rec, _, _ = _prove({"G": {"h.": "H"}}, ("h.",))  # a tactic that leaves goals is no proof
    assert rec.status == "failed" and "none of 1 CoqHammer tactics closed it" in rec.message
    rec, env, checked = _prove({"G": {"h.": "H", "u.": "QED"}}, ("h.", "u.", "v."))  # in turn, to the first proof
    assert (rec.status, rec.proof) == ("proved", ["u."]) and ("G", "v.") not in env.applied
    rec, _, checked = _prove({}, ())
    assert rec.status == "failed" and "found none" in rec.message and checked == []


PREDICT_OUTPUT = """Extracting features...
Coq.Init.Datatypes.nat, Coq.Lists.List.In, Coq.Lists.List.in_rev
Detecting provers...
Eprover found
Extracting features...
Running provers (8 threads)...
Eprover (nbayes-64) succeeded
Replace the hammer tactic with:
	hfcrush use: in_rev, in_app_iff.
"""


def test_hammers_reconstruction_comes_first_then_the_predicted_premises():
    use = "Coq.Init.Datatypes.nat, Coq.Lists.List.In, Coq.Lists.List.in_rev"
    assert tactics_from(PREDICT_OUTPUT) == ("hfcrush use: in_rev, in_app_iff.", f"hauto use: {use}.",
                                            f"sauto use: {use}.")
    no_atp = PREDICT_OUTPUT.split("Replace")[0]  # the ATPs ran out of time: predict's premises alone
    assert tactics_from(no_atp) == (f"hauto use: {use}.", f"sauto use: {use}.")
    assert tactics_from("Extracting features...\nRunning provers (8 threads)...\n") == ()


@requires_coq
@requires_hammer
def test_prove_falls_back_on_hammer_and_check_accepts_its_reconstruction(tmp_path):
    src = tmp_path / "lists.v"
    src.write_text("Require Import List.\n\n"  # the sauto family and the standard tactics fail here
                   "Lemma in_rev_app : forall (l1 l2 : list nat) x, In x (rev l1) -> In x (l2 ++ l1).\n"
                   "Proof.\nAdmitted.\n")
    r = qstar("prove", str(src), "--model", "none", "--budget", "8", "--timeout", "30", "--hammer", "full",
              "--hammer-limit", "10")
    assert r.returncode == 0, r.stderr
    rep = json.loads((tmp_path / "lists_proved.report.json").read_text())
    th = rep["theorems"][0]
    assert th["status"] == "proved" and th["stop_reason"] == "last_resort", th
    assert " use: " in th["proof"][0] and "hammer" not in th["proof"][0]  # no ATP call left in the file
    assert rep["added_imports"] == ["From Hammer Require Tactics.", "Import Hammer.Tactics.Tactics."]
    c = qstar("check", str(tmp_path / "lists_proved.v"), "--reference", str(src))
    assert c.returncode == 0 and "ok    in_rev_app" in c.stdout, c.stdout


@requires_coq
@requires_hammer
def test_the_sauto_family_is_among_the_candidates_and_its_proofs_pass_the_check(tmp_path):
    src = tmp_path / "fo.v"
    src.write_text("Lemma split_list : forall (A : Type) (l : list A), l = nil \\/ exists x t, l = cons x t.\n"
                   "Proof.\nAdmitted.\n")
    report = tmp_path / "fo_proved.report.json"
    for hammer, proved in (("off", 0), ("sauto", 1)):  # the standard tactics alone do not close it at the root
        r = qstar("prove", str(src), "--model", "none", "--budget", "1", "--hammer", hammer)
        assert r.returncode == 0, r.stderr
        assert json.loads(report.read_text())["summary"]["proved"] == proved, r.stdout
    rep = json.loads(report.read_text())
    th = rep["theorems"][0]
    assert th["proof"][0] in SAUTO_TACTICS, th
    assert rep["added_imports"] == ["From Hammer Require Tactics.", "Import Hammer.Tactics.Tactics."]  # it needs them
    c = qstar("check", str(tmp_path / "fo_proved.v"), "--reference", str(src))
    assert c.returncode == 0, c.stdout


@requires_coq
@requires_hammer
def test_a_hammer_call_past_its_deadline_is_killed_and_reads_as_no_suggestion():
    import subprocess
    import time
    from coq_env.hammer import suggest
    th = Theorem("in_rev_app", "Lemma in_rev_app : forall (l1 l2 : list nat) x, In x (rev l1) -> In x (l2 ++ l1).",
                 "Require Import List.\n")
    def running() -> set[str]:
        out = subprocess.run(["pgrep", "-f", "QstarHammer.v|eprover"], capture_output=True, text=True,
                             timeout=30).stdout
        return set(out.split())

    before = running()  # another test's, if any (not this call's)
    t0 = time.monotonic()
    assert suggest(th, limit=10, timeout=1.0) == ()
    assert time.monotonic() - t0 < 10  # cut at the deadline, not at the ATP limit
    while running() - before and time.monotonic() - t0 < 6:  # SIGKILLed: gone within moments
        time.sleep(0.1)
    left = running() - before
    assert not left, left  # its process group, provers included, is gone (long before the ATP limit)
