"""SFT and value training on tiny models; then the trained pair drives `qstar prove` on real Coq."""

import json

import pytest

from agent.policies.models import TinyConfig, build_tiny
from agent.learning.sft import tactic_loss
from agent.learning.trainloop import LoopConfig, run_loop
from agent.policies.lm_value import ValueModel
from agent.learning.value_train import value_loss
from conftest import qstar, requires_coq
from helpers import coq_goals

ROWS = [{"goals": coq_goals(f"n : nat\n⊢ n + {i} = {i} + n"), "tactic": "lia."} for i in range(12)] + \
       [{"goals": coq_goals(f"⊢ True /\\ {i} = {i}"), "tactic": "split."} for i in range(12)]


def snapshot(module):
    return {k: v.detach().clone() for k, v in module.state_dict().items()}


@pytest.mark.parametrize("kind", ["causal", "seq2seq"])
def test_sft_changes_parameters_and_lowers_the_loss(kind, tmp_path):
    model, tok, info = build_tiny(TinyConfig(kind=kind, width=64))
    before = snapshot(model)
    model.train()
    loss0 = float(tactic_loss(model, tok, info, ROWS, max_tactic_tokens=16).detach())
    run_loop(model.parameters(), ROWS, lambda b: tactic_loss(model, tok, info, b, max_tactic_tokens=16),
             LoopConfig(max_steps=15, lr=3e-3, batch_size=8), str(tmp_path / "log.jsonl"), "sft")
    loss1 = float(tactic_loss(model, tok, info, ROWS, max_tactic_tokens=16).detach())
    assert loss1 < loss0 * 0.7
    assert any(not (before[k] == v).all() for k, v in model.state_dict().items())
    assert len((tmp_path / "log.jsonl").read_text().splitlines()) == 15


def test_value_training_lowers_bce_and_round_trips(tmp_path):
    model, tok, info = build_tiny(TinyConfig(width=64))
    vm = ValueModel(model, tok, info, shares_policy=True)
    rows = [{"goals": r["goals"], "target": 1.0 if "True" in r["goals"][0].conclusion else 0.0} for r in ROWS]
    head0 = snapshot(vm.head)
    loss0 = float(value_loss(vm, rows).detach())
    run_loop(vm.head.parameters(), rows, lambda b: value_loss(vm, b), LoopConfig(max_steps=40, lr=3e-2, batch_size=8),
             str(tmp_path / "log.jsonl"), "value")
    loss1 = float(value_loss(vm, rows).detach())
    assert loss1 < loss0 and any(not (head0[k] == v).all() for k, v in vm.head.state_dict().items())
    vm.save(str(tmp_path / "v"))
    again = ValueModel.load(str(tmp_path / "v"))
    from agent.env import ProofState
    states = [ProofState(r["goals"]) for r in ROWS[:4]]
    assert all(abs(a - b) < 1e-5 for a, b in zip(vm(states), again(states)))
    assert all(0.0 < v < 1.0 for v in vm(states))



@requires_coq
def test_trained_policy_and_value_drive_prove_soundly(tmp_path):
    # Real Coq goal texts as the kernel prints them, with tactics that close them.
    rows = [{"state": "⊢ forall n m : nat, n + m = m + n", "tactic": "lia."},
            {"state": "⊢ forall a b c : nat, a * (b + c) = a * b + a * c", "tactic": "lia."},
            {"state": "⊢ forall P Q : Prop, P /\\ Q -> Q /\\ P", "tactic": "tauto."},
            {"state": "⊢ forall n : nat, S n <> 0", "tactic": "easy."}] * 6
    sft = tmp_path / "sft.jsonl"
    sft.write_text("\n".join(json.dumps(r) for r in rows))
    val = tmp_path / "value.jsonl"
    val.write_text("\n".join(json.dumps({"state": r["state"], "target": 1.0}) for r in rows) + "\n"
                   + json.dumps({"state": "⊢ False", "target": 0.0}) + "\n")
    model = tmp_path / "model"
    r = qstar("train", "sft", "--data", str(sft), "--out", str(model), "--width", "64",
              "--max-steps", "40", "--lr", "3e-3", "--batch-size", "8")
    assert r.returncode == 0, r.stderr
    r = qstar("train", "value", "--data", str(val), "--out", str(model), "--init", str(model),
              "--max-steps", "20", "--lr", "1e-2")
    assert r.returncode == 0, r.stderr
    assert (model / "value_head.safetensors").exists() and (model / "model.safetensors").exists()
    # the statements it was trained on, and one it was not (its candidates fail there)
    src = tmp_path / "arith.v"
    src.write_text("Lemma c1 : forall n m : nat, n + m = m + n.\nProof.\nAdmitted.\n\n"
                   "Lemma c2 : forall P Q : Prop, P /\\ Q -> Q /\\ P.\nProof.\nAdmitted.\n\n"
                   "Lemma c3 : forall n : nat, S n <> 0.\nProof.\nAdmitted.\n\n"
                   "Lemma c4 : forall n : nat, n * 1 = n.\nProof.\nAdmitted.\n")
    out, report = tmp_path / "arith_proved.v", tmp_path / "report.json"
    r = qstar("prove", str(src), "--output", str(out), "--report", str(report), "--model", str(model),
              "--ordering", "astar", "--astar-lambda", "0.5", "--samples", "4", "--budget", "6",
              "--automation", "off", "--device", "cpu")
    assert r.returncode == 0, r.stderr
    rep = json.loads(report.read_text())
    assert rep["config"]["search"]["ordering"] == "astar" and rep["config"]["search"]["model"] == str(model)
    proved = [t for t in rep["theorems"] if t["status"] == "proved"]
    assert proved, "the trained policy should prove at least the lemmas it was trained on"
    assert all(t["model_seconds"] > 0 for t in rep["theorems"] if t["status"] != "error")
    c = qstar("check", str(out), "--reference", str(src))
    for t in proved:
        assert f"ok    {t['name']}" in c.stdout


def test_train_rejects_bad_data(tmp_path):
    bad = tmp_path / "bad.jsonl"
    bad.write_text('{"state": "x"}\n')
    r = qstar("train", "sft", "--data", str(bad), "--out", str(tmp_path / "m"))
    assert r.returncode == 2 and "missing field" in r.stderr and "Traceback" not in r.stderr
    r = qstar("train", "value", "--data", str(tmp_path / "nope.jsonl"), "--out", str(tmp_path / "m"))
    assert r.returncode == 2 and "no such data file" in r.stderr


def test_prove_refuses_value_search_without_a_value_model(tmp_path):
    r = qstar("prove", "examples/arith.v", "--model", "none", "--ordering", "astar", "--output", str(tmp_path / "o.v"))
    assert r.returncode == 2 and "needs a value model" in r.stderr
