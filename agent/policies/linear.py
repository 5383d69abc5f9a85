"""Linear equations read from goal text, and the variables a linear system pins down.

A competition statement often fixes its unknowns by a few linear equations among its
hypotheses (``3 * x + 2 * y = 7``, ``x - y = -1``); asserting ``x = 1`` and ``y = 2`` first turns
the rest into arithmetic that ``lra``/``lia`` close. Neither retrieval nor templates can propose
those values: they come from the goal. This module reads the linear equations, and
solves the system by exact rational elimination. Terms are read by ``poly.parse_poly``; one of
degree two or more, or not a polynomial at all (a function application), is skipped.
"""

from __future__ import annotations

from fractions import Fraction

from agent.policies.poly import degree, parse_poly

Linear = dict  # variable -> coefficient; the key "" holds the constant


def parse_linear(text: str, variables: set[str]) -> Linear | None:
    """The linear form of ``text`` over ``variables``, or None when it is not one."""
    p = parse_poly(text, variables)
    if p is None or degree(p) > 1:
        return None
    return {(m[0][0] if m else ""): c for m, c in p.items()}


def top_level(text: str):
    """The indices of ``text`` outside every bracket pair: where a term's top-level operator is."""
    depth = 0
    for i, ch in enumerate(text):
        if ch in "([{":
            depth += 1
        elif ch in ")]}":
            depth -= 1
        elif depth == 0:
            yield i


def split_equation(text: str) -> tuple[str, str] | None:
    """``lhs = rhs`` with one ``=`` at the top level and no other relation there, or None."""
    at = -1
    for i in top_level(text):
        ch = text[i]
        if ch in "<>≠≤≥":
            return None  # an inequality (<=, >=, <>), not an equation
        if ch == "=":
            if at >= 0 or text[i + 1:i + 2] in ("=", ">") or text[i - 1:i] in (":", "!"):
                return None
            at = i
    return (text[:at], text[at + 1:]) if at > 0 else None


def pinned_values(equations: list[str], variables: set[str]) -> dict[str, Fraction]:
    """The variables whose value the linear equations among ``equations`` determine."""
    rows = []
    for eq in equations:
        sides = split_equation(eq)
        if sides is None:
            continue
        lhs, rhs = (parse_linear(s, variables) for s in sides)
        if lhs is None or rhs is None:
            continue
        row = {k: lhs.get(k, Fraction(0)) - rhs.get(k, Fraction(0)) for k in set(lhs) | set(rhs)}
        if any(v for k, v in row.items() if k):
            rows.append(row)
    names = sorted({k for r in rows for k, v in r.items() if k and v})
    if not names:
        return {}
    # Gauss-Jordan on [A | b] with A x = b, b = -constant
    mat = [[r.get(n, Fraction(0)) for n in names] + [-r.get("", Fraction(0))] for r in rows]
    pivots, r = [], 0
    for c in range(len(names)):
        p = next((i for i in range(r, len(mat)) if mat[i][c] != 0), None)
        if p is None:
            continue
        mat[r], mat[p] = mat[p], mat[r]
        lead = mat[r][c]
        mat[r] = [v / lead for v in mat[r]]
        for i in range(len(mat)):
            if i != r and mat[i][c] != 0:
                f = mat[i][c]
                mat[i] = [a - f * b for a, b in zip(mat[i], mat[r])]
        pivots.append((r, c))
        r += 1
    if any(all(v == 0 for v in row[:-1]) and row[-1] != 0 for row in mat):
        return {}  # inconsistent hypotheses: nothing to pin (the goal may follow by contradiction)
    out = {}
    for row, c in pivots:
        if all(mat[row][j] == 0 for j in range(len(names)) if j != c):
            out[names[c]] = mat[row][-1]
    return out
