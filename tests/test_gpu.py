"""The CUDA paths (skipped with a reason where no GPU is present; evals/gpu_check.sh runs them on
one), and the GPU check itself on CPU with a tiny config."""

import json
import os
import subprocess

import pytest

from conftest import ROOT, requires_coq

torch = pytest.importorskip("torch")
requires_cuda = pytest.mark.skipif(not torch.cuda.is_available(), reason="no CUDA device on this machine")


@requires_cuda
def test_policy_generates_in_bf16_on_the_gpu():
    from agent.env import Goal, ProofState
    from agent.policies.models import TinyConfig, build_tiny, pick_dtype
    from agent.policies.transformer import PolicyConfig, TransformerPolicy
    model, tok, info = build_tiny(TinyConfig(width=64, layers=2))
    model.to("cuda", dtype=pick_dtype("cuda"))
    assert next(model.parameters()).dtype == torch.bfloat16
    policy = TransformerPolicy(model, tok, info, config=PolicyConfig(samples=4))
    out = policy(ProofState((Goal((), "1 + 1 = 2"),)))
    assert all(isinstance(t, str) and lp <= 0 for t, lp in out)


@requires_cuda
def test_value_head_and_sft_step_run_on_the_gpu(tmp_path):
    from agent.env import Goal, ProofState
    from agent.learning.sft import tactic_loss
    from agent.learning.trainloop import LoopConfig, run_loop
    from agent.policies.models import TinyConfig, build_tiny
    from agent.policies.lm_value import ValueModel
    model, tok, info = build_tiny(TinyConfig(width=64, layers=2))
    model.to("cuda")
    v = ValueModel(model, tok, info)
    assert 0 < v([ProofState((Goal((), "True"),))])[0] < 1
    rows = [{"goals": (Goal((), "1 + 1 = 2"),), "tactic": "reflexivity."}] * 8
    model.train()
    summary = run_loop(model.parameters(), rows, lambda b: tactic_loss(model, tok, info, b, max_tactic_tokens=16),
                       LoopConfig(max_steps=3, batch_size=4), str(tmp_path / "log.jsonl"), "sft")
    assert summary["steps"] == 3 and summary["bf16"] is True and summary["last_loss"] < summary["first_loss"] * 2


@requires_coq
def test_gpu_check_runs_end_to_end_on_cpu_with_a_tiny_config(tmp_path):
    run = tmp_path / "gc"
    suite = tmp_path / "suite.jsonl"  # a small Coq suite in place of miniF2F (absent from a clean clone)
    suite.write_text("".join(json.dumps({"name": f"t{i}", "split": "valid", "header": "Require Import Arith.\n",
                                         "formal_statement": f"Lemma t{i} (n : nat) : n + {i} = {i} + n."}) + "\n"
                             for i in range(12)))
    r = subprocess.run(["bash", str(ROOT / "evals" / "gpu_check.sh"), str(run)], capture_output=True, text=True,
                       cwd=ROOT, timeout=900, env={**os.environ, "TINY": "1", "SECONDS_": "2", "MINIF2F": str(suite)})
    assert r.returncode == 0, r.stdout[-2000:] + r.stderr[-2000:]
    out = json.loads((run / "gpu_check.json").read_text())
    assert out["cpu_model"]["attempted"] == out["gpu_model"]["attempted"] == 2
    assert out["train"]["steps"] > 0 and out["train"]["bf16"] is False
    assert "| gpu_model |" in r.stdout and "device: cpu" in r.stdout
