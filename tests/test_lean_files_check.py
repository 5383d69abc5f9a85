"""Lean theorem files (on the real miniF2F statements) and the Lean final check's judgements."""

import json
import shutil
from pathlib import Path

import pytest

from agent.env import Theorem
from lean_env.check import check_file, check_proof, judge_axioms, parse_axiom_report
from lean_env.env import LeanEnvConfig
from lean_env.files import LeanFileError, open_theorems, parse_lean_file, skeleton, with_proofs
from lean_env.screen import screen_body

MINIF2F = Path(__file__).resolve().parents[2] / "shared" / "data" / "minif2f-lean4.jsonl"


@pytest.mark.skipif(not MINIF2F.exists(), reason=f"no {MINIF2F}")
def test_every_minif2f_statement_is_found_and_written_back_unchanged():
    rows = [json.loads(line) for line in MINIF2F.read_text(encoding="utf-8").splitlines() if line.strip()]
    assert len(rows) == 488
    for row in rows:
        text = row["header"] + row["formal_statement"] + "\n"
        [th] = open_theorems(text)
        assert th.name == row["name"]
        assert th.context == row["header"]
        stmt = row["formal_statement"]
        assert th.statement == stmt[:stmt.rindex(":=")].rstrip()
        out = with_proofs(text, {th.name: ("norm_num", "linarith")})
        assert out.startswith(row["header"] + th.statement + " := by\n  norm_num\n  linarith")
        assert skeleton(out) == skeleton(text) and not open_theorems(out)


SRC = """import Mathlib
/- theorem commented : False := sorry -/
-- lemma also_commented : False := by sorry
namespace Foo

theorem done (n : ℕ) : n + 0 = n := by simp

theorem open_one (a b : ℕ) (h : a = b := by rfl) :
    b = a := by
  sorry

example : True := sorry

end Foo
"""


def test_parse_finds_open_theorems_and_skips_comments():
    assert [d.name for d in parse_lean_file(SRC)] == ["done", "open_one", "example@12"]
    assert [t.name for t in open_theorems(SRC)] == ["open_one", "example@12"]
    th = open_theorems(SRC)[0]
    assert th.statement.endswith("(h : a = b := by rfl) :\n    b = a")  # ":=" inside brackets kept
    out = with_proofs(SRC, {"open_one": ("exact h.symm",), "example@12": ("trivial",)})
    assert "b = a := by\n  exact h.symm\n\nexample : True := by\n  trivial\n\nend Foo" in out


def test_unterminated_comment_is_a_parse_error():
    with pytest.raises(LeanFileError):
        parse_lean_file("/- never closed\ntheorem x : True := sorry")


@pytest.mark.parametrize("body", [
    "sorry", "simp\n  sorry", "admit", "native_decide", "decide +native", "exact (by decide : _)\naxiom x : False",
    "set_option debug.skipKernelTC true in rfl", "#eval 1", "run_tac pure ()", "exact Lean.ofReduceBool _ _ rfl",
    "  ", "elab \"x\" : tactic => pure ()",
])
def test_screen_rejects_forbidden_bodies(body):
    assert screen_body(body) is not None


@pytest.mark.parametrize("body", ["simp", "norm_num [sorry_free_lemma]", "exact h.sorry_like",
                                  "-- sorry in a comment\n  omega", "/- admit -/ decide"])
def test_screen_accepts_honest_bodies(body):
    assert screen_body(body) is None


def test_axiom_report_parsing_and_judgement():
    out = ("QstarCheck.lean:3:0: info: 'good' depends on axioms: [propext,\n Classical.choice,\n Quot.sound]\n"
           "QstarCheck.lean:9:0: info: 'Foo.bad' depends on axioms: [propext, sorryAx]\n"
           "QstarCheck.lean:12:0: info: 'pure' does not depend on any axioms\n"
           "'native' depends on axioms: [Lean.ofReduceBool]\n")
    rep = parse_axiom_report(out)
    assert judge_axioms("good", rep).ok and judge_axioms("pure", rep).ok
    assert not judge_axioms("bad", rep).ok and "sorryAx" in judge_axioms("bad", rep).reason
    assert not judge_axioms("native", rep).ok
    assert not judge_axioms("missing", rep).ok


def test_check_file_rejects_a_changed_statement_without_running_lean(tmp_path):
    ref = tmp_path / "orig.lean"
    ref.write_text("theorem t (n : ℕ) : n + 0 = n := by sorry\n")
    forged = tmp_path / "forged.lean"
    forged.write_text("theorem t (n : ℕ) : n = n := by\n  rfl\n")
    [v] = check_file(str(forged), reference=str(ref))
    assert not v.ok and "statement" in v.reason


def test_check_fails_closed_without_a_toolchain(tmp_path):
    cfg = LeanEnvConfig(check_command=("no-such-lake-binary", "env", "lean"))
    th = Theorem("t", "theorem t : 1 + 1 = 2", "", backend="lean")
    v = check_proof(th, ("decide",), config=cfg)
    assert not v.ok and "not found" in v.reason
    assert not check_proof(th, ("sorry",), config=cfg).ok


@pytest.mark.lean
@pytest.mark.skipif(shutil.which("lake") is None, reason="needs a Lean toolchain: `lake` is not on PATH")
def test_real_lean_check_accepts_and_rejects():
    th = Theorem("t", "theorem t : 1 + 1 = 2", "", backend="lean")
    assert check_proof(th, ("decide",)).ok
    assert not check_proof(th, ("rfl\n  exact absurd",)).ok
    th2 = Theorem("u", "theorem u : False", "axiom cheat : False\n\n", backend="lean")
    assert not check_proof(th2, ("exact cheat",)).ok
