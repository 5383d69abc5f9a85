"""An annotated file as a readable table, as JSON, and as one HTML page (a coloured row per step)."""

from __future__ import annotations

import html
from dataclasses import asdict

from agent.annotate.steps import Annotation
from agent.env import Goal

_MARKS = {"rejected": "the kernel rejects this step", "value_drop": "V drops most here",
          "open_end": "the proof stops here with goals left"}
_COLOURS = {"ok": "#e6f4ea", "proved": "#c8e6c9", "error": "#f8d7da", "timeout": "#ffe5b4",
            "crash": "#f8d7da", "not_run": "#eeeeee"}


def goals_text(goals: list[dict] | None) -> str:
    if goals is None:
        return ""
    if not goals:
        return "no goals"
    return "\n\n".join(Goal.from_json(g).pretty() for g in goals)


def _v(x: float | None) -> str:
    return "-" if x is None else f"{x:.2f}"


def _q(x: float | None) -> str:
    """Q is calibrated to the rate of proof steps among all candidates (well under 1%): two
    significant digits, so that steps compare."""
    return "-" if x is None else f"{x:.2g}"


def _one_line(text: str, width: int) -> str:
    text = " ".join(text.split())
    return text if len(text) <= width else text[:width - 3] + "..."


def _headline(a: Annotation) -> str:
    status = {"complete": "every step accepted", "rejected": "a step is rejected",
              "open": "goals left at the end", "statement_error": "the statement does not load"}[a.status]
    if a.checked is not None:
        status += "; final check " + ("passed" if a.checked else f"FAILED ({_one_line(a.check_reason, 80)})")
    return f"{a.theorem}: {status}" + (f" ({a.message})" if a.message else "")


def table(annotations: list[Annotation]) -> str:
    out: list[str] = []
    for a in annotations:
        out.append(_headline(a))
        if a.steps:
            out.append(f"  {'#':>3}  {'verdict':<8} {'V before':>8} {'V after':>8} {'Q':>7}  tactic -> goals after")
        for r in a.steps:
            mark = ">>" if r.index == a.marked else "  "
            after = r.message if r.verdict in ("error", "timeout", "crash") else goals_text(r.goals_after)
            out.append(f"{mark}{r.index:>3}  {r.verdict:<8} {_v(r.v_before):>8} {_v(r.v_after):>8} {_q(r.q):>7}  "
                       f"{_one_line(r.tactic, 40)} -> {_one_line(after, 70)}")
        if a.marked is not None:
            out.append(f"  marked: {'step ' + str(a.marked) if a.marked else 'the statement'}: {_MARKS[a.mark]}")
            if a.alternatives:
                tried = ", ".join(f"{_one_line(alt.tactic, 30)} ({alt.verdict})" for alt in a.alternatives)
                out.append(f"  qstar would try {a.alternatives_at}: {tried}")
            if a.closing is not None:
                out.append(f"  closes within the small budget (final check passed): {' '.join(a.closing)}")
            elif a.alternatives:
                out.append("  no candidate closes the goal within the small budget")
        out.append("")
    return "\n".join(out)


def to_json(annotations: list[Annotation], *, file: str, config: dict) -> dict:
    return {"file": file, "config": config, "proofs": [asdict(a) for a in annotations]}


def to_html(annotations: list[Annotation], *, file: str) -> str:
    e = html.escape
    parts = ["<!DOCTYPE html>", '<html lang="en">', "<head>", '<meta charset="utf-8">',
             f"<title>qstar annotate {e(file)}</title>",
             "<style>body{font-family:sans-serif;margin:2em}table{border-collapse:collapse;margin-bottom:1em}"
             "td,th{border:1px solid #ccc;padding:4px 8px;vertical-align:top;text-align:left}"
             "pre{margin:0;font-size:0.85em;white-space:pre-wrap}tr.marked td{outline:3px solid #d32f2f}"
             "</style>", "</head>", "<body>", f"<h1>qstar annotate {e(file)}</h1>"]
    for a in annotations:
        parts.append(f"<h2>{e(_headline(a))}</h2>")
        if not a.steps:
            continue
        parts.append("<table>")
        parts.append("<tr><th>#</th><th>verdict</th><th>V before</th><th>V after</th><th>Q</th>"
                     "<th>tactic</th><th>goals before</th><th>goals after / message</th></tr>")
        for r in a.steps:
            cls = ' class="marked"' if r.index == a.marked else ""
            after = r.message if r.verdict in ("error", "timeout", "crash") else goals_text(r.goals_after)
            parts.append(
                f'<tr{cls} data-verdict="{r.verdict}" style="background:{_COLOURS[r.verdict]}">'
                f"<td>{r.index}</td><td>{r.verdict}</td><td>{_v(r.v_before)}</td><td>{_v(r.v_after)}</td>"
                f"<td>{_q(r.q)}</td><td><pre>{e(r.tactic)}</pre></td><td><pre>{e(goals_text(r.goals_before))}</pre></td>"
                f"<td><pre>{e(after)}</pre></td></tr>")
        parts.append("</table>")
        if a.marked is not None:
            where = f"step {a.marked}" if a.marked else "the statement"
            parts.append(f"<p><b>Marked: {e(where)}</b>: {e(_MARKS[a.mark])}.</p>")
            if a.alternatives:
                items = "".join(f"<li><code>{e(alt.tactic)}</code>: {e(alt.verdict)}</li>" for alt in a.alternatives)
                parts.append(f"<p>qstar would try {e(a.alternatives_at)}:</p><ul>{items}</ul>")
            if a.closing is not None:
                parts.append(f"<p>Closes within the small budget (final check passed): "
                             f"<code>{e(' '.join(a.closing))}</code></p>")
    parts += ["</body>", "</html>", ""]
    return "\n".join(parts)
