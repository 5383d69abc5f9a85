"""What a user is told: bench counts every status, exits non-zero on an internal error and
retries it on --resume; prove --workers reports and writes a proof only after the whole-file
check of what is written passed. Real Coq throughout."""

import json

from agent.bench import pool
from agent.prove import command as prove_file
from agent.bench.bench import BenchConfig, run_bench
from agent.prove.command import ProveConfig, run_prove
from agent.search.searcher import SearchConfig
from conftest import requires_coq

T1 = "Lemma t1 : forall n : nat, n + 0 = n."
T2 = "Lemma t2 : forall P Q : Prop, P /\\ Q -> Q /\\ P."


def _search() -> SearchConfig:
    return SearchConfig(model="none", budget=8, timeout=30.0)


@requires_coq
def test_bench_counts_internal_errors_exits_3_and_resume_retries_them(tmp_path, monkeypatch, capsys):
    suite = tmp_path / "s.jsonl"
    suite.write_text("".join(json.dumps({"name": n, "split": "test", "header": "", "formal_statement": st}) + "\n"
                             for n, st in (("t1", T1), ("t2", T2))))
    cfg = lambda resume: BenchConfig(suite=str(suite), out=str(tmp_path / "run"), workers=1, prelude="",  # noqa: E731
                                     resume=resume, search=_search())
    real = pool.prove_theorem

    def broken(env, theorem, **kw):  # a bug in qstar's own code, for t2 only
        if theorem.name == "t2":
            raise RuntimeError("a bug")
        return real(env, theorem, **kw)

    monkeypatch.setattr(pool, "prove_theorem", broken)
    assert run_bench(cfg(False)) == 3
    out = capsys.readouterr()
    assert "proved 1/2 (50.0%), not proved 0, statement errors 0, internal errors 1" in out.out
    assert "--resume runs them again" in out.err
    summary = json.loads((tmp_path / "run" / "summary.json").read_text())["summary"]
    assert summary["internal_error"] == 1 and summary["interrupted"] == ""
    monkeypatch.setattr(pool, "prove_theorem", real)  # the bug fixed: --resume runs t2 again
    assert run_bench(cfg(True)) == 0
    rows = [json.loads(line) for line in (tmp_path / "run" / "results.jsonl").read_text().splitlines()]
    assert sorted((r["name"], r["status"]) for r in rows) == [("t1", "proved"), ("t2", "proved")]


@requires_coq
def test_prove_with_workers_writes_a_proof_only_after_the_whole_file_check(tmp_path, monkeypatch):
    src = tmp_path / "two.v"
    src.write_text(f"{T1}\nProof.\nAdmitted.\n\n{T2}\nProof.\nAdmitted.\n")
    out = tmp_path / "two_proved.v"
    seen = []
    real = prove_file._check_text

    def watched(cfg, backend, text):
        # at each check, the output holds only proofs already checked: never the one being checked
        written = out.read_text() if out.exists() else ""
        seen.append((written.count("Qed."), text.count("Qed.")))
        return real(cfg, backend, text)

    monkeypatch.setattr(prove_file, "_check_text", watched)
    assert run_prove(ProveConfig(file=str(src), workers=2, search=_search())) == 0
    assert seen[:2] == [(0, 1), (1, 2)]  # each new proof checked with the ones before it, unwritten
    assert all(w == t for w, t in seen[2:])  # then only re-checks of what is written (no CoqHammer import)
    rep = json.loads((tmp_path / "two_proved.report.json").read_text())
    assert rep["summary"]["proved"] == 2 and out.read_text().count("Qed.") == 2
