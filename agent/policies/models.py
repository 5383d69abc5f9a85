"""Load a tactic model (preset, hub id or local folder) or build a small one from a config.

Device and dtype are chosen automatically (CUDA with bf16 when available, else CPU with fp32)
and can be overridden. A folder written by ``qstar train`` holds the Hugging Face model and
tokenizer plus ``qstar.json`` (model kind, prompt template, state truncation, value head).
Small models built from a config use ByT5's byte-level tokenizer, which needs no files, so
training from scratch works on a machine with no hub access.
"""

from __future__ import annotations

import json
import os
from dataclasses import asdict, dataclass
from pathlib import Path

QSTAR_JSON = "qstar.json"


@dataclass
class ModelInfo:
    """What qstar needs to know about a checkpoint besides its weights (stored in qstar.json)."""

    kind: str = "causal"  # causal | seq2seq
    template: str = "qstar"
    max_state_chars: int = 0  # truncate states to this many characters (0 = no limit)
    max_tactic_tokens: int = 64
    value_head: bool = False  # a value_head.safetensors file sits beside the model


def pick_device(device: str = "auto") -> str:
    import torch
    if device != "auto":
        return device
    return "cuda" if torch.cuda.is_available() else "cpu"


def pick_dtype(device: str, dtype: str = "auto"):
    import torch
    if dtype == "auto":
        return torch.bfloat16 if device.startswith("cuda") and torch.cuda.is_bf16_supported() else torch.float32
    return {"fp32": torch.float32, "float32": torch.float32, "bf16": torch.bfloat16,
            "bfloat16": torch.bfloat16, "fp16": torch.float16, "float16": torch.float16}[dtype]


def _quiet() -> None:
    from transformers.utils import logging as hf_logging
    hf_logging.disable_progress_bar()
    hf_logging.set_verbosity_error()


def read_info(path: str) -> ModelInfo | None:
    p = Path(path) / QSTAR_JSON
    if not p.is_file():
        return None
    data = json.loads(p.read_text(encoding="utf-8"))
    return ModelInfo(**{k: v for k, v in data.items() if k in ModelInfo.__dataclass_fields__})


def write_info(path: str, info: ModelInfo) -> None:
    from agent.io import atomic_write
    atomic_write(os.path.join(path, QSTAR_JSON), json.dumps(asdict(info), indent=2) + "\n")


def load_model(name: str, *, device: str = "auto", dtype: str = "auto"):
    """(model, tokenizer, info) for a preset name, a hub id or a local folder."""
    from transformers import (AutoConfig, AutoModelForCausalLM, AutoModelForSeq2SeqLM,
                              AutoTokenizer)

    from agent.policies.prompts import PRESETS
    _quiet()
    info = None
    source = name
    if name in PRESETS and not os.path.isdir(name):
        preset = PRESETS[name]
        source, info = preset.hub_id, ModelInfo(kind=preset.kind, template=preset.template)
    elif os.path.isdir(name):
        info = read_info(name)
    config = AutoConfig.from_pretrained(source, trust_remote_code=True)
    if info is None:
        info = ModelInfo(kind="seq2seq" if getattr(config, "is_encoder_decoder", False) else "causal")
    dev = pick_device(device)
    cls = AutoModelForSeq2SeqLM if info.kind == "seq2seq" else AutoModelForCausalLM
    model = cls.from_pretrained(source, dtype=pick_dtype(dev, dtype), trust_remote_code=True)
    tokenizer = AutoTokenizer.from_pretrained(source, trust_remote_code=True)
    if tokenizer.pad_token_id is None:
        tokenizer.pad_token = tokenizer.eos_token
    model.to(dev).eval()
    return model, tokenizer, info


@dataclass
class TinyConfig:
    """A small byte-level model built from a config (tests, CPU training from scratch)."""

    kind: str = "causal"  # causal (GPT-2 shape) | seq2seq (T5 shape)
    width: int = 128
    layers: int = 2
    heads: int = 4
    max_positions: int = 1024


def build_tiny(cfg: TinyConfig, *, seed: int = 0):
    """(model, tokenizer, info) with fresh weights; no file or network needed."""
    import torch
    from transformers import ByT5Tokenizer, GPT2Config, GPT2LMHeadModel, T5Config, T5ForConditionalGeneration
    _quiet()
    torch.manual_seed(seed)
    tok = ByT5Tokenizer()
    if cfg.kind == "causal":
        config = GPT2Config(vocab_size=len(tok), n_positions=cfg.max_positions, n_embd=cfg.width,
                            n_layer=cfg.layers, n_head=cfg.heads, activation_function="gelu_pytorch_tanh",
                            bos_token_id=tok.eos_token_id,
                            eos_token_id=tok.eos_token_id, pad_token_id=tok.pad_token_id)
        model = GPT2LMHeadModel(config)
    elif cfg.kind == "seq2seq":
        config = T5Config(vocab_size=len(tok), d_model=cfg.width, d_kv=cfg.width // cfg.heads,
                          d_ff=cfg.width * 2, num_layers=cfg.layers, num_heads=cfg.heads,
                          feed_forward_proj="gated-gelu",
                          pad_token_id=tok.pad_token_id, eos_token_id=tok.eos_token_id,
                          decoder_start_token_id=tok.pad_token_id)
        model = T5ForConditionalGeneration(config)
    else:
        raise ValueError(f"unknown model kind {cfg.kind!r}")
    model.eval()
    return model, tok, ModelInfo(kind=cfg.kind, template="qstar", max_state_chars=512)
