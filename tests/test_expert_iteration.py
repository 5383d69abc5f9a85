"""Tracing, collecting, benchmarking and one tiny round of expert iteration on real Coq."""

import gzip
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path


from agent.env import Goals, Proved, Theorem
from agent.bench.suites import load_suite
from coq_env.stdlib import split_of, stdlib_files, write_stdlib_suite
from conftest import qstar, requires_coq

pytestmark = requires_coq
ROOT = Path(__file__).resolve().parents[1]



def arith_suite(path, names=None):
    """The bundled example's lemmas as a suite (a real Coq theorem set)."""
    from coq_env.files import open_theorems
    text = (ROOT / "examples" / "arith.v").read_text()
    rows = [{"name": t.name, "split": "train" if i % 3 else "test", "header": t.context,
             "formal_statement": t.statement} for i, t in enumerate(open_theorems(text))]
    rows = [r for r in rows if names is None or r["name"] in names]
    path.write_text("".join(json.dumps(r) + "\n" for r in rows))
    return rows


def test_traced_stdlib_steps_replay_to_each_lemmas_proof(tmp_path):
    from coq_env import CoqEnv
    from coq_env.trace import trace_text
    where = subprocess.run(["coqc", "-where"], capture_output=True, text=True, timeout=60).stdout.strip()
    rel = "Bool/Bool.v"
    text = (Path(where) / "theories" / rel).read_text()
    stats = {}
    with CoqEnv() as env:
        rows = list(trace_text(env, text, source=rel, stats=stats))
        assert stats["traced"] > 50 and rows
        by_thm = {}
        for r in rows:
            by_thm.setdefault(r["theorem"], []).append(r)
        from coq_env.files import parse_coq_file
        decls = {d.name: d for d in parse_coq_file(text)}
        for name in list(by_thm)[:25]:
            steps = sorted(by_thm[name], key=lambda r: r["step"])
            d = decls[name]
            state = env.start(Theorem(name, d.statement, text[:d.stmt_start]))
            for i, r in enumerate(steps):
                assert [g.to_json() for g in state.goals] == r["goals"]
                out = env.apply(state, r["tactic"], timeout=30)
                if i < len(steps) - 1:
                    assert isinstance(out, Goals) and [g.to_json() for g in out.state.goals] == r["next_goals"]
                    state = out.state
                else:
                    assert isinstance(out, Proved) and r["proved"]


def test_trace_cli_resumes_without_duplicates(tmp_path):
    out = tmp_path / "t.jsonl"
    src = ROOT / "examples"
    r = qstar("trace", str(src / "arith.v"), "--out", str(out))
    assert r.returncode == 0, r.stderr
    assert out.read_text() == ""  # every lemma there is Admitted: nothing to trace
    proved = tmp_path / "Proved.v"
    proved.write_text("Require Import Lia.\nLemma a : forall n, n + 0 = n.\nProof. intros. lia. Qed.\n"
                      "Lemma b : True /\\ True.\nProof. split.\n- exact I.\n- exact I.\nQed.\n")
    r = qstar("trace", str(proved), "--out", str(out))
    assert r.returncode == 0, r.stderr
    rows = [json.loads(x) for x in out.read_text().splitlines()]
    assert [(x["theorem"], x["tactic"]) for x in rows] == [
        ("a", "intros."), ("a", "lia."), ("b", "split."), ("b", "- exact I."), ("b", "- exact I.")]
    r = qstar("trace", str(proved), "--out", str(out))  # finished file: skipped
    assert len(out.read_text().splitlines()) == 5


def test_stdlib_split_is_by_file_and_deterministic(tmp_path):
    files = stdlib_files()
    assert len(files) > 200 and not any(f.startswith("Init/") for f in files)
    splits = {split_of(f) for f in files}
    assert splits == {"train", "valid", "test"}
    a, b = tmp_path / "a.jsonl", tmp_path / "b.jsonl"
    counts = write_stdlib_suite(str(a), max_per_file=2)
    write_stdlib_suite(str(b), max_per_file=2)
    assert a.read_bytes() == b.read_bytes() and counts["train"] > counts["test"] > 0
    rows = [json.loads(x) for x in a.read_text().splitlines()]
    assert all(r["split"] == split_of(r["source"]) for r in rows)
    items = load_suite(str(a), split="test", limit=3)
    assert len(items) == 3
    from coq_env.stdlib import source_text
    for it in items:  # the context is the file up to the lemma, and the lemma starts right there
        full = source_text(it.source)
        after = full[len(it.theorem.context):]
        assert full.startswith(it.theorem.context) and it.theorem.context
        assert after.split(None, 2)[:2] == it.theorem.statement.split(None, 2)[:2]
        assert it.theorem.name in after.split(":", 1)[0]
    assert items[0].id.startswith(items[0].source + ":")


def test_suite_ids_are_unique_when_a_file_reuses_a_name(tmp_path):
    # FMapAVL.v proves a lemma "MapsTo_1" in two modules; results and resume are keyed by id.
    suite = tmp_path / "s.jsonl"
    row = {"id": "FSets/FMapAVL.v:MapsTo_1", "name": "MapsTo_1", "split": "test", "header": "",
           "formal_statement": "Lemma MapsTo_1 : True."}
    suite.write_text((json.dumps(row) + "\n") * 3 + json.dumps({**row, "id": "other"}) + "\n")
    ids = [it.id for it in load_suite(str(suite))]
    assert ids == ["FSets/FMapAVL.v:MapsTo_1", "FSets/FMapAVL.v:MapsTo_1#2", "FSets/FMapAVL.v:MapsTo_1#3", "other"]


def _tree_signature(rec):
    t = rec["tree"]
    return (rec["status"], rec["proof"], [n["goals"] for n in t["nodes"]],
            [(e["src"], e["tactic"], e["outcome"], e["dst"]) for e in t["edges"]])


def test_collect_survives_kill_9_and_resumes_to_the_same_records(tmp_path):
    suite = tmp_path / "suite.jsonl"
    n = len(arith_suite(suite, names={"add_comm_example", "min_le_example", "mul_distr_example", "le_plus_example",
                                      "lt_trans_example", "and_swap", "length_app_example"}))
    # node expansion: lazy expansion orders candidates by the seconds the kernel measured, so two
    # runs' trees differ by timing, and this test compares trees
    args = ["collect", str(suite), "--workers", "1", "--budget", "12", "--model", "none", "--expand", "node"]
    full = tmp_path / "full"
    r = qstar(*args, "--out", str(full))
    assert r.returncode == 0, r.stderr
    ref = [json.loads(x) for x in (full / "records.jsonl").read_text().splitlines()]
    assert len(ref) == n == 7 and all("tree" in x for x in ref)

    part = tmp_path / "part"
    proc = subprocess.Popen([sys.executable, "-m", "agent.cli", *args, "--out", str(part)], cwd=ROOT,
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)
    log = part / "records.jsonl"
    deadline = time.monotonic() + 300
    while time.monotonic() < deadline:
        if log.exists() and len(log.read_text().splitlines()) >= 3:
            break
        time.sleep(0.05)
    os.killpg(proc.pid, signal.SIGKILL)
    proc.wait()
    killed_at = len(log.read_text().splitlines())
    assert 3 <= killed_at < n
    r = qstar(*args, "--out", str(part))
    assert r.returncode == 2 and "--resume" in r.stderr  # a run is never appended to by accident
    r = qstar(*args, "--out", str(part), "--resume")
    assert r.returncode == 0, r.stderr
    got = [json.loads(x) for x in log.read_text().splitlines()]
    assert sorted(x["id"] for x in got) == sorted(x["id"] for x in ref)  # none lost, none twice
    by_id = {x["id"]: x for x in got}
    for x in ref:
        assert _tree_signature(by_id[x["id"]]) == _tree_signature(x)


def test_bench_reports_statement_errors_apart_and_writes_table_and_plot(tmp_path):
    suite = tmp_path / "suite.jsonl"
    rows = arith_suite(suite, names={"add_comm_example", "and_swap"})
    rows.append({"name": "needs_missing_lib", "split": "test", "header": "Require Import NoSuchLibrary.\n",
                 "formal_statement": "Lemma needs_missing_lib : True."})
    suite.write_text("".join(json.dumps(r) + "\n" for r in rows))
    out = tmp_path / "bench"
    r = qstar("bench", str(suite), "--out", str(out), "--budget", "8", "--model", "none", "--workers", "2")
    assert r.returncode == 0, r.stderr
    s = json.loads((out / "summary.json").read_text())["summary"]
    assert s["theorems"] == 3 and s["proved"] == 2 and s["statement_error"] == 1 and s["not_proved"] == 0
    assert "| add_comm_example | proved |" in (out / "summary.md").read_text()
    assert (out / "plot.png").stat().st_size > 1000
    r = qstar("bench", str(suite), "--out", str(out), "--budget", "8", "--model", "none")
    assert r.returncode == 2 and "--resume" in r.stderr
    r = qstar("bench", str(suite), "--out", str(out), "--budget", "8", "--model", "none", "--resume",
              "--workers", "2")
    assert r.returncode == 0 and len((out / "results.jsonl").read_text().splitlines()) == 3
    # a run written before an option existed resumes (the option at its default); another budget not
    conf = json.loads((out / "config.json").read_text())
    del conf["cluster"], conf["search"]["mcts_c"]
    (out / "config.json").write_text(json.dumps(conf))
    r = qstar("bench", str(suite), "--out", str(out), "--budget", "8", "--model", "none", "--resume",
              "--workers", "2")
    assert r.returncode == 0, r.stderr
    r = qstar("bench", str(suite), "--out", str(out), "--budget", "9", "--model", "none", "--resume",
              "--workers", "2")
    assert r.returncode == 2 and "another config" in r.stderr
    # evals/recheck.py re-runs the final check on both proofs; a forged proof fails it.
    recheck = [sys.executable, str(ROOT / "evals" / "recheck.py"), str(out)]
    r = subprocess.run(recheck, capture_output=True, text=True, timeout=300, cwd=ROOT)
    assert r.returncode == 0 and "rechecked 2, agree 2, disagree 0" in r.stdout, r.stdout + r.stderr
    lines = [json.loads(x) for x in (out / "results.jsonl").read_text().splitlines()]
    for x in lines:
        if x["status"] == "proved":
            x["proof"] = ["intros.", "admit."]
    (out / "results.jsonl").write_text("".join(json.dumps(x) + "\n" for x in lines))
    r = subprocess.run(recheck, capture_output=True, text=True, timeout=300, cwd=ROOT)
    assert r.returncode == 1 and "disagree 2" in r.stdout, r.stdout + r.stderr


def test_a_statement_the_prelude_breaks_is_searched_and_checked_without_it(tmp_path):
    # As NZDiv.v beside Lia's compiled copy of it: the prelude's names clash with the header's.
    suite = tmp_path / "suite.jsonl"
    rows = [{"name": "clashes", "split": "test", "header": "Definition clash := 2.\n",
             "formal_statement": "Lemma clashes : clash = 2."},
            {"name": "fits", "split": "test", "header": "",
             "formal_statement": "Lemma fits : clash = 1."},
            {"name": "broken", "split": "test", "header": "Definition b := no_such_thing.\n",
             "formal_statement": "Lemma broken : True."}]
    suite.write_text("".join(json.dumps(r) + "\n" for r in rows))
    out = tmp_path / "bench"
    r = qstar("bench", str(suite), "--out", str(out), "--budget", "8", "--model", "none",
              "--prelude", "Definition clash := 1.")
    assert r.returncode == 0, r.stderr
    got = {x["name"]: x for x in map(json.loads, (out / "results.jsonl").read_text().splitlines())}
    assert got["clashes"]["status"] == "proved" and got["clashes"]["prelude_dropped"]
    assert got["fits"]["status"] == "proved" and not got["fits"]["prelude_dropped"]
    assert got["broken"]["stop_reason"] == "statement_error"
    recheck = [sys.executable, str(ROOT / "evals" / "recheck.py"), str(out)]
    r = subprocess.run(recheck, capture_output=True, text=True, timeout=300, cwd=ROOT)
    assert r.returncode == 0 and "rechecked 2, agree 2, disagree 0" in r.stdout, r.stdout + r.stderr


def test_one_tiny_round_of_iterate_end_to_end(tmp_path):
    suite = tmp_path / "suite.jsonl"
    arith_suite(suite)
    out = tmp_path / "run"
    args = ["iterate", "--learner", "lm", "--out", str(out), "--rounds", "0", "--train-suite", str(suite),
            "--train-split", "train", "--eval-suite", str(suite), "--eval-split", "test",
            "--sft-steps", "8", "--value-steps", "4", "--width", "32", "--budget", "6",
            "--samples", "2", "--workers", "2", "--ordering", "astar", "--proof-weight", "3"]
    r = qstar(*args)
    assert r.returncode == 0, r.stderr
    rows = [json.loads(x) for x in (out / "rounds.jsonl").read_text().splitlines()]
    assert [x["round"] for x in rows] == ["automation", 0]
    assert rows[1]["attempted"] == rows[0]["attempted"] == 5 and rows[1]["data_sft"] > 0
    # found-proof steps are weighted by copies in the policy rows, never in the k-NN database
    found = rows[1]["data_found_steps"]
    assert found > 0 and rows[1]["collect_proved"] > 0
    sft_lines = (out / "round_0" / "data" / "sft.jsonl").read_text().splitlines()
    assert len(sft_lines) == rows[1]["data_sft"] + 2 * found
    with gzip.open(out / "round_0" / "model" / "knn.jsonl.gz", "rt") as f:
        assert len(f.read().splitlines()) == rows[1]["data_sft"]
    assert (out / "round_0" / "model" / "value_head.safetensors").exists()
    assert (out / "rounds.png").exists() and "| automation |" in (out / "rounds.md").read_text()
    cfg = json.loads((out / "round_0" / "eval" / "config.json").read_text())
    assert cfg["search"]["model"].endswith("round_0/model") and cfg["search"]["ordering"] == "astar"
    # resuming a finished run redoes nothing and changes nothing
    before = (out / "rounds.jsonl").read_text()
    r = qstar(*args)
    assert r.returncode == 0, r.stderr
    after = [json.loads(x) for x in (out / "rounds.jsonl").read_text().splitlines()]
    assert [(x["round"], x["proved"]) for x in after] == [(x["round"], x["proved"]) for x in json.loads(
        "[" + ",".join(before.splitlines()) + "]")]


def test_features_learner_rounds_search_only_the_unproved_and_learn_online(tmp_path):
    from agent.env import Goal
    from agent.policies.retrieval import KnnPolicy
    suite = tmp_path / "suite.jsonl"
    arith_suite(suite)
    init = tmp_path / "init"
    init.mkdir()
    KnnPolicy.save_rows(str(init / "knn.jsonl.gz"), [((Goal((), "forall n : nat, n + 0 = n"),), "intros; lia.")])
    # a step generator in the init folder (trained on one corpus row): every round retrains it
    from agent.generator.model import Generator, GeneratorConfig
    from agent.learned.premises import Premise
    corpus = [{"file": "x.v", "theorem": "t", "goals": [{"hyps": [], "concl": "forall n : nat, n + 0 = n"}],
               "tactic": "intros; lia.", "globals": []}]
    Generator.train(corpus, [Premise("plus_n_O", "Lemma plus_n_O : forall n, n = n + 0.", "x.v", 0)],
                    GeneratorConfig(min_count=1)).save(str(init / "generator"), [r["goals"] for r in corpus])
    # and the ranker of the file's own steps, which no round trains: every round's model carries it
    from agent.search.searcher import BUNDLED_MODEL
    (init / "project_rank.json").write_text(open(f"{BUNDLED_MODEL}/project_rank.json").read())
    out = tmp_path / "run"
    args = ["iterate", "--out", str(out), "--rounds", "1", "--init", str(init), "--train-suite", str(suite),
            "--train-split", "train", "--eval-suite", str(suite), "--eval-split", "test",
            "--template-epochs", "1", "--budget", "6", "--workers", "2", "--ordering", "astar",
            "--hammer", "off"]
    r = qstar(*args)
    assert r.returncode == 0, r.stderr
    rows = [json.loads(x) for x in (out / "rounds.jsonl").read_text().splitlines()]
    assert [x["round"] for x in rows] == ["automation", "init", 0, 1]
    r0, r1 = rows[2], rows[3]
    assert r0["collect_proved"] > 0 and r0["pool_proved_total"] == r0["collect_proved"]
    # round 1 searches only what round 0 did not prove, and the cumulative count never falls
    assert r1["collect_attempted"] == r0["collect_attempted"] - r0["collect_proved"]
    assert r1["pool_proved_total"] == r0["pool_proved_total"] + r1["collect_proved"]
    model = out / "round_1" / "model"
    assert (model / "q_model.npy").is_file() and (model / "template_model.json").is_file()
    with gzip.open(model / "knn.jsonl.gz", "rt") as f:
        assert len(f.read().splitlines()) > 1  # the init's row plus every found proof's steps
    cfg = json.loads((out / "round_0" / "collect" / "config.json").read_text())
    assert cfg["search"]["online"] == "on"
    cfg = json.loads((out / "round_1" / "eval" / "config.json").read_text())
    assert cfg["search"]["model"].endswith("round_1/model") and cfg["search"]["ordering"] == "astar"
    assert cfg["search"]["generator"] == ""  # the round's own generator, in its model folder
    assert "| init |" in (out / "rounds.md").read_text()
    # the round's generator: the init's row plus every proof found in rounds 0 and 1
    found = sum(len(x["proof"]) for k in (0, 1) for x in map(json.loads, (out / f"round_{k}" / "collect" / "records.jsonl")
                                                                  .read_text().splitlines()) if x["status"] == "proved")
    assert found and len(Generator.load(str(model / "generator")).row_skeleton) == 1 + found
    # the model folder says what it holds and what trained each part
    r = qstar("model", str(model))
    assert r.returncode == 0, r.stderr
    for part in ("retrieval", "templates", "q", "v", "generator"):
        assert f"| {part} |" in r.stdout
    assert r.stdout.count("qstar iterate --learner features (round_1") == 5
    assert "| project_rank |" in r.stdout and (model / "project_rank.json").read_text() == (init / "project_rank.json").read_text()


def test_limit_spread_takes_evenly_spaced_theorems(tmp_path):
    from agent.bench.suites import load_suite
    suite = tmp_path / "s.jsonl"
    suite.write_text("".join(json.dumps({"name": f"t{i}", "split": "test" if i % 2 else "train",
                                          "header": "", "formal_statement": f"Lemma t{i} : True."}) + "\n"
                             for i in range(20)))
    first = [it.theorem.name for it in load_suite(str(suite), split="test", limit=3)]
    spread = [it.theorem.name for it in load_suite(str(suite), split="test", limit=3, spread=True)]
    assert first == ["t1", "t3", "t5"] and spread == ["t1", "t7", "t13"]
    assert len(load_suite(str(suite), split="test", limit=50, spread=True)) == 10
