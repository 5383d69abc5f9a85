"""Trace human Lean proofs through the REPL's ``allTactics``: (state, tactic) per tactic.

The REPL elaborates the whole file (``{"path": F, "allTactics": true}``) and reports every
tactic with the goals before it and its position; the position names the declaration it belongs
to. Only the outermost steps of proofs that compiled are kept (``steps_of_reply``). The REPL does
not report the state after a tactic, so ``next_goals`` is null.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Iterator

from lean_env.files import parse_lean_file
from lean_env.goals import parse_goal_list
from lean_env.repl import Repl, ReplConfig


def trace_lean_file(path: str, *, config: ReplConfig, timeout: float = 600.0,
                    cwd: str | None = None) -> Iterator[dict]:
    """Steps of every tactic proof in ``path`` (relative to ``cwd`` / the project, as the REPL
    resolves it)."""
    text = Path(cwd or ".", path).read_text(encoding="utf-8")
    repl = Repl(config)
    try:
        reply = repl.request({"path": path, "allTactics": True}, timeout=timeout)
    finally:
        repl.kill()
    yield from steps_of_reply(path, text, reply)


def steps_of_reply(path: str, text: str, reply: dict) -> list[dict]:
    """The rows of an ``allTactics`` reply for the file ``text``: of each declaration whose proof
    compiled (no error message, no ``sorry`` inside it), the outermost steps only. The REPL also
    reports the steps nested inside a step (a ``calc``'s own steps, the tactics of a ``·`` block or
    a ``<;>``), which overlap it: keeping them would train on the same text twice, once as part of
    a larger step, and on pseudo-steps such as a ``calc``'s body with "no goals"."""
    line_starts = [0]
    for line in text.splitlines(keepends=True):
        line_starts.append(line_starts[-1] + len(line))

    def offset(pos: dict) -> int:
        return line_starts[min(len(line_starts) - 1, max(0, pos.get("line", 1) - 1))] + pos.get("column", 0)

    decls = parse_lean_file(text)

    def owner(at: int) -> str:
        return next((d.name for d in decls if d.start <= at < d.end), "")

    broken = {owner(offset(m.get("pos", {}))) for m in reply.get("messages", []) if m.get("severity") == "error"}
    broken |= {owner(offset(x.get("pos", {}))) for x in reply.get("sorries", [])}
    broken |= {owner(offset(m.get("pos", {}))) for m in reply.get("messages", [])
               if "declaration uses 'sorry'" in m.get("data", "").replace("`", "'")}
    spans = [(offset(t.get("pos", {})), offset(t.get("endPos", t.get("pos", {}))), t) for t in reply.get("tactics", [])]
    rows, counters = [], {}
    for i, (a, b, t) in enumerate(spans):
        name = owner(a)
        if name in broken:
            continue
        # inside another step's span (equal spans: the first reported, the outer one, is kept)
        if any(c <= a and b <= d and (c, d) != (a, b) or (c, d) == (a, b) and j < i
               for j, (c, d, _) in enumerate(spans) if j != i):
            continue
        step = counters.get(name, 0)
        counters[name] = step + 1
        goals = [g.to_json() for g in parse_goal_list(t.get("goals", ""))]
        rows.append({"file": path, "theorem": name, "step": step, "goals": goals,
                     "tactic": t.get("tactic", ""), "next_goals": None, "proved": None})
    return rows


def trace_file(path: str, name: str, *, config) -> tuple[list[dict], dict]:
    """Every step of the .lean file at ``path`` through the REPL of ``config``'s project."""
    rel = os.path.relpath(path, config.project_dir)
    rows = list(trace_lean_file(rel, config=ReplConfig(command=config.repl_command, cwd=config.project_dir),
                                cwd=config.project_dir))
    return [{**r, "file": name} for r in rows], {"traced": len({r["theorem"] for r in rows})}
