"""The template policy at search time without torch: the trained weights read with numpy
(``safetensors.numpy``), the same candidates as ``TemplateModel`` (``template_policy.propose``).
``qstar prove`` and ``bench`` with the bundled model then never import torch, a second or two of
every start on a CPU (training still uses ``TemplateModel``)."""

from __future__ import annotations

import json
import os

import numpy as np

from agent.policies.template_policy import META_FILE, MODEL_FILE, TemplateConfig, propose, state_ids


class TemplateScorer:
    def __init__(self, cfg: TemplateConfig, templates: list[str], tensors: dict):
        self.cfg, self.templates = cfg, templates
        self.emb = tensors["emb"].astype(np.float32)
        self.out_w = tensors["out_w"].astype(np.float32)
        self.out_b = tensors["out_b"].astype(np.float32)
        self.arg = tensors["arg"].astype(np.float32)[:, 0]

    @classmethod
    def load(cls, folder: str) -> "TemplateScorer":
        from safetensors.numpy import load_file
        meta = json.loads(open(os.path.join(folder, META_FILE), encoding="utf-8").read())
        return cls(TemplateConfig(**meta["config"]), meta["templates"], load_file(os.path.join(folder, MODEL_FILE)))

    def template_logp(self, goals) -> list[float]:
        x = self.emb[state_ids(goals, self.cfg.buckets)].mean(axis=0)  # EmbeddingBag, mode "mean"
        return _log_softmax(self.out_w @ x + self.out_b).tolist()

    def arg_logp(self, bags: list[list[int]]) -> list[float]:
        return _log_softmax(np.array([self.arg[b].sum() for b in bags], dtype=np.float32)).tolist()

    def __call__(self, state):
        return propose(self, state)


def _log_softmax(z: np.ndarray) -> np.ndarray:
    z = z - z.max()
    return z - np.log(np.exp(z).sum())
