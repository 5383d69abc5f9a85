"""Learning from compiler-rejected tactics: a DPO loss (the default) beside SFT.

Why DPO: the kernel gives exact negatives — at a state on a found proof, the proof's tactic is
preferred to each tactic the kernel rejected there. DPO (Rafailov et al.; BFS-Prover applies it
to exactly these pairs) pushes the policy's log-ratio of chosen over rejected up relative to a
frozen reference, which keeps the policy close to its SFT distribution instead of driving
rejected tactics' probabilities to zero (what plain unlikelihood would do). The reference is a
frozen copy of the model at the start of training: one extra forward pass per pair, cheap at
qstar's sizes. The cheap alternative (``preference="weighted"``) is a Q-SFT-style weighted
cross-entropy: every kernel-accepted tactic is imitated in proportion to the value target of
the state it led to (rows built by ``agent.learning.data``), so failures simply carry no weight.
"""

from __future__ import annotations


def pair_logprobs(model, tok, info, pairs: list[dict], *, max_tactic_tokens: int):
    """(log p(chosen), log p(rejected)) per pair, each (B,)."""
    from agent.policies.lm import encode_prompt, encode_tactic, make_batch, sequence_logprobs
    from agent.policies.prompts import row_prompt
    prompts = [encode_prompt(tok, row_prompt(info.template, p, max_state_chars=info.max_state_chars), info.kind)
               for p in pairs]
    device = next(model.parameters()).device
    out = []
    for field in ("chosen", "rejected"):
        tactics = [encode_tactic(tok, p[field], max_tactic_tokens) for p in pairs]
        total, _ = sequence_logprobs(model, make_batch(tok, info.kind, prompts, tactics, device))
        out.append(total)
    return out[0], out[1]


def dpo_loss(model, reference, tok, info, pairs: list[dict], *, beta: float, max_tactic_tokens: int):
    """-log sigmoid(beta * ((log pi(c) - log ref(c)) - (log pi(r) - log ref(r)))), averaged."""
    import torch
    lc, lr = pair_logprobs(model, tok, info, pairs, max_tactic_tokens=max_tactic_tokens)
    with torch.no_grad():
        rc, rr = pair_logprobs(reference, tok, info, pairs, max_tactic_tokens=max_tactic_tokens)
    margin = beta * ((lc - rc) - (lr - rr))  # (B,)
    return -torch.nn.functional.logsigmoid(margin).mean()
