"""The synthetic curriculum: exact literals, determinism, and reference proofs the real Coq
kernel accepts (so every statement is true and every traced step is real)."""

import subprocess
from fractions import Fraction

from agent.bench.suites import load_suite
from coq_env.synthetic import FAMILIES, SynthConfig, num, poly, write_curriculum
from conftest import qstar, requires_coq


def test_literals_and_polynomials_print_as_a_statement_would():
    assert num(3) == "3" and num(-3) == "(- 3)" and num(Fraction(6, 5)) == "(6 / 5)"
    assert num(Fraction(-1, 2)) == "(- (1 / 2))"
    assert poly([(3, "x ^ 2"), (-1, "x"), (4, "")]) == "3 * x ^ 2 - x + 4"
    assert poly([(-1, "x"), (0, ""), (-6, "")]) == "- x - 6"
    assert poly([(0, "x")]) == "0"


def test_same_seed_same_curriculum(tmp_path):
    a, b = tmp_path / "a", tmp_path / "b"
    write_curriculum(SynthConfig(out=str(a), proved=20, open=10, seed=3))
    write_curriculum(SynthConfig(out=str(b), proved=20, open=10, seed=3))
    assert (a / "curriculum.v").read_text() == (b / "curriculum.v").read_text()
    assert (a / "curriculum-suite.jsonl").read_text() == (b / "curriculum-suite.jsonl").read_text()
    items = load_suite(str(a / "curriculum-suite.jsonl"), split="train")
    assert len(items) == 10 and all(it.theorem.backend == "coq" for it in items)
    # Open statements are other instances than the proved ones.
    assert not set(it.theorem.name for it in items) & set((a / "curriculum.v").read_text().split())


@requires_coq
def test_every_family_reference_proof_is_accepted_by_coqc(tmp_path):
    n = 3 * len(FAMILIES)
    write_curriculum(SynthConfig(out=str(tmp_path), proved=n, open=0, seed=11))
    r = subprocess.run(["coqc", "-q", "curriculum.v"], cwd=tmp_path, capture_output=True, text=True, timeout=300)
    assert r.returncode == 0, r.stdout + r.stderr
    assert (tmp_path / "curriculum.v").read_text().count("Qed.") == n


@requires_coq
def test_synth_then_trace_gives_every_step(tmp_path):
    n = len(FAMILIES)  # one lemma of each family
    r = qstar("synth", "--out", str(tmp_path / "c"), "--proved", str(n), "--open", "2")
    assert r.returncode == 0, r.stderr
    out = tmp_path / "t.jsonl"
    r = qstar("trace", str(tmp_path / "c" / "curriculum.v"), "--out", str(out))
    assert r.returncode == 0, r.stderr
    assert f"{n} lemmas" in r.stdout and "(0 lemmas did not replay)" in r.stdout
    assert r.returncode == 0 and out.read_text().count("\n") >= n * 2


def test_families_flag_keeps_the_earlier_curriculum(tmp_path):
    assert len(FAMILIES) == 26
    write_curriculum(SynthConfig(out=str(tmp_path), proved=0, open=60, seed=7, families=15))
    rows = load_suite(str(tmp_path / "curriculum-suite.jsonl"), split="train")
    used = {it.theorem.name.split("_", 1)[1].rsplit("_", 1)[0] for it in rows}
    assert used == {f.__name__ for f in FAMILIES[:15]}
