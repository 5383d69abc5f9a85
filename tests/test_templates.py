"""Tactic templates and the learned template policy: known answers, training, save/load, CLI."""

import json
from pathlib import Path

from agent.env import ProofState
from agent.policies.template_policy import TemplateConfig, TemplateModel, train_templates
from agent.policies.tactic_templates import abstract, focused_goal, instantiate, locals_of, slots, stem
from conftest import qstar, requires_coq

ROOT = Path(__file__).resolve().parents[1]
STATE = "n, m : nat\nH : n = m\nH0 : m <= 3\n  /\\ m > 0\n⊢ n <= 3\n\nn : nat\n⊢ True"


def test_focused_goal_reads_grouped_names_and_multiline_types():
    hyps, concl = focused_goal(STATE)
    assert hyps == [("n", "nat"), ("m", "nat"), ("H", "n = m"), ("H0", "m <= 3 /\\ m > 0")]
    assert concl == "n <= 3"
    locs = locals_of(STATE)
    assert [(l.name, l.rank, l.in_goal) for l in locs] == [("n", 3, True), ("m", 2, False),
                                                          ("H", 1, False), ("H0", 0, False)]


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
        rows.append({"state": f"a, b : nat\nL{i} : a <= b\n{h} : a = b + {i}\n⊢ a * 2 = b", "tactic": f"rewrite {h}."})
        rows.append({"state": f"x : nat\n⊢ x + {i} <= x + {i + 1}", "tactic": "lia."})
    return rows


def test_template_policy_learns_template_and_argument_and_survives_save(tmp_path):
    cfg = TemplateConfig(buckets=1 << 10, dim=16, arg_buckets=1 << 10, epochs=30, batch_size=16, lr=2e-2)
    untrained = TemplateModel(cfg, ["rewrite ⟨0⟩.", "lia."])
    before = untrained.emb.weight.detach().clone()
    model, info = train_templates(_rows(), cfg)
    assert info["templates"] == 2 and info["last_loss"] < info["first_loss"] / 4
    assert not model.emb.weight.detach().equal(before)
    # A name never seen in training: the argument model chose it for its type, not its name.
    state = ProofState(("a, b : nat\nHq : a <= b\nHeq : a = b + 7\n⊢ a * 2 = b",))
    cands = model(state)
    assert cands[0][0] == "rewrite Heq.", cands
    assert all(lp <= 0 for _, lp in cands)
    assert model(ProofState(("x : nat\n⊢ x + 40 <= x + 41",)))[0][0] == "lia."
    model.save(str(tmp_path))
    again = TemplateModel.load(str(tmp_path))
    assert [t for t, _ in again(state)] == [t for t, _ in cands]


def test_no_candidate_needs_more_locals_than_the_state_has():
    model, _ = train_templates(_rows(), TemplateConfig(buckets=1 << 10, dim=8, arg_buckets=1 << 10, epochs=2))
    assert [t for t, _ in model(ProofState(("⊢ 1 = 2",)))] == ["lia."]



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
              "--model", "none", "--templates", str(model), "--automation", "off", "--budget", "4")
    assert r.returncode == 0, r.stderr
    rep = json.loads(report.read_text())
    proved = [t for t in rep["theorems"] if t["status"] == "proved"]
    assert proved and all(set(t["proof"]) <= {"intros.", "lia.", "tauto."} for t in proved)
    r = qstar("train", "templates", "--data", str(tmp_path / "none.jsonl"), "--out", str(model))
    assert r.returncode == 2 and "no such data file" in r.stderr
