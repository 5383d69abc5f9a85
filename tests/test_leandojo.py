"""LeanDojo's benchmark data read into qstar's training rows, as a user runs it."""

import json

from agent.env import Goal
from conftest import qstar

THEOREMS = [
    {"url": "https://github.com/leanprover-community/mathlib4", "commit": "29dcec074de168ac2bf835a77ef68bbe069194c5",
     "file_path": "Mathlib/Algebra/Group/Basic.lean", "full_name": "mul_left_comm'", "start": [10, 1], "end": [14, 20],
     "traced_tactics": [
         {"tactic": "intro a b c", "annotated_tactic": ["intro a b c", []],
          "state_before": "G : Type u_1\ninst✝ : CommMonoid G\n⊢ ∀ (a b c : G), a * (b * c) = b * (a * c)",
          "state_after": "G : Type u_1\ninst✝ : CommMonoid G\na b c : G\n⊢ a * (b * c) = b * (a * c)"},
         {"tactic": "rw [← mul_assoc, mul_comm a b, mul_assoc]",
          "annotated_tactic": ["rw [← <a>mul_assoc</a>, <a>mul_comm</a> a b, <a>mul_assoc</a>]", []],
          "state_before": "G : Type u_1\ninst✝ : CommMonoid G\na b c : G\n⊢ a * (b * c) = b * (a * c)",
          "state_after": "no goals"}]},
    {"url": "https://github.com/leanprover-community/mathlib4", "commit": "29dcec074de168ac2bf835a77ef68bbe069194c5",
     "file_path": "Mathlib/Order/Basic.lean", "full_name": "le_split", "start": [3, 1], "end": [5, 9],
     "traced_tactics": [
         {"tactic": "constructor", "annotated_tactic": ["constructor", []],
          "state_before": "α : Type u\ninst✝ : Preorder α\na : α\n⊢ a ≤ a ∧ a ≤ a",
          "state_after": "case left\nα : Type u\ninst✝ : Preorder α\na : α\n⊢ a ≤ a\n\ncase right\nα : Type u\n"
                         "inst✝ : Preorder α\na : α\n⊢ a ≤ a"}]},
]


def test_import_leandojo_writes_one_row_per_traced_tactic_from_the_train_split_only(tmp_path):
    bench = tmp_path / "leandojo_benchmark_4" / "random"
    bench.mkdir(parents=True)
    (bench / "train.json").write_text(json.dumps(THEOREMS), encoding="utf-8")
    (bench / "test.json").write_text(json.dumps(THEOREMS[:1]), encoding="utf-8")  # held out
    out = tmp_path / "rows.jsonl"
    r = qstar("data", "import-leandojo", str(tmp_path / "leandojo_benchmark_4"), "--out", str(out))
    assert r.returncode == 0, r.stderr
    rows = [json.loads(ln) for ln in out.read_text(encoding="utf-8").splitlines()]
    assert len(rows) == 3 and {r["split"] for r in rows} == {"train"}
    first, second, third = rows
    assert (first["theorem"], first["step"], first["tactic"]) == ("mul_left_comm'", 0, "intro a b c")
    g = Goal.from_json(second["goals"][0])
    assert g.conclusion == "a * (b * c) = b * (a * c)" and ("a", "b", "c") in [h.names for h in g.hypotheses]
    assert second["next_goals"] == [] and second["proved"] is True and first["proved"] is False
    assert [Goal.from_json(x).tag for x in third["next_goals"]] == ["left", "right"]
    s = qstar("data", "stats", str(out))
    assert s.returncode == 0 and json.loads(s.stdout)["theorems"] == 2, s.stdout + s.stderr

    (bench / "train.json").write_text(json.dumps([{"name": "x"}]), encoding="utf-8")
    r = qstar("data", "import-leandojo", str(bench), "--out", str(tmp_path / "bad.jsonl"))
    assert r.returncode == 2 and "theorem 0" in r.stderr and not (tmp_path / "bad.jsonl").exists()
    r = qstar("data", "import-leandojo", str(tmp_path / "nowhere"))
    assert r.returncode == 2 and "no such file" in r.stderr
