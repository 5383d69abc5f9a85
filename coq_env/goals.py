"""Coq goals as structured :class:`agent.env.Goal`: from coqidetop's XML, and from the text
that qstar's earlier records stored.

coqidetop sends each goal as ``<goal><string>id</string><list>(hypothesis richpp)*</list>
<richpp>conclusion</richpp><option>name?</option></goal>``. A hypothesis is one pretty-printed
line, ``x, y : T`` or ``x := v : T``; its names are plain identifiers before the first ``:`` or
``:=``, which is where it is split. This file is the only place that reads Coq goal text.
"""

from __future__ import annotations

import functools
import re
import xml.etree.ElementTree as ET

from agent.env import Goal, Hypothesis

# "x, y : T" / "x := v : T": comma-separated identifiers, then the separator.
_HEAD = re.compile(r"^((?:[^\s:,=()]+)(?:, [^\s:,=()]+)*) (:=|:) ")


def flatten(el: ET.Element | None) -> str:
    """The text of a richpp element on one line (Coq's line breaks are layout only)."""
    if el is None:
        return ""
    return " ".join("".join(el.itertext()).split())


def goal_from_xml(goal: ET.Element, *, shelved: bool = False) -> Goal:
    hyps = tuple(parse_hypothesis(flatten(h)) for h in goal.find("list").findall("richpp"))
    name = goal.find("option/string")
    return Goal(hyps, flatten(goal.find("richpp")), tag=name.text or "" if name is not None else "",
                shelved=shelved)


@functools.lru_cache(maxsize=1 << 16)
def parse_hypothesis(line: str) -> Hypothesis:
    """One context line as a Hypothesis (cached: sibling states share most of their lines)."""
    m = _HEAD.match(line)
    if m is None:  # not a context line Coq prints; keep it whole as a type
        return Hypothesis((), line)
    names = tuple(m.group(1).split(", "))
    rest = line[m.end():]
    if m.group(2) == ":":
        return Hypothesis(names, rest)
    cut = _last_top_level_colon(rest)
    if cut < 0:
        return Hypothesis(names, "", rest)
    return Hypothesis(names, rest[cut + 3:], rest[:cut])


def _last_top_level_colon(s: str) -> int:
    """Index of the last `` : `` outside brackets (the body/type split of ``x := v : T``)."""
    depth, best = 0, -1
    for i, c in enumerate(s):
        if c in "([{":
            depth += 1
        elif c in ")]}":
            depth -= 1
        elif depth == 0 and s.startswith(" : ", i):
            best = i
    return best


def parse_rendered(text: str) -> tuple[Goal, ...]:
    """Goals from the text qstar's records and retrieval databases stored before goals were
    structured (``Goal.pretty`` output, goals separated by a blank line)."""
    out = []
    for block in text.split("\n\n"):
        if not block.strip():
            continue
        shelved = block.startswith("(shelved) ")
        if shelved:
            block = block[len("(shelved) "):]
        lines = block.split("\n")
        cut = next((i for i, ln in enumerate(lines) if ln.startswith("⊢")), None)
        if cut is None:
            out.append(Goal((), block.strip(), shelved=shelved))
            continue
        hyps = [parse_hypothesis(ln) for ln in lines[:cut]]
        concl = "\n".join(lines[cut:])[1:].strip()
        out.append(Goal(tuple(hyps), concl, shelved=shelved))
    return tuple(out)
