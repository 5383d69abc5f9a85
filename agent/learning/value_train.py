"""Training the value V(state) from labelled states.

Targets are numbers in [0, 1]: the expert-iteration loop labels a state on a found proof path
gamma^(distance to the proof's end) and a refuted state (every tactic tried from it rejected by
the kernel, or leading to a refuted state) 0; unfinished states get no label. Loss: binary
cross-entropy with logits. ``init`` decides the shape: a policy checkpoint puts the head on the
policy's trunk (trunk frozen unless ``train_trunk``), ``tiny-causal`` / ``tiny-seq2seq`` or another
model make a separate value model.
"""

from __future__ import annotations

import json
import os
from dataclasses import asdict, dataclass, field

from agent.backends import row_goals
from agent.io import read_jsonl
from agent.learning.trainloop import LoopConfig, run_loop


@dataclass
class ValueTrainConfig:
    """Train the value V(state) on (goals, target) rows."""

    data: str
    """JSONL rows {"goals", "target"}."""
    out: str
    """Output folder (model + value_head.safetensors + value_head.json)."""
    init: str = "tiny-causal"
    """A policy folder (head on its trunk), tiny-causal / tiny-seq2seq, a preset, hub id or folder."""
    train_trunk: bool = False
    """Also update the trunk (always on for a fresh tiny model)."""
    width: int = 128
    """Hidden width of a tiny model."""
    layers: int = 2
    """Layers of a tiny model."""
    max_state_chars: int = 512
    """Truncate states to this many characters."""
    device: str = "auto"
    """auto, cpu or cuda."""
    loop: LoopConfig = field(default_factory=LoopConfig)
    """Optimisation settings."""


def value_loss(vm, rows: list[dict]):
    import torch
    logits = vm.logits([vm.text(r["goals"]) for r in rows])  # (B,)
    target = torch.tensor([float(r["target"]) for r in rows], device=logits.device)
    return torch.nn.functional.binary_cross_entropy_with_logits(logits, target)


def train_value(cfg: ValueTrainConfig) -> dict:
    from agent.learning.sft import init_model
    from agent.policies.lm_value import ValueModel
    rows = [{**r, "goals": row_goals(r)} for r in read_jsonl(cfg.data, ("target",))]
    os.makedirs(cfg.out, exist_ok=True)
    with open(os.path.join(cfg.out, "value_train_config.json"), "w", encoding="utf-8") as f:
        json.dump({"command": "value", **asdict(cfg)}, f, indent=2)
    fresh = cfg.init.startswith("tiny-")
    model, tok, info = init_model(cfg.init, width=cfg.width, layers=cfg.layers, device=cfg.device,
                                  max_state_chars=cfg.max_state_chars, seed=cfg.loop.seed)
    shares = os.path.isdir(cfg.init)  # a qstar/HF folder: the head rides on that model's trunk
    vm = ValueModel(model, tok, info, shares_policy=shares)
    train_trunk = fresh or cfg.train_trunk
    for p in model.parameters():
        p.requires_grad_(train_trunk)
    model.train(train_trunk)
    params = list(vm.head.parameters()) + (list(model.parameters()) if train_trunk else [])
    summary = run_loop(params, rows, lambda batch: value_loss(vm, batch), cfg.loop,
                       os.path.join(cfg.out, "value_train_log.jsonl"), "value")
    model.eval()
    vm.save(cfg.out)
    return {"rows": len(rows), **summary}
