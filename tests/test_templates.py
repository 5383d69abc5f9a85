"""Tactic templates and the learned template policy: known answers, training, save/load, CLI."""

import json
from pathlib import Path

from agent.learned.features import goal_features, locals_of
from agent.policies.template_policy import TemplateConfig, TemplateModel, train_templates
from agent.policies.tactic_templates import abstract, instantiate, slots, stem
from conftest import qstar, requires_coq
from helpers import coq_goals, coq_state

ROOT = Path(__file__).resolve().parents[1]
STATE = coq_goals("n, m : nat\nH : n = m\nH0 : m <= 3 /\\ m > 0\nf := fun k : nat => k : nat -> nat\n⊢ n <= 3"
                  "\n\nn : nat\n⊢ True")


def test_locals_and_features_read_the_focused_goals_fields():
    locs = locals_of(STATE)
    assert [(l.name, l.type, l.rank, l.in_goal) for l in locs] == [
        ("n", "nat", 4, True), ("m", "nat", 3, False), ("H", "n = m", 2, False),
        ("H0", "m <= 3 /\\ m > 0", 1, False), ("f", "nat -> nat", 0, False)]
    feats = goal_features(STATE)
    assert feats["h:nat"] == 4 and feats["h:fun"] == 1  # types, and the local definition's value
    assert feats["c:n"] == 1 and feats["b:n <"] == 1 and not any(k.startswith("c:True") for k in feats)
    assert "h:H" not in feats and "h:H0" not in feats  # names vary between proofs: not features


def test_abstract_replaces_local_names_only_and_instantiates_back():
    names = {"n", "m", "H", "H0"}
    tpl, args = abstract("rewrite H in H0; apply Nat.le_trans with (m := n).", names)
    assert tpl == "rewrite ⟨0⟩ in ⟨1⟩; apply Nat.le_trans with (⟨2⟩ := ⟨3⟩)."
    assert args == ["H", "H0", "m", "n"] and slots(tpl) == 4 and stem(tpl) == "rewrite"
    assert instantiate(tpl, ["Hx", "Hy", "a", "b"]) == "rewrite Hx in Hy; apply Nat.le_trans with (a := b)."
    assert abstract("- destruct H as [Ha Hb].", names) == ("- destruct ⟨0⟩ as [Ha Hb].", ["H"])
    assert stem("- destruct ⟨0⟩.") == "destruct"
    assert abstract("lia.", names) == ("lia.", [])


def _rows():
    rows = []
    for i in range(30):
        h = f"E{i}"
        rows.append((coq_goals(f"a, b : nat\nL{i} : a <= b\n{h} : a = b + {i}\n⊢ a * 2 = b"), f"rewrite {h}."))
        rows.append((coq_goals(f"x : nat\n⊢ x + {i} <= x + {i + 1}"), "lia."))
    return rows


def test_template_policy_learns_template_and_argument_and_survives_save(tmp_path):
    cfg = TemplateConfig(buckets=1 << 10, dim=16, arg_buckets=1 << 10, epochs=30, batch_size=16, lr=2e-2)
    untrained = TemplateModel(cfg, ["rewrite ⟨0⟩.", "lia."])
    before = untrained.emb.weight.detach().clone()
    model, info = train_templates(_rows(), cfg)
    assert info["templates"] == 2 and info["last_loss"] < info["first_loss"] / 4
    assert not model.emb.weight.detach().equal(before)
    # A name never seen in training: the argument model chose it for its type, not its name.
    state = coq_state("a, b : nat\nHq : a <= b\nHeq : a = b + 7\n⊢ a * 2 = b")
    cands = model(state)
    assert cands[0][0] == "rewrite Heq.", cands
    assert all(lp <= 0 for _, lp in cands)
    assert model(coq_state("x : nat\n⊢ x + 40 <= x + 41"))[0][0] == "lia."
    model.save(str(tmp_path))
    again = TemplateModel.load(str(tmp_path))
    assert [t for t, _ in again(state)] == [t for t, _ in cands]


def test_no_candidate_needs_more_locals_than_the_state_has():
    model, _ = train_templates(_rows(), TemplateConfig(buckets=1 << 10, dim=8, arg_buckets=1 << 10, epochs=2))
    assert [t for t, _ in model(coq_state("⊢ 1 = 2"))] == ["lia."]



@requires_coq
def test_train_templates_cli_then_prove_with_them_soundly(tmp_path):
    # Real goal texts of examples/arith.v after `intros.`; the policy must find `rewrite`-free
    # closers plus the `intros` step, and every proof is re-checked by coqc.
    rows = [{"state": "⊢ forall n m : nat, n + m = m + n", "tactic": "intros."},
            {"state": "n, m : nat\n⊢ n + m = m + n", "tactic": "lia."},
            {"state": "⊢ forall P Q : Prop, P /\\ Q -> Q /\\ P", "tactic": "tauto."}] * 4
    data = tmp_path / "rows.jsonl"
    data.write_text("\n".join(json.dumps(r) for r in rows) + "\n")
    model = tmp_path / "tpl"
    r = qstar("train", "templates", "--data", str(data), "--out", str(model), "--epochs", "20",
              "--buckets", "1024", "--dim", "8", "--arg-buckets", "1024")
    assert r.returncode == 0, r.stderr
    assert json.loads(r.stdout.splitlines()[0])["templates"] == 3
    src = tmp_path / "arith.v"
    src.write_text((ROOT / "examples" / "arith.v").read_text())
    report = tmp_path / "report.json"
    r = qstar("prove", str(src), "--output", str(tmp_path / "out.v"), "--report", str(report),
              "--model", "none", "--templates", str(model), "--automation", "off", "--goal-args", "off",
              "--budget", "4")
    assert r.returncode == 0, r.stderr
    rep = json.loads(report.read_text())
    proved = [t for t in rep["theorems"] if t["status"] == "proved"]
    assert proved and all(set(t["proof"]) <= {"intros.", "lia.", "tauto."} for t in proved)
    r = qstar("train", "templates", "--data", str(tmp_path / "none.jsonl"), "--out", str(model))
    assert r.returncode == 2 and "no such data file" in r.stderr


def test_the_numpy_template_scorer_proposes_what_the_torch_model_does():
    import gzip
    import json
    import os

    from agent.env import Goal, ProofState
    from agent.policies.template_policy import TemplateModel
    from agent.policies.template_scorer import TemplateScorer
    folder = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "agent", "default_model")
    torch_model, scorer = TemplateModel.load(folder), TemplateScorer.load(folder)
    with gzip.open(os.path.join(folder, "knn.jsonl.gz"), "rt", encoding="utf-8") as f:
        rows = [json.loads(line) for _, line in zip(range(200), f)][::20]
    for r in rows:
        state = ProofState(tuple(Goal.from_json(g) for g in r["goals"]))
        a, b = torch_model(state), scorer(state)
        assert [t for t, _ in a] == [t for t, _ in b] and a
        assert all(abs(x - y) < 1e-4 for (_, x), (_, y) in zip(a, b))
