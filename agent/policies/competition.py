"""The steps competition proofs are made of, written where the goal's shape calls for them (Coq).

Each family is a small generator of ordinary Coq steps (replayable without qstar: only the
standard library, with ``Lia`` loaded as ``--imports auto`` loads it) over the focused goal's
fields. Chosen by reading the misses of the eval half of miniF2F-rocq valid (docs/results.md says
which family each serves):
- ``cases``: a variable of ``nat`` or ``Z`` bounded on both sides by hypotheses (a ``nat`` is
  bounded below by 0), at most ``MAX_CASES`` values: one goal per value, Lean's
  ``interval_cases``: ``assert (v = 2 \\/ v = 3 \\/ v = 4)%nat as Hc by lia; destruct Hc as
  [Hc|[Hc|Hc]]; subst v; simpl in *; try lia.``
- ``divmod``: ``mod`` or ``/`` on ``Z`` in the goal or a hypothesis: Lean's ``omega`` does these;
  Coq 8.16's ``lia`` only after the quotients and remainders are named:
  ``PreOmega.Z.div_mod_to_equations; lia.`` (and ``nia.`` for products).
Names are qualified as a file that only loads ``Lia`` resolves them (``PreOmega.Z...``: Lia loads
PreOmega without importing it).
"""

from __future__ import annotations

import re

from agent.env import Goal

MAX_CASES = 12
_NUM = r"-?\d+"
_V = r"[A-Za-z_][\w']*"
_SCOPE = r"(?:\s*%\s*(?:Z|nat))?"
# bounds read from one conjunct of a hypothesis: (pattern, which group is the variable, kind)
_BOUNDS = [
    (re.compile(rf"^\(?\s*({_NUM}){_SCOPE}\s*(<=|<)\s*({_V})\s*(<=|<)\s*({_NUM}){_SCOPE}\s*\)?{_SCOPE}$"), "chain"),
    (re.compile(rf"^\(?\s*({_V})\s*(<=|<|>=|>)\s*({_NUM}){_SCOPE}\s*\)?{_SCOPE}$"), "var-first"),
    (re.compile(rf"^\(?\s*({_NUM}){_SCOPE}\s*(<=|<|>=|>)\s*({_V})\s*\)?{_SCOPE}$"), "num-first"),
]
_FLIP = {"<": ">", "<=": ">=", ">": "<", ">=": "<="}
_DIVMOD = re.compile(r"(?<![\w'.])(?:mod|Z\.modulo|Z\.div)(?![\w'])|\s/\s")


def _bound(conjunct: str):
    """(variable, lower, upper) that one conjunct says (None where it says nothing)."""
    text = " ".join(conjunct.split())
    for pattern, kind in _BOUNDS:
        m = pattern.match(text)
        if m is None:
            continue
        if kind == "chain":
            lo = int(m.group(1)) + (m.group(2) == "<")
            hi = int(m.group(5)) - (m.group(4) == "<")
            return m.group(3), lo, hi
        if kind == "var-first":
            var, op, n = m.group(1), m.group(2), int(m.group(3))
        else:
            var, op, n = m.group(3), _FLIP[m.group(2)], int(m.group(1))
        if op == "<":
            return var, None, n - 1
        if op == "<=":
            return var, None, n
        if op == ">":
            return var, n + 1, None
        return var, n, None
    return None


def bounded(goal: Goal) -> dict[str, tuple[str, int, int]]:
    """{variable: (its type, lowest value, highest value)} for the locals of type ``nat`` or ``Z``
    that the hypotheses bound on both sides (``nat`` below by 0)."""
    types = {n: h.type.strip() for n, h in goal.locals() if not h.body}
    lo: dict[str, int] = {n: 0 for n, t in types.items() if t == "nat"}
    hi: dict[str, int] = {}
    for _, h in goal.locals():
        for conjunct in re.split(r"/\\", h.type):
            found = _bound(conjunct)
            if found is None or types.get(found[0]) not in ("nat", "Z"):
                continue
            var, low, high = found
            if low is not None:
                lo[var] = max(lo.get(var, low), low)
            if high is not None:
                hi[var] = min(hi.get(var, high), high)
    return {v: (types[v], lo[v], hi[v]) for v in hi if v in lo and lo[v] <= hi[v]}


def cases_step(var: str, typ: str, low: int, high: int) -> str:
    """One goal per value of ``var`` in ``low..high`` (Lean's ``interval_cases``)."""
    scope = "Z" if typ == "Z" else "nat"
    values = [f"{var} = {k}" if k >= 0 else f"{var} = ({k})" for k in range(low, high + 1)]
    pattern = "Hc"
    for _ in values[1:]:
        pattern = f"[Hc|{pattern}]"
    disjunction = " \\/ ".join(values)
    return (f"assert ({disjunction})%{scope} as Hc by lia; destruct Hc as {pattern}; "
            f"subst {var}; simpl in *; try lia.")


def competition_steps(goal: Goal) -> list[tuple[str, str]]:
    """(family, step) for the focused goal, in family order."""
    out: list[tuple[str, str]] = []
    for var, (typ, low, high) in sorted(bounded(goal).items()):
        if high - low + 1 <= MAX_CASES:
            out.append(("cases", cases_step(var, typ, low, high)))
    texts = [goal.conclusion, *(h.type for _, h in goal.locals())]
    has_z = any(h.type.strip() == "Z" for _, h in goal.locals()) or any("%Z" in t for t in texts)
    if has_z and any(_DIVMOD.search(t) for t in texts):
        out += [("divmod", "PreOmega.Z.div_mod_to_equations; lia."),
                ("divmod", "PreOmega.Z.div_mod_to_equations; nia.")]
    return out


def family_of(step: str) -> str | None:
    """The family a step of this module belongs to (None for any other step)."""
    if step.startswith("PreOmega.Z.div_mod_to_equations"):
        return "divmod"
    if step.startswith("assert (") and "as Hc by lia; destruct Hc as" in step:
        return "cases"
    return None
