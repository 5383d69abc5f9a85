"""Trace human Coq proofs into (state, tactic, next state) steps by replaying them in the kernel.

Each ``Qed``-proved lemma of a file is started with everything before it in the file as its
context (so it sees only what precedes it), and its proof is replayed sentence by sentence
through :class:`CoqEnv`. Bullets and braces are folded into the sentence they open, so every
step changes the proof state the way a search step would. A lemma's steps are kept only if the
replay reaches ``Proved``: what is written reproduces the proof. ``Proof with`` lemmas are
skipped (their ``...`` depends on the opener).
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import Iterator

from agent.env import Goals, Proved, StartError, Theorem
from coq_env.files import parse_coq_file
from coq_env.glob import GlobIndex, read_glob
from coq_env.sentences import SentenceError, normalize, split_sentences


def proof_steps(body: str) -> list[str]:
    """The proof body as search steps: bullets and braces joined to the next sentence."""
    return [text for text, _, _ in step_spans(body)]


def step_spans(body: str) -> list[tuple[str, int, int]]:
    """Each search step of the proof body with the span (offsets in ``body``) of its sentence."""
    steps: list[tuple[str, int, int]] = []
    pending = ""
    for s in split_sentences(body):
        if s.text.strip() and set(s.text.strip()) <= set("-+*{}"):
            pending = (pending + " " + s.text.strip()).strip()
            continue
        steps.append(((pending + " " + s.text).strip() if pending else s.text, s.start, s.end))
        pending = ""
    if pending:  # closing braces after the last tactic
        if steps:
            text, a, b = steps[-1]
            steps[-1] = (text + " " + pending, a, b)
        else:
            steps.append((pending, 0, 0))
    return steps


def trace_text(env, text: str, *, source: str, prelude: str = "", timeout: float = 30.0,
               stats: dict | None = None, globs: GlobIndex | None = None,
               deadline: float = 0.0) -> Iterator[dict]:
    """Yield one record per step of every lemma of ``text`` whose replay reproduces its proof.

    With ``globs`` (the file's ``.glob`` read for this text) each record names the globals its
    step refers to (``globals``, fully qualified). Past ``deadline`` (``time.monotonic()``; 0: none)
    no further lemma is started and ``stats["capped"]`` counts the lemmas left."""
    stats = stats if stats is not None else {}
    try:
        decls = parse_coq_file(text)
    except SentenceError:
        stats["unparsable_files"] = stats.get("unparsable_files", 0) + 1
        return
    for k, d in enumerate(decls):
        if d.terminator != "Qed" or d.is_open:
            continue
        if deadline and time.monotonic() > deadline:
            stats["capped"] = sum(1 for e in decls[k:] if e.terminator == "Qed" and not e.is_open)
            return
        if normalize(text[d.proof_start:d.body_start]).startswith("Proof with"):
            stats["skipped"] = stats.get("skipped", 0) + 1
            continue
        spans = step_spans(d.body)
        steps = [t for t, _, _ in spans]
        theorem = Theorem(d.name, d.statement, prelude + text[:d.stmt_start])
        try:
            state = env.start(theorem)
        except StartError:
            stats["start_errors"] = stats.get("start_errors", 0) + 1
            continue
        records, ok = [], False
        for i, tactic in enumerate(steps):
            r = env.apply(state, tactic, timeout=timeout)
            if not isinstance(r, (Goals, Proved)):
                break
            after = r.state.goals if isinstance(r, Goals) else ()
            records.append(_record(source, d.name, i, state.goals, tactic, after, isinstance(r, Proved)))
            if globs is not None:
                records[-1]["globals"] = globs.between(d.body_start + spans[i][1], d.body_start + spans[i][2])
            if isinstance(r, Proved):
                ok = i == len(steps) - 1
                break
            state = r.state
        key = "traced" if ok else "replay_failures"
        stats[key] = stats.get(key, 0) + 1
        if ok:
            yield from records


def _record(source: str, theorem: str, step: int, goals, tactic: str, next_goals, proved: bool) -> dict:
    return {"file": source, "theorem": theorem, "step": step, "goals": [g.to_json() for g in goals],
            "tactic": tactic, "next_goals": [g.to_json() for g in next_goals], "proved": proved}


def trace_file(env, path: str, name: str, timeout: float, file_timeout: float = 0.0) -> tuple[list[dict], dict]:
    """Every traced step of the .v file at ``path`` (recorded under ``name``), and counts. With the
    file's ``.glob`` beside it, each step names the globals it uses; after ``file_timeout`` seconds
    (0: no cap) no further lemma of the file is started."""
    stats: dict = {}
    text = Path(path).read_text(encoding="utf-8")
    refs = read_glob(path)
    globs = GlobIndex(text, refs) if refs is not None else None
    stats["glob"] = int(globs is not None)
    deadline = time.monotonic() + file_timeout if file_timeout > 0 else 0.0
    rows = list(trace_text(env, text, source=name, timeout=timeout, stats=stats, globs=globs,
                           deadline=deadline))
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
        # a proof with no ``Proof.`` starts right after the statement's period: "T.Admitted."
        # would not parse, so a space keeps the sentences apart
        gap = "" if out[d.proof_start - 1:d.proof_start].isspace() else " "
        out = out[:d.proof_start] + gap + "Admitted." + out[d.end_end:]
    return out
