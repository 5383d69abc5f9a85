"""Trace human Lean proofs through the REPL's ``allTactics``: (state, tactic) per tactic.

The REPL elaborates the whole file (``{"path": F, "allTactics": true}``) and reports every
tactic with the goals before it and its position; the position names the declaration it belongs
to. The REPL does not report the state after a tactic, so ``next_goals`` is null.
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
    line_starts = [0]
    for line in text.splitlines(keepends=True):
        line_starts.append(line_starts[-1] + len(line))
    decls = parse_lean_file(text)
    repl = Repl(config)
    try:
        reply = repl.request({"path": path, "allTactics": True}, timeout=timeout)
    finally:
        repl.kill()
    counters: dict[str, int] = {}
    for t in reply.get("tactics", []):
        pos = t.get("pos", {})
        offset = line_starts[max(0, pos.get("line", 1) - 1)] + pos.get("column", 0)
        owner = next((d.name for d in decls if d.start <= offset < d.end), "")
        step = counters.get(owner, 0)
        counters[owner] = step + 1
        goals = [g.to_json() for g in parse_goal_list(t.get("goals", ""))]
        yield {"file": path, "theorem": owner, "step": step, "goals": goals,
               "tactic": t.get("tactic", ""), "next_goals": None, "proved": None}


def trace_file(path: str, name: str, *, config) -> tuple[list[dict], dict]:
    """Every step of the .lean file at ``path`` through the REPL of ``config``'s project."""
    rel = os.path.relpath(path, config.project_dir)
    rows = list(trace_lean_file(rel, config=ReplConfig(command=config.repl_command, cwd=config.project_dir),
                                cwd=config.project_dir))
    return [{**r, "file": name} for r in rows], {"traced": len({r["theorem"] for r in rows})}
