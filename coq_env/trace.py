"""Trace human Coq proofs into (state, tactic, next state) steps by replaying them in the kernel.

Each ``Qed``-proved lemma of a file is started with everything before it in the file as its
context (so it sees only what precedes it), and its proof is replayed sentence by sentence
through :class:`CoqEnv`. Bullets and braces are folded into the sentence they open, so every
step changes the proof state the way a search step would. A lemma's steps are kept only if the
replay reaches ``Proved``: what is written reproduces the proof. ``Proof with`` lemmas are
skipped (their ``...`` depends on the opener).
"""

from __future__ import annotations

from pathlib import Path
from typing import Iterator

from agent.env import Goals, Proved, StartError, Theorem
from coq_env.files import parse_coq_file
from coq_env.sentences import SentenceError, normalize, split_sentences


def proof_steps(body: str) -> list[str]:
    """The proof body as search steps: bullets and braces joined to the next sentence."""
    steps: list[str] = []
    pending = ""
    for s in split_sentences(body):
        if s.text.strip() and set(s.text.strip()) <= set("-+*{}"):
            pending = (pending + " " + s.text.strip()).strip()
            continue
        steps.append((pending + " " + s.text).strip() if pending else s.text)
        pending = ""
    if pending:  # closing braces after the last tactic
        if steps:
            steps[-1] = steps[-1] + " " + pending
        else:
            steps.append(pending)
    return steps


def trace_text(env, text: str, *, source: str, prelude: str = "", timeout: float = 30.0,
               stats: dict | None = None) -> Iterator[dict]:
    """Yield one record per step of every lemma of ``text`` whose replay reproduces its proof."""
    stats = stats if stats is not None else {}
    try:
        decls = parse_coq_file(text)
    except SentenceError:
        stats["unparsable_files"] = stats.get("unparsable_files", 0) + 1
        return
    for d in decls:
        if d.terminator != "Qed" or d.is_open:
            continue
        if normalize(text[d.proof_start:d.body_start]).startswith("Proof with"):
            stats["skipped"] = stats.get("skipped", 0) + 1
            continue
        steps = proof_steps(d.body)
        theorem = Theorem(d.name, d.statement, prelude + text[:d.stmt_start])
        try:
            state = env.start(theorem)
        except StartError:
            stats["start_errors"] = stats.get("start_errors", 0) + 1
            continue
        records, ok = [], False
        for i, tactic in enumerate(steps):
            r = env.apply(state, tactic, timeout=timeout)
            if isinstance(r, Goals):
                records.append(_record(source, d.name, i, state.goals, tactic, r.state.goals, False))
                state = r.state
            elif isinstance(r, Proved):
                records.append(_record(source, d.name, i, state.goals, tactic, (), True))
                ok = i == len(steps) - 1
                break
            else:
                break
        key = "traced" if ok else "replay_failures"
        stats[key] = stats.get(key, 0) + 1
        if ok:
            yield from records


def _record(source: str, theorem: str, step: int, goals, tactic: str, next_goals, proved: bool) -> dict:
    return {"file": source, "theorem": theorem, "step": step, "goals": [g.to_json() for g in goals],
            "tactic": tactic, "next_goals": [g.to_json() for g in next_goals], "proved": proved}


def trace_file(env, path: str, name: str, timeout: float) -> tuple[list[dict], dict]:
    """Every traced step of the .v file at ``path`` (recorded under ``name``), and counts."""
    stats: dict = {}
    rows = list(trace_text(env, Path(path).read_text(encoding="utf-8"), source=name, timeout=timeout,
                           stats=stats))
    return rows, stats


def proof_scripts(text: str) -> list[tuple[Theorem, list[str]]]:
    """Every written proof of a file (Qed, Defined or Admitted) as (theorem, steps), each theorem
    with the file's text before it as context. ``admit.`` steps are left out: the proof is open
    from there, which the steps' final state shows. Raises SentenceError."""
    out = []
    for d in parse_coq_file(text):
        if d.terminator == "Abort":
            continue
        steps = [s for s in proof_steps(d.body) if normalize(s) not in ("admit.", "give_up.")]
        out.append((Theorem(d.name, d.statement, text[:d.stmt_start]), steps))
    return out


def admit_proofs(text: str, indices: set[int]) -> str:
    """``text`` with the proofs at these positions of :func:`proof_scripts` replaced by
    ``Admitted.``: a later proof is annotated in a context that loads, its check still refuses
    any use of them."""
    decls = [d for d in parse_coq_file(text) if d.terminator != "Abort"]
    out = text
    for i in sorted(indices, reverse=True):
        d = decls[i]
        out = out[:d.proof_start] + "Admitted." + out[d.end_end:]
    return out
