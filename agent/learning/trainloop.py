"""The optimisation loop shared by SFT and value training: AdamW, shuffled mini-batches,
gradient clipping, a progress bar, and one JSON line of metrics per step."""

from __future__ import annotations

import json
import random
import time
from dataclasses import dataclass
from typing import Callable, Literal


@dataclass
class LoopConfig:
    """Optimisation settings (shared by every ``qstar train`` command)."""

    epochs: int = 1
    """Passes over the data (ignored when max_steps is set)."""
    max_steps: int = 0
    """Stop after this many optimiser steps (0: run the epochs)."""
    lr: float = 3e-4
    """AdamW learning rate."""
    batch_size: int = 16
    """Rows per optimiser step."""
    seed: int = 0
    """Shuffling and initialisation seed."""
    clip: float = 1.0
    """Gradient-norm clip."""
    max_seconds: float = 0.0
    """Stop after this many seconds of training (0: no limit): a fixed time budget, as on a GPU
    lent for minutes."""
    bf16: Literal["auto", "on", "off"] = "auto"
    """auto: bf16 autocast on CUDA (fp32 master weights), none on CPU; on; off."""


def run_loop(params, rows: list, loss_fn: Callable[[list], "object"], cfg: LoopConfig,
             log_path: str, desc: str) -> dict:
    """Minimise ``loss_fn(batch_rows)`` over ``rows``; returns first/last loss and step count."""
    import contextlib

    import torch
    from tqdm import tqdm
    params = [p for p in params if p.requires_grad]
    opt = torch.optim.AdamW(params, lr=cfg.lr, weight_decay=0.0)
    cuda = bool(params) and params[0].device.type == "cuda"
    amp = cfg.bf16 == "on" or cfg.bf16 == "auto" and cuda
    autocast = (lambda: torch.autocast(device_type=params[0].device.type, dtype=torch.bfloat16)) if amp \
        else contextlib.nullcontext
    rng = random.Random(cfg.seed)
    per_epoch = max(1, (len(rows) + cfg.batch_size - 1) // cfg.batch_size)
    total = cfg.max_steps or cfg.epochs * per_epoch
    first = last = None
    step, t0 = 0, time.monotonic()
    with open(log_path, "a", encoding="utf-8") as log, tqdm(total=total, desc=desc, disable=None) as bar:
        while step < total and not (cfg.max_seconds and time.monotonic() - t0 >= cfg.max_seconds):
            order = list(range(len(rows)))
            rng.shuffle(order)
            for i in range(0, len(order), cfg.batch_size):
                if step >= total or cfg.max_seconds and time.monotonic() - t0 >= cfg.max_seconds:
                    break
                with autocast():
                    loss = loss_fn([rows[j] for j in order[i:i + cfg.batch_size]])
                opt.zero_grad(set_to_none=True)
                loss.backward()
                torch.nn.utils.clip_grad_norm_(params, cfg.clip)
                opt.step()
                step += 1
                value = float(loss.detach())
                first = value if first is None else first
                last = value
                log.write(json.dumps({"step": step, "loss": value,
                                      "seconds": round(time.monotonic() - t0, 3)}) + "\n")
                bar.update(1)
                bar.set_postfix(loss=f"{value:.4f}")
    return {"steps": step, "first_loss": first, "last_loss": last, "bf16": amp,
            "seconds": round(time.monotonic() - t0, 2)}
