"""Polynomials read from goal text: the arithmetic the goal-argument candidates compute with.

A term of ``+ - * / ^``, numerals, variables and parentheses (Coq's and Lean's notation agree on
these; ``%R`` scopes and Lean's ``(2 : ℝ)`` casts are dropped) is read into a polynomial with
rational coefficients: a dict from a monomial (sorted ``(variable, exponent)`` pairs; ``()`` is
the constant) to its coefficient. Division only by a constant, exponents only small numerals.
Anything else (a function application, an unknown name) makes the term not a polynomial, and
the reader returns None: a candidate built from a misread goal would only waste a kernel call.
"""

from __future__ import annotations

import re
from fractions import Fraction

_TOKEN = re.compile(r"\d+(?:\.\d+)?|[A-Za-z_][\w']*|[-+*/^()=<>≠]|\S")
_SCOPE = re.compile(r"%[A-Za-z]+|\(\s*(\d+)\s*:\s*[ℝℤℕℚ]\s*\)")
_MAX_EXPONENT = 8

Monomial = tuple  # ((variable, exponent), ...), sorted; () is the constant monomial
Poly = dict  # Monomial -> Fraction, no zero coefficients


class _NotPoly(Exception):
    pass


def _clean(p: Poly) -> Poly:
    return {m: c for m, c in p.items() if c != 0}


def add(a: Poly, b: Poly, sign: int = 1) -> Poly:
    out = dict(a)
    for m, c in b.items():
        out[m] = out.get(m, Fraction(0)) + sign * c
    return _clean(out)


def mul(a: Poly, b: Poly) -> Poly:
    out: Poly = {}
    for ma, ca in a.items():
        for mb, cb in b.items():
            powers = dict(ma)
            for v, e in mb:
                powers[v] = powers.get(v, 0) + e
            m = tuple(sorted(powers.items()))
            out[m] = out.get(m, Fraction(0)) + ca * cb
    return _clean(out)


def shift(p: Poly, var: str) -> Poly:
    """``p`` with ``var`` replaced by ``var + 1`` (an induction step's successor)."""
    out: Poly = {}
    step = {((var, 1),): Fraction(1), (): Fraction(1)}
    for m, c in p.items():
        term: Poly = {tuple((v, e) for v, e in m if v != var): c}
        for _ in range(dict(m).get(var, 0)):
            term = mul(term, step)
        out = add(out, term)
    return out


def constant(p: Poly) -> Fraction | None:
    """The value of a polynomial without variables, or None."""
    return p.get((), Fraction(0)) if all(m == () for m in p) else None


def degree(p: Poly, var: str | None = None) -> int:
    """Total degree, or the degree in ``var``."""
    if var is None:
        return max((sum(e for _, e in m) for m in p), default=0)
    return max((dict(m).get(var, 0) for m in p), default=0)


def coefficient(p: Poly, var: str, k: int) -> Poly:
    """The coefficient of ``var^k``, a polynomial in the other variables."""
    out: Poly = {}
    for m, c in p.items():
        powers = dict(m)
        if powers.get(var, 0) == k:
            powers.pop(var, None)
            out[tuple(sorted(powers.items()))] = c
    return out


def parse_poly(text: str, variables: set[str]) -> Poly | None:
    """The polynomial ``text`` denotes over ``variables``, or None when it is not one."""
    toks = _TOKEN.findall(_SCOPE.sub(lambda m: m.group(1) or "", text))
    pos = 0

    def peek() -> str:
        return toks[pos] if pos < len(toks) else ""

    def take() -> str:
        nonlocal pos
        if pos >= len(toks):
            raise _NotPoly
        pos += 1
        return toks[pos - 1]

    def expr() -> Poly:
        out = term()
        while peek() in ("+", "-"):
            sign = 1 if take() == "+" else -1
            out = add(out, term(), sign)
        return out

    def term() -> Poly:
        out = power()
        while peek() in ("*", "/"):
            op, rhs = take(), power()
            if op == "*":
                out = mul(out, rhs)
            else:
                c = constant(rhs)
                if not c:
                    raise _NotPoly
                out = mul(out, {(): 1 / c})
        return out

    def power() -> Poly:
        base = factor()
        if peek() != "^":
            return base
        take()
        e = take()
        if not e.isdigit() or int(e) > _MAX_EXPONENT:
            raise _NotPoly
        out: Poly = {(): Fraction(1)}
        for _ in range(int(e)):
            out = mul(out, base)
        return out

    def factor() -> Poly:
        t = take()
        if t == "-":
            return mul(power(), {(): Fraction(-1)})
        if t == "(":
            out = expr()
            if take() != ")":
                raise _NotPoly
            return out
        if re.fullmatch(r"\d+(?:\.\d+)?", t):
            return _clean({(): Fraction(t)})
        if t in variables and peek() not in ("(",) and not re.fullmatch(r"[\w']+", peek() or "+"):
            return {((t, 1),): Fraction(1)}
        raise _NotPoly

    try:
        out = expr()
    except (_NotPoly, ZeroDivisionError):
        return None
    return out if pos == len(toks) else None


def _coef(c: Fraction) -> str:
    return str(c.numerator) if c.denominator == 1 else f"({c.numerator} / {c.denominator})"


def render(p: Poly) -> str:
    """``p`` in the infix notation Coq and Lean share (``2 * x ^ 2 - 3 * y + 1``)."""
    if not p:
        return "0"
    parts = []
    for m, c in sorted(p.items(), key=lambda mc: (-sum(e for _, e in mc[0]), mc[0])):
        vars_ = " * ".join(v if e == 1 else f"{v} ^ {e}" for v, e in m)
        mag = abs(c)
        body = vars_ if mag == 1 and vars_ else _coef(mag) + (f" * {vars_}" if vars_ else "")
        parts.append(("- " if c < 0 else "+ ") + body)
    s = " ".join(parts)
    return s[2:] if s.startswith("+ ") else "-" + s[1:]


def integral(p: Poly) -> Poly:
    """``p`` scaled to integer coefficients with no common factor (same sign as before)."""
    import math
    den = math.lcm(*(c.denominator for c in p.values())) if p else 1
    q = {m: c * den for m, c in p.items()}
    g = math.gcd(*(int(c) for c in q.values())) if q else 1
    return {m: c / g for m, c in q.items()} if g else q
