"""Lean goals as structured :class:`agent.env.Goal`, parsed once from the REPL's goal strings.

The REPL prints a goal as Lean's ``ppGoal`` does::

    case h                 (optional case tag)
    x y : ℕ                (names of one type, space-separated)
    f : ℕ → ℕ := fun n ↦ n (a local definition)
    h₀ : x +
        y = 10             (a long type continues on indented lines)
    ⊢ x = 3                (the conclusion, possibly over several lines)

``Goal.pretty`` with style ``lean`` prints it back exactly (a test holds every goal of the
recorded transcripts to that). This file is the only place that reads Lean goal text.
"""

from __future__ import annotations

from agent.env import Goal, Hypothesis


def parse_goal(text: str) -> Goal:
    lines = text.split("\n")
    tag = ""
    if lines and lines[0].startswith("case "):
        tag, lines = lines[0][len("case "):], lines[1:]
    cut = next((i for i, ln in enumerate(lines) if ln.startswith("⊢ ") or ln == "⊢"), None)
    if cut is None:  # not a goal as ppGoal prints it: keep the text as the conclusion
        return Goal((), text, tag=tag, style="lean")
    entries: list[str] = []
    for ln in lines[:cut]:
        if entries and (ln.startswith(" ") or " : " not in ln):
            entries[-1] += "\n" + ln  # an indented continuation of the previous type
        else:
            entries.append(ln)
    hyps = tuple(_hypothesis(e) for e in entries)
    concl = "\n".join(lines[cut:])[2:]
    return Goal(hyps, concl, tag=tag, style="lean")


def _hypothesis(entry: str) -> Hypothesis:
    names, _, rest = entry.partition(" : ")
    typ, sep, body = rest.partition(" := ")
    return Hypothesis(tuple(names.split(" ")), typ, body if sep else "")


def parse_goals(texts) -> tuple[Goal, ...]:
    return tuple(parse_goal(t) for t in texts)


def parse_goal_list(text: str) -> tuple[Goal, ...]:
    """Goals printed one after another with blank lines between (``allTactics``'s ``goals``;
    ``no goals`` is none)."""
    if text.strip() == "no goals":
        return ()
    return tuple(parse_goal(part) for part in text.split("\n\n") if part)
