"""evals/ceiling.py and evals/v_frontier.py on small hand-written run folders and trees."""

import importlib.util
import json
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def _script(name: str):
    spec = importlib.util.spec_from_file_location(name, ROOT / "evals" / f"{name}.py")
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


def _run(folder: Path, half: str, statuses: dict[str, str], budget: int = 16):
    folder.mkdir(parents=True)
    (folder / "config.json").write_text(json.dumps({"half": half, "search": {"budget": budget, "timeout": 20.0,
                                                                             "ordering": "bfs"}}))
    (folder / "results.jsonl").write_text("".join(json.dumps({"id": i, "status": s}) + "\n"
                                                  for i, s in statuses.items()))


def test_ceiling_is_the_union_of_every_run_on_the_half(tmp_path, capsys):
    ceiling = _script("ceiling")
    _run(tmp_path / "a", "eval", {"t1": "proved", "t2": "failed", "t3": "failed"})
    _run(tmp_path / "b", "eval", {"t1": "proved", "t2": "proved", "t3": "failed"}, budget=400)
    _run(tmp_path / "c", "iterate", {"t1": "proved", "t2": "proved", "t3": "proved"})  # another half: not counted
    out = tmp_path / "ceiling.json"
    assert ceiling.main([str(tmp_path), "--ref", str(tmp_path / "a"), "--out", str(out)]) == 0
    got = json.loads(out.read_text())
    assert (got["runs"], got["union"], got["best_run"], got["ref_proved"]) == (2, 2, 2, 1)
    assert got["beyond_ref"] == ["t2"]
    assert "the union adds 1: t2" in capsys.readouterr().out


def test_ceiling_refuses_what_it_cannot_compare(tmp_path, capsys):
    ceiling = _script("ceiling")
    assert ceiling.main([str(tmp_path)]) == 1  # no run at all
    _run(tmp_path / "a", "eval", {"t1": "proved"})
    _run(tmp_path / "b", "eval", {"t1": "proved", "t2": "failed"})
    assert ceiling.main([str(tmp_path)]) == 1  # two suites of different sizes
    assert ceiling.main([str(tmp_path / "a"), "--ref", str(tmp_path / "b")]) == 1  # a reference not found
    assert "different sizes" in capsys.readouterr().err


def _node(i, parent, status, value):
    return {"id": i, "parent": parent, "goals": [], "status": status, "value": value,
            "expanded": status != "open", "complete": status == "refuted"}


def test_v_frontier_reports_v_by_status_and_how_it_ranks_the_proof_path(tmp_path):
    vf = _script("v_frontier")
    proved = {"status": "proved", "tree": {
        "proof": ["intros.", "lia."],
        "nodes": [_node(0, -1, "proved", 0.9), _node(1, 0, "proved", 0.8), _node(2, 0, "open", 0.95),
                  _node(3, 0, "refuted", 0.1)],
        "edges": [{"src": 0, "tactic": "intros.", "outcome": "goals", "dst": 1},
                  {"src": 0, "tactic": "simpl.", "outcome": "goals", "dst": 2},
                  {"src": 0, "tactic": "split.", "outcome": "goals", "dst": 3},
                  {"src": 1, "tactic": "lia.", "outcome": "proved", "dst": None},
                  {"src": 3, "tactic": "lia.", "outcome": "error", "dst": None}]}}
    failed = {"status": "failed", "tree": {"proof": None, "nodes": [_node(0, -1, "unfinished", 0.99)], "edges": []}}
    got = vf.frontier([proved, failed, {"status": "error"}])
    assert got["by_status"]["open"]["nodes"] == 1 and got["by_status"]["unfinished"]["median"] == 0.99
    assert got["by_status"]["refuted"]["share_at_least_0.9"] == 0.0
    # path nodes 0 (0.9) and 1 (0.8) against 2 (0.95) and 3 (0.1): 2 of 4 pairs ranked right
    assert (got["path_nodes"], got["other_nodes"], got["path_vs_rest_auc"]) == (2, 2, 0.5)
    records = tmp_path / "records.jsonl"
    records.write_text(json.dumps({"status": "error"}) + "\n")
    assert vf.main([str(records)]) == 1  # no tree: a clear error, not an empty table
