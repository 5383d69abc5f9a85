"""Prompt formats of tactic models, and presets that name a public model with its format.

A preset is a short name for (hub id, model kind, prompt template). ``--model bfs-prover``
loads ByteDance's BFS-Prover with the format its model card documents; a local checkpoint
written by ``qstar train`` records its template in ``qstar.json`` and needs no preset.

The templates render the published formats exactly:
- ``reprover`` (LeanDojo ReProver, ByT5 encoder-decoder): the pretty-printed goals, nothing else.
- ``bfs-prover`` (BFS-Prover-V1/V2, decoder-only): ``"{state}:::"``; the tactic follows.
- ``internlm2.5-stepprover``: ``---\\nNAME: {name}\\n\\n---\\nPROOF_BEFORE: {proof_before}\\n\\n``
  ``---\\nSTATE_BEFORE: {state}\\n\\n---\\nTACTIC: ``.
- ``internlm2-stepprover``: InternLM2 chat turns with ``DECL {name}\\nGOAL {state}``, answered
  after ``PROOFSTEP ``.
- ``qstar``: qstar's own small models; the BFS-Prover format on a truncated state (short inputs
  matter for byte-level models on a CPU).

:func:`build_prompt` is the one place a prompt is made: search (policy and value), SFT and DPO
all call it with the structured goals, so training never sees a prompt search does not make.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Sequence

from agent.env import Goal


@dataclass(frozen=True)
class PromptContext:
    """What a template may use: the rendered (and truncated) state, the theorem's name, and
    the tactics before this state (InternLM2.5's PROOF_BEFORE)."""

    state: str
    name: str = ""
    proof_before: str = ""


def build_prompt(template: str, goals: Sequence[Goal], *, max_state_chars: int = 0, name: str = "",
                 proof_before: str = "") -> str:
    """The model input for a state: its goals rendered, truncated to ``max_state_chars``,
    in ``template``'s format."""
    return render(template, PromptContext(truncate_state(goals, max_state_chars), name, proof_before))


def row_prompt(template: str, row: dict, *, max_state_chars: int = 0) -> str:
    """The prompt of a training row (SFT row or preference pair: ``goals`` as ``Goal`` objects,
    ``name``, ``proof_before``): what search builds for the same state."""
    return build_prompt(template, row["goals"], max_state_chars=max_state_chars, name=row.get("name", ""),
                        proof_before=row.get("proof_before", ""))


def render(template: str, ctx: PromptContext) -> str:
    if template in ("reprover",):
        return ctx.state
    if template in ("bfs-prover", "qstar"):
        return f"{ctx.state}:::"
    if template == "internlm2.5-stepprover":
        return (f"---\nNAME: {ctx.name}\n\n"
                f"---\nPROOF_BEFORE: {ctx.proof_before}\n\n"
                f"---\nSTATE_BEFORE: {ctx.state}\n\n"
                f"---\nTACTIC: ")
    if template == "internlm2-stepprover":
        return (f"<|im_start|>user\nDECL {ctx.name}\nGOAL {ctx.state}<|im_end|>\n"
                f"<|im_start|>assistant\nPROOFSTEP ")
    raise ValueError(f"unknown prompt template {template!r}; known: {', '.join(TEMPLATES)}")


TEMPLATES = ("qstar", "reprover", "bfs-prover", "internlm2.5-stepprover", "internlm2-stepprover")


@dataclass(frozen=True)
class Preset:
    hub_id: str
    kind: str  # "causal" | "seq2seq"
    template: str
    note: str


PRESETS: dict[str, Preset] = {
    "reprover": Preset("kaiyuy/leandojo-lean4-tacgen-byt5-small", "seq2seq", "reprover",
                       "ReProver's tactic generator without retrieval (ByT5-small, 299M)"),
    "bfs-prover": Preset("ByteDance-Seed/BFS-Prover-V1-7B", "causal", "bfs-prover",
                         "BFS-Prover V1 7B (Qwen2.5-Math base)"),
    "bfs-prover-v2": Preset("ByteDance-Seed/BFS-Prover-V2-7B", "causal", "bfs-prover",
                            "BFS-Prover V2 7B"),
    "internlm2.5-stepprover": Preset("internlm/internlm2_5-step-prover", "causal",
                                     "internlm2.5-stepprover", "InternLM2.5-StepProver 7B"),
    "internlm2-stepprover": Preset("internlm/internlm2-step-prover", "causal",
                                   "internlm2-stepprover", "InternLM2-StepProver 7B"),
}


def truncate_state(goals: Sequence[Goal], max_chars: int) -> str:
    """The goals rendered in at most ``max_chars`` characters (0 = no limit), keeping what matters
    most: the focused goal's conclusion, then its hypotheses nearest to it, then the other goals."""
    rendered = [g.pretty() for g in goals]  # each goal rendered once
    text = "\n\n".join(rendered)
    if max_chars <= 0 or len(text) <= max_chars or not goals:
        return text
    lines = rendered[0].split("\n")
    concl_lines = 1 + goals[0].conclusion.count("\n")  # the conclusion line and its continuations
    concl = "\n".join(lines[-concl_lines:])[:max_chars]
    kept: list[str] = []
    room = max_chars - len(concl)
    for hyp in reversed(lines[:-concl_lines]):  # the latest hypotheses are the most relevant
        if len(hyp) + 1 > room:
            break
        kept.insert(0, hyp)
        room -= len(hyp) + 1
    out = "\n".join([*kept, concl])
    for other in rendered[1:]:
        if len(other) + 2 > max_chars - len(out):
            break
        out += "\n\n" + other
    return out
