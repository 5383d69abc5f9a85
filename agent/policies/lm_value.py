"""V(state): a learned estimate that a proof state can still be closed.

Two shapes, one class. The head is a linear map from the trunk's summary of a state to a scalar:
- on the policy's trunk (``shares_policy=True``): the tactic model itself supplies the hidden
  states, so policy and value are one model in memory and are fine-tuned together; the head
  reads the last prompt token's final hidden state (causal) or the mean of the encoder's
  (encoder-decoder). In best-first search a child's value is needed when it is created and the
  policy only when it is expanded, so the two run as separate forward passes.
- a separate small model (any causal or encoder-decoder checkpoint) with its own head.

V is a probability (sigmoid; trained with binary cross-entropy on proved / refuted labels;
search uses h = -log V). Scores are batched and cached per distinct state text.
"""

from __future__ import annotations

import json
import math
import os
from collections import OrderedDict
from dataclasses import asdict, dataclass

from agent.env import ProofState
from agent.policies.prompts import build_prompt

HEAD_FILE = "value_head.safetensors"
HEAD_JSON = "value_head.json"


@dataclass
class ValueHeadInfo:
    hidden: int
    mode: str = "prob"  # the only output qstar trains; kept in value_head.json for older readers
    shares_policy: bool = True


class ValueModel:
    def __init__(self, trunk, tokenizer, info, head=None, *, shares_policy: bool = True,
                 batch_size: int = 32, cache_size: int = 100_000):
        import torch
        self.trunk, self.tokenizer, self.info = trunk, tokenizer, info
        self.shares_policy, self.batch_size = shares_policy, batch_size
        hidden = _hidden_size(trunk)
        self.head = head if head is not None else torch.nn.Linear(hidden, 1)
        self.head.to(next(trunk.parameters()).device)
        self._cache: OrderedDict[str, float] = OrderedDict()
        self._cache_size = cache_size

    @property
    def device(self):
        return next(self.trunk.parameters()).device

    def text(self, goals) -> str:
        """The model input for a state's goals (``build_prompt``: the policy's template and
        truncation; no name or proof so far, which a value row does not carry)."""
        return build_prompt(self.info.template, goals, max_state_chars=self.info.max_state_chars)

    def logits(self, texts: list[str]):
        """Raw head outputs (B,), with gradients (for training)."""
        import torch

        from agent.policies.lm import encode_prompt
        ids = [encode_prompt(self.tokenizer, t, self.info.kind) for t in texts]
        width = max(len(x) for x in ids)
        pad = self.tokenizer.pad_token_id
        input_ids = torch.full((len(ids), width), pad, dtype=torch.long)
        mask = torch.zeros((len(ids), width), dtype=torch.long)
        for r, x in enumerate(ids):  # right padding: the last real token is at len - 1
            input_ids[r, :len(x)] = torch.tensor(x)
            mask[r, :len(x)] = 1
        input_ids, mask = input_ids.to(self.device), mask.to(self.device)
        if self.info.kind == "seq2seq":
            enc = self.trunk.get_encoder()(input_ids=input_ids, attention_mask=mask)
            h = enc.last_hidden_state  # (B, T, H)
            m = mask.unsqueeze(-1).to(h.dtype)
            summary = (h * m).sum(1) / m.sum(1).clamp(min=1)  # (B, H)
        else:
            out = self.trunk(input_ids=input_ids, attention_mask=mask, output_hidden_states=True)
            h = out.hidden_states[-1]  # (B, T, H)
            last = (mask.sum(1) - 1).clamp(min=0)  # (B,)
            summary = h[torch.arange(h.shape[0], device=h.device), last]  # (B, H)
        return self.head(summary.float()).squeeze(-1)  # (B,)

    def transform(self, logits):
        import torch
        return torch.sigmoid(logits)

    def __call__(self, states: list[ProofState]) -> list[float]:
        """V for each state, in (0, 1); cached per distinct model input."""
        import torch
        texts = [self.text(s.goals) for s in states]
        todo = list(dict.fromkeys(t for t in texts if t not in self._cache))
        if todo:
            with torch.no_grad():
                for i in range(0, len(todo), self.batch_size):
                    chunk = todo[i:i + self.batch_size]
                    vals = self.transform(self.logits(chunk)).cpu().tolist()
                    for t, v in zip(chunk, vals):
                        self._cache[t] = float(v)
            while len(self._cache) > self._cache_size:
                self._cache.popitem(last=False)
        return [self._cache[t] for t in texts]

    def heuristic(self, v: float) -> float:
        """h(state) for A*: -log V."""
        return -math.log(max(v, 1e-9))

    def save(self, path: str) -> None:
        from safetensors.torch import save_file

        from agent.io import atomic_write
        from agent.policies.models import write_info
        os.makedirs(path, exist_ok=True)
        # The trunk is saved beside its head so the folder is complete; with shares_policy the
        # folder is also a policy checkpoint and prove reuses the policy's trunk in memory.
        self.trunk.save_pretrained(path)
        self.tokenizer.save_pretrained(path)
        self.info.value_head = True
        write_info(path, self.info)
        state = {k: v.detach().cpu().contiguous() for k, v in self.head.state_dict().items()}
        save_file(state, os.path.join(path, HEAD_FILE))
        meta = ValueHeadInfo(hidden=_hidden_size(self.trunk), shares_policy=self.shares_policy)
        atomic_write(os.path.join(path, HEAD_JSON), json.dumps(asdict(meta), indent=2) + "\n")

    @classmethod
    def load(cls, path: str, *, trunk=None, tokenizer=None, info=None, device: str = "auto",
             dtype: str = "auto") -> "ValueModel":
        """Load a head from ``path``; its trunk is ``trunk`` (the policy's) or the model in ``path``."""
        import torch
        from safetensors.torch import load_file

        from agent.policies.models import load_model
        meta = ValueHeadInfo(**json.loads(open(os.path.join(path, HEAD_JSON), encoding="utf-8").read()))
        if meta.mode != "prob":
            raise ValueError(f"{path}: value head of mode {meta.mode!r}; qstar reads probability heads only")
        if trunk is None:
            trunk, tokenizer, info = load_model(path, device=device, dtype=dtype)
        head = torch.nn.Linear(meta.hidden, 1)
        head.load_state_dict(load_file(os.path.join(path, HEAD_FILE)))
        return cls(trunk, tokenizer, info, head, shares_policy=meta.shares_policy)


def has_value_head(path: str) -> bool:
    return os.path.isfile(os.path.join(path, HEAD_FILE)) and os.path.isfile(os.path.join(path, HEAD_JSON))


def _hidden_size(model) -> int:
    cfg = model.config
    for name in ("hidden_size", "n_embd", "d_model"):
        if getattr(cfg, name, None):
            return int(getattr(cfg, name))
    raise ValueError("cannot tell the model's hidden size")
