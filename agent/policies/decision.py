"""Candidates for Coq's decision procedures, each only where the focused goal's shape fits.

A procedure that cannot apply still costs a kernel call of up to the tactic limit, so each one is
offered only on the goals it decides (coq_env.procedures says what each needs on the machine):
- ``psatz R 2`` (and ``psatz R 3`` on degree 3 and up, or with several polynomial hypotheses):
  a real polynomial relation, or ``False``, that is nonlinear somewhere in the goal or the
  hypotheses; ``psatz Z 2`` likewise over ``Z``. ``nra``/``nia`` only
  multiply hypotheses pairwise; psatz searches Positivstellensatz certificates of the degree given.
- ``nsatz`` (Gröbner bases): a polynomial equation over ``R`` or ``Z`` with at least one
  polynomial equation among the hypotheses, nonlinear somewhere.
- ``interval``: a real bound (``<=``, ``<``, ``>=``, ``>``, a two-sided bound, ``<>``) on an
  expression with ``sqrt``, ``ln``, ``exp``, ``Rpower``, ``cos``, ``PI``, ..., each of whose
  variables a hypothesis bounds; with one variable also ``interval with (i_bisect x)`` (and
  automatic differentiation), and a bound between two non-constant sides moved to ``e - f <= 0``.
"""

from __future__ import annotations

import math
import re

from agent.env import Goal, ProofState
from agent.policies.goal_args import _REAL, _hyps, _top_level, _vars, split_relation
from agent.policies.linear import top_level
from agent.policies.poly import add, degree, parse_poly

NSATZ_R = "unfold Rpow_def.pow in *; solve [NsatzTactic.nsatz_default]."
"""nsatz over R: powers with a numeral exponent unfolded to products first (nsatz reads ``x ^ 2``
as an atom); ``solve`` because nsatz leaves its reified goal open when the goal is not in the
ideal instead of failing."""
NSATZ_Z = "cbn [Z.pow Z.pow_pos Pos.iter] in *; solve [NsatzTactic.nsatz_default]."

_INTEGER = ("Z",)  # psatz Z on nat goals goes through zify and found no certificate nia did not
_ORDER = ("<=", ">=", "<", ">", "≤", "≥")
_TO_ZERO = {"<=": "apply Rminus_le", "≤": "apply Rminus_le", "<": "apply Rminus_lt",
            ">=": "apply Rle_ge, Rminus_le", "≥": "apply Rle_ge, Rminus_le", ">": "apply Rlt_gt, Rminus_lt"}


class DecisionPolicy:
    """Candidate decision-procedure calls for a Coq state (``procedures``: which can run here)."""

    def __init__(self, procedures):  # coq_env.procedures.Procedures
        self.procedures = procedures

    def __call__(self, state: ProofState) -> list[tuple[str, float]]:
        if not state.goals or not self.procedures.any():
            return []
        tactics = list(dict.fromkeys(candidates(state.goals[0], self.procedures)))
        h = sum(1.0 / (i + 1) for i in range(len(tactics)))
        return [(t, math.log(1.0 / ((i + 1) * h))) for i, t in enumerate(tactics)]


def candidates(g: Goal, procs) -> list[str]:
    out: list[str] = []
    reals, ints = _vars(g, _REAL), _vars(g, _INTEGER)
    if procs.psatz or procs.nsatz:
        for domain, names in (("R", reals), ("Z", ints)):
            out += _algebraic(g, domain, names, procs)
    if procs.interval:
        out += _interval(g, reals, procs)
    return out


def _relation(text: str, names: set[str]):
    """(op, lhs - rhs as a polynomial) of a polynomial relation over ``names``, or None."""
    rel = split_relation(text)
    if rel is None or not names:
        return None
    lhs, rhs = parse_poly(rel[0], names), parse_poly(rel[2], names)
    if lhs is None or rhs is None:
        return None
    return rel[1], add(lhs, rhs, -1)


def _algebraic(g: Goal, domain: str, names: list[str], procs) -> list[str]:
    vs = set(names)
    goal = _relation(g.conclusion, vs)
    if goal is None and g.conclusion.strip() != "False":
        return []
    hyps = [r for _, t in _hyps(g) if (r := _relation(t, vs)) is not None]
    degrees = [degree(p) for _, p in hyps] + ([degree(goal[1])] if goal else [])
    if not degrees or max(degrees) < 2:
        return []  # linear: lra / lia decide it already
    out = []
    if procs.psatz:
        out.append(f"psatz {domain} 2.")
        if domain == "R" and (max(degrees) >= 3 or len(hyps) >= 2):
            out.append("psatz R 3.")
    if procs.nsatz and goal is not None and goal[0] == "=" and any(op == "=" for op, _ in hyps):
        out.append(NSATZ_R if domain == "R" else NSATZ_Z)
    return out


def _bounded(g: Goal, name: str) -> bool:
    """Does some hypothesis bound ``name`` (a relation between it and anything)?"""
    pat = re.compile(rf"(?<![\w'.]){re.escape(name)}(?![\w'])")
    return any(pat.search(t) and any(_top_level(t, op) for op in _ORDER) for _, t in _hyps(g))


def _order_ops(text: str) -> int:
    """How many order relations (``<``, ``<=``, ...) stand at the top level of ``text``."""
    n, skip = 0, -1
    for i in top_level(text):
        if i <= skip:
            continue
        if text[i:i + 2] in ("<=", ">=", "<>", "->", "<-"):
            n += text[i:i + 2] in ("<=", ">=")
            skip = i + 1
        elif text[i] in "<>≤≥":
            n += 1
    return n


def _interval(g: Goal, reals: list[str], procs) -> list[str]:
    c = " ".join(g.conclusion.split())
    if not procs.fitting(c).interval:
        return []
    present = [v for v in reals if re.search(rf"(?<![\w'.]){re.escape(v)}(?![\w'])", c)]
    if not all(_bounded(g, v) for v in present):
        return []  # interval needs a bound on every variable
    bisect = [f"interval with (i_bisect {present[0]}).",
              f"interval with (i_bisect {present[0]}, i_autodiff {present[0]})."] if len(present) == 1 else []
    if _top_level(c, "<>") or _top_level(c, "≠"):
        return ["interval."]
    if _top_level(c, "/\\") or _order_ops(c) == 2:  # a two-sided bound (``a < e <= b``): one side at a time
        return ["split; interval."] + [f"split; {t}" for t in bisect]
    rel = split_relation(c)
    if rel is None or rel[1] not in _ORDER:
        return []
    out = ["interval."] + bisect
    if present and all(re.search(r"[A-Za-z_]", side) for side in (rel[0], rel[2])):
        out += [f"{_TO_ZERO[rel[1]]}; {t}" for t in ["interval."] + bisect]
    return out
