"""Token mechanics shared by the policy, SFT and value training: prompts in, tactic log-probs out.

Causal models see ``prompt + tactic + eos`` and the tactic's log-prob is the sum over the
tactic and eos positions. Encoder-decoder models see the prompt on the encoder and
``tactic + eos`` as decoder labels. The same function scores candidates at search time (so the
log-probs search ranks by are exact teacher-forced values at temperature 1, whatever decoding
produced them) and gives the SFT loss at training time.
"""

from __future__ import annotations

from dataclasses import dataclass


def encode_prompt(tokenizer, text: str, kind: str) -> list[int]:
    ids = tokenizer(text, add_special_tokens=True)["input_ids"]
    if kind == "causal" and ids and ids[-1] == tokenizer.eos_token_id:
        ids = ids[:-1]  # byte tokenizers append eos to every text; a prompt must not end there
    return ids


def encode_tactic(tokenizer, text: str, max_tokens: int) -> list[int]:
    ids = tokenizer(text, add_special_tokens=False)["input_ids"][:max_tokens]
    return ids + [tokenizer.eos_token_id]


@dataclass
class Batch:
    input_ids: "object"  # (B, T)
    attention_mask: "object"  # (B, T)
    labels: "object"  # (B, T) token to predict, -100 where nothing is scored
    decoder_input: bool  # labels are decoder labels (seq2seq) rather than shifted inputs


def make_batch(tokenizer, kind: str, prompts: list[list[int]], tactics: list[list[int]], device) -> Batch:
    import torch
    pad = tokenizer.pad_token_id
    if kind == "seq2seq":
        t_in = max(len(p) for p in prompts)
        t_out = max(len(t) for t in tactics)
        ids = torch.full((len(prompts), t_in), pad, dtype=torch.long)
        mask = torch.zeros((len(prompts), t_in), dtype=torch.long)
        labels = torch.full((len(prompts), t_out), -100, dtype=torch.long)
        for i, (p, t) in enumerate(zip(prompts, tactics)):
            ids[i, :len(p)] = torch.tensor(p)
            mask[i, :len(p)] = 1
            labels[i, :len(t)] = torch.tensor(t)
        return Batch(ids.to(device), mask.to(device), labels.to(device), True)
    seqs = [p + t for p, t in zip(prompts, tactics)]
    width = max(len(s) for s in seqs)
    ids = torch.full((len(seqs), width), pad, dtype=torch.long)
    mask = torch.zeros((len(seqs), width), dtype=torch.long)
    labels = torch.full((len(seqs), width), -100, dtype=torch.long)
    for i, (p, s) in enumerate(zip(prompts, seqs)):  # right padding: positions start at 0
        ids[i, :len(s)] = torch.tensor(s)
        mask[i, :len(s)] = 1
        labels[i, len(p):len(s)] = torch.tensor(s[len(p):])
    return Batch(ids.to(device), mask.to(device), labels.to(device), False)


def sequence_logprobs(model, batch: Batch):
    """(sum of log-probs of the labelled tokens per row (B,), labelled token count per row (B,))."""
    import torch
    if batch.decoder_input:
        logits = model(input_ids=batch.input_ids, attention_mask=batch.attention_mask,
                       labels=batch.labels.clamp(min=0)).logits  # (B, T_out, V)
        targets = batch.labels
    else:
        logits = model(input_ids=batch.input_ids, attention_mask=batch.attention_mask).logits[:, :-1]
        targets = batch.labels[:, 1:]  # token t is predicted at position t-1
    logp = torch.log_softmax(logits.float(), dim=-1)  # (B, T, V)
    mask = targets != -100
    picked = logp.gather(-1, targets.clamp(min=0).unsqueeze(-1)).squeeze(-1)  # (B, T)
    return (picked * mask).sum(-1), mask.sum(-1)
