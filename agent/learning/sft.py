"""Supervised fine-tuning of the tactic policy on (state, tactic) pairs.

Loss: mean negative log-likelihood of the tactic's tokens (and its end token) given the prompt
the policy will see at search time (same template, same truncation), so training and search
never disagree about the input. Rows may carry ``weight`` (default 1): a weighted SFT that the
expert-iteration loop uses for Q-style weighting. The checkpoint is a Hugging Face folder
(safetensors) plus ``qstar.json``, loadable by ``qstar prove --model DIR``.
"""

from __future__ import annotations

import json
import os
import random
from dataclasses import asdict, dataclass, field

from agent.backends import row_goals
from agent.io import read_jsonl
from agent.learning.preference import dpo_loss
from agent.learning.trainloop import LoopConfig, run_loop


@dataclass
class SFTConfig:
    """Supervised fine-tuning of the tactic policy on (goals, tactic) rows."""

    data: str
    """JSONL rows {"goals", "tactic"[, "name", "proof_before", "weight"]}."""
    out: str
    """Output folder for the checkpoint."""
    init: str = "tiny-causal"
    """Starting model: tiny-causal / tiny-seq2seq (fresh byte-level), a preset, hub id or folder."""
    width: int = 128
    """Hidden width of a tiny model."""
    layers: int = 2
    """Layers of a tiny model."""
    max_state_chars: int = 512
    """Truncate states to this many characters (tiny models; 0 = keep a loaded model's setting)."""
    pairs: str = ""
    """Optional JSONL of preference pairs {"goals", "chosen", "rejected"[, "name", "proof_before"]}
    (kernel-rejected negatives)."""
    dpo_beta: float = 0.1
    """DPO temperature beta."""
    dpo_weight: float = 1.0
    """Weight of the DPO loss added to the SFT loss."""
    device: str = "auto"
    """auto, cpu or cuda."""
    loop: LoopConfig = field(default_factory=LoopConfig)
    """Optimisation settings."""


def init_model(init: str, *, width: int, layers: int, device: str, max_state_chars: int, seed: int):
    from agent.policies.models import TinyConfig, build_tiny, load_model, pick_device
    if init in ("tiny-causal", "tiny-seq2seq"):
        model, tok, info = build_tiny(TinyConfig(kind=init.split("-", 1)[1], width=width, layers=layers,
                                                 heads=max(1, width // 32)), seed=seed)
        model.to(pick_device(device))
    else:
        model, tok, info = load_model(init, device=device)
    if max_state_chars:
        info.max_state_chars = max_state_chars
    return model, tok, info


def tactic_loss(model, tok, info, rows: list[dict], *, max_tactic_tokens: int):
    """Weighted mean token NLL of each row's tactic after its prompt (a scalar tensor)."""
    import torch

    from agent.policies.lm import encode_prompt, encode_tactic, make_batch, sequence_logprobs
    from agent.policies.prompts import row_prompt
    prompts = [encode_prompt(tok, row_prompt(info.template, r, max_state_chars=info.max_state_chars), info.kind)
               for r in rows]
    tactics = [encode_tactic(tok, r["tactic"], max_tactic_tokens) for r in rows]
    device = next(model.parameters()).device
    total, count = sequence_logprobs(model, make_batch(tok, info.kind, prompts, tactics, device))
    w = torch.tensor([float(r.get("weight", 1.0)) for r in rows], device=device)
    return -(w * total).sum() / (w * count).sum().clamp(min=1)


def train_sft(cfg: SFTConfig) -> dict:
    from agent.policies.models import write_info
    rows = [{**r, "goals": row_goals(r)} for r in read_jsonl(cfg.data, ("tactic",))]
    os.makedirs(cfg.out, exist_ok=True)
    with open(os.path.join(cfg.out, "qstar_train_config.json"), "w", encoding="utf-8") as f:
        json.dump({"command": "sft", **asdict(cfg)}, f, indent=2)
    model, tok, info = init_model(cfg.init, width=cfg.width, layers=cfg.layers, device=cfg.device,
                                  max_state_chars=cfg.max_state_chars, seed=cfg.loop.seed)
    pairs = [{**r, "goals": row_goals(r)} for r in read_jsonl(cfg.pairs, ("chosen", "rejected"))] if cfg.pairs else []
    reference = None
    if pairs:  # DPO against a frozen copy of the starting model
        import copy
        reference = copy.deepcopy(model).eval()
        for p in reference.parameters():
            p.requires_grad_(False)
    model.train()
    rng = random.Random(cfg.loop.seed)

    def loss(batch: list[dict]):
        total = tactic_loss(model, tok, info, batch, max_tactic_tokens=info.max_tactic_tokens)
        if reference is not None:
            sample = rng.sample(pairs, min(len(pairs), cfg.loop.batch_size))
            total = total + cfg.dpo_weight * dpo_loss(model, reference, tok, info, sample, beta=cfg.dpo_beta,
                                                      max_tactic_tokens=info.max_tactic_tokens)
        return total

    summary = run_loop(model.parameters(), rows, loss, cfg.loop,
                       os.path.join(cfg.out, "train_log.jsonl"), "sft" + ("+dpo" if pairs else ""))
    model.eval()
    model.save_pretrained(cfg.out)
    tok.save_pretrained(cfg.out)
    write_info(cfg.out, info)
    return {"rows": len(rows), "pairs": len(pairs), **summary}
