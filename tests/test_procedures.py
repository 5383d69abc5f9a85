"""Decision procedures (psatz with CSDP, nsatz, interval): offered where the goal's shape fits,
loaded without changing what a statement means, proved and checked through qstar itself."""

import json

import pytest

from agent.env import Goal, Hypothesis, ProofState
from agent.policies.decision import NSATZ_R, DecisionPolicy, candidates
from coq_env import procedures
from coq_env.imports import is_import, meaning_changes
from coq_env.procedures import INTERVAL_LINE, NSATZ_LINE, Procedures
from conftest import qstar, requires_coq

ALL = Procedures(psatz=True, nsatz=True, interval=True)


def goal(conclusion: str, **hyps: str) -> Goal:
    return Goal(hypotheses=tuple(Hypothesis(names=(n,), type=t) for n, t in hyps.items()), conclusion=conclusion)


def test_each_procedure_is_offered_only_where_the_goal_fits():
    cubic = goal("a ^ 3 + b ^ 3 >= 3 * a * b", a="R", b="R", H="0 <= a", H0="0 <= b")
    assert candidates(cubic, ALL)[:2] == ["psatz R 2.", "psatz R 3."]
    assert candidates(goal("x + 2 * y <= 3", x="R", y="R", H="x <= 1", H0="y <= 1"), ALL) == []  # linear: lra's
    ints = candidates(goal("a * a + b * b >= 2 * a * b", a="Z", b="Z"), ALL)
    assert ints == ["psatz Z 2."]
    eq = goal("x ^ 5 + y ^ 5 = 33", x="R", y="R", H="x + y = 3", H0="x * y = 2")
    assert NSATZ_R in candidates(eq, ALL)
    assert NSATZ_R not in candidates(goal("x ^ 2 = 4", x="R", H="x <= 2"), ALL)  # no equation to reduce by
    assert candidates(goal("sqrt 2 < 1.415"), ALL) == ["interval."]
    one = candidates(goal("ln x <= x - 1 / 2", x="R", H="1 <= x <= 2"), ALL)
    assert "interval with (i_bisect x)." in one and "apply Rminus_le; interval with (i_bisect x)." in one
    assert candidates(goal("ln x <= x", x="R"), ALL) == []  # x unbounded: interval cannot
    assert candidates(goal("2 < exp 1 < 3"), ALL) == ["split; interval."]
    assert candidates(goal("3 <> sqrt 8"), ALL) == ["interval."]
    none = Procedures()
    assert DecisionPolicy(none)(ProofState(goals=(cubic,))) == []
    scored = DecisionPolicy(Procedures(psatz=True))(ProofState(goals=(cubic,)))
    assert [t for t, _ in scored] == ["psatz R 2.", "psatz R 3."] and scored[0][1] > scored[1][1]


def test_the_added_lines_are_imports_the_check_accepts():
    assert is_import(NSATZ_LINE) and is_import(INTERVAL_LINE) and is_import("Require Nsatz.")
    assert procedures.line_used(NSATZ_LINE, (NSATZ_R,)) and not procedures.line_used(NSATZ_LINE, ("lra.",))
    assert procedures.line_used(INTERVAL_LINE, ("interval with (i_bisect x).",))
    assert not procedures.line_used(INTERVAL_LINE, ("apply interval_lemma.",))


@requires_coq
def test_an_import_that_rebinds_a_statements_names_is_found(tmp_path, monkeypatch):
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))  # computed here, not read from a cache
    text = "Require Import Reals.\nOpen Scope R_scope.\nTheorem t : forall x : R, pow x 2 = x ^ 2.\nAdmitted.\n"
    ctx = "Require Import Reals.\n"
    changed = meaning_changes(ctx, ["From Coq Require Import Nsatz."], text)
    assert "pow" in changed and '"^"' in changed
    assert meaning_changes(ctx, [NSATZ_LINE], text) == []
    if procedures.available().interval:
        assert meaning_changes(ctx, [INTERVAL_LINE], text) == []
    assert list((tmp_path / "qstar" / "meaning").glob("*.json"))  # kept for the next run


@requires_coq
def test_check_refuses_an_added_import_that_changes_a_statement(tmp_path):
    ref = tmp_path / "orig.v"
    ref.write_text("Require Import Reals.\nOpen Scope R_scope.\n"
                   "Theorem t : forall x : R, pow x 2 = x * x.\nProof.\nAdmitted.\n")
    bad = tmp_path / "bad.v"
    bad.write_text("Require Import Reals.\nFrom Coq Require Import Nsatz.\nOpen Scope R_scope.\n"
                   "Theorem t : forall x : R, pow x 2 = x * x.\nProof.\nintros. simpl. ring.\nQed.\n")
    c = qstar("check", str(bad), "--reference", str(ref))
    assert c.returncode == 1 and "change the meaning of pow" in c.stdout, c.stdout


def test_check_says_in_one_line_that_psatz_needs_csdp(tmp_path, monkeypatch):
    from agent.backends import UsageError
    from agent.cli import CheckConfig, run_check
    f = tmp_path / "p.v"
    f.write_text("Require Import Reals Psatz.\nOpen Scope R_scope.\n"
                 "Theorem t : forall a b c : R, 0 <= a -> 0 <= b -> 0 <= c -> a^3+b^3+c^3 >= 3*a*b*c.\n"
                 "Proof.\nintros. psatz R 3.\nQed.\n")
    monkeypatch.setattr(procedures, "csdp_installed", lambda: False)
    with pytest.raises(UsageError) as e:
        run_check(CheckConfig(file=str(f)))
    assert "proof of t uses psatz" in str(e.value) and "coinor-csdp" in str(e.value)
    assert "\n" not in str(e.value)


@requires_coq
def test_prove_and_check_one_goal_with_each_procedure(tmp_path):
    have = procedures.available()
    if not (have.psatz and have.nsatz and have.interval):
        pytest.skip(f"needs CSDP and Coq.Interval (scripts/setup.sh installs them): {have}")
    src = tmp_path / "dp.v"
    src.write_text(
        "Require Import Reals.\nOpen Scope R_scope.\n\n"
        "Theorem cubic : forall x y z : R, 0 <= x -> 0 <= y -> 0 <= z ->\n"
        "  x^3 + y^3 + z^3 + x*y*z >= x^2*y + y^2*z + z^2*x.\n"
        "Proof.\nAdmitted.\n\n"
        "Theorem fifth : forall x y : R, x + y = 3 -> x * y = 2 -> x^5 + y^5 = 33.\nProof.\nAdmitted.\n\n"
        "Theorem root : sqrt 2 < 1.415.\nProof.\nAdmitted.\n")
    # node expansion: each of the 3 expansions runs every candidate, so each procedure is tried
    r = qstar("prove", str(src), "--model", "none", "--budget", "3", "--hammer", "off", "--timeout", "60",
              "--expand", "node")
    assert r.returncode == 0, r.stderr
    rep = json.loads((tmp_path / "dp_proved.report.json").read_text())
    proofs = {t["name"]: " ".join(t["proof"] or ()) for t in rep["theorems"]}
    assert "psatz R 3" in proofs["cubic"] and "nsatz" in proofs["fifth"] and "interval" in proofs["root"], proofs
    assert rep["summary"]["proved"] == 3
    out = (tmp_path / "dp_proved.v").read_text()
    # each library loaded after the file's imports, each Import only above the theorem that uses it
    assert NSATZ_LINE in out and "From Interval Require Tactic." in out and INTERVAL_LINE not in out
    assert "Import Interval.Tactic.\nTheorem root" in out and "Import Coq.micromega.Psatz.\nTheorem cubic" in out
    c = qstar("check", str(tmp_path / "dp_proved.v"), "--reference", str(src))
    assert c.returncode == 0 and "3/3 theorems soundly proved" in c.stdout, c.stdout
    off = qstar("prove", str(src), "--model", "none", "--budget", "3", "--hammer", "off", "--timeout", "60",
                "--procedures", "off", "--output", str(tmp_path / "off.v"))
    assert off.returncode == 0, off.stderr
    rep_off = json.loads((tmp_path / "off.report.json").read_text())
    used = " ".join(" ".join(t["proof"] or ()) for t in rep_off["theorems"])
    assert rep_off["summary"]["proved"] < 3 and not any(w in used for w in ("psatz", "nsatz", "interval")), used


def test_procedures_option_picks_some_or_refuses_an_unknown_name():
    from types import SimpleNamespace

    from agent.backends import UsageError
    from agent.search.searcher import SearchConfig, procedure_names, procedures_for
    assert procedure_names("auto") == {"psatz", "nsatz", "interval"}
    assert procedure_names("off") == set()
    assert procedure_names("nsatz, psatz") == {"nsatz", "psatz"}
    coq = SimpleNamespace(name="coq", procedures=lambda: Procedures(psatz=True, nsatz=True, interval=False))
    assert procedures_for(SearchConfig(procedures="psatz"), coq) == Procedures(psatz=True)
    assert procedures_for(SearchConfig(procedures="interval"), coq) == Procedures()  # not installed
    assert procedures_for(SearchConfig(procedures="off"), coq) == Procedures()
    with pytest.raises(UsageError, match="unknown procedure 'omega'"):
        procedures_for(SearchConfig(procedures="omega"), coq)
    r = qstar("prove", "examples/arith.v", "--procedures", "psatz,omega")
    assert r.returncode == 2 and r.stderr.strip().splitlines() == [
        "qstar: error: --procedures: unknown procedure 'omega' (auto, off, or a comma list of psatz, nsatz, interval)"]
