"""Candidates whose arguments come from the goal itself: the moves that retrieval (tactics of
other proofs) and templates (slots filled with local names only) cannot write.

From the focused goal's structured fields:
- values a linear system of hypotheses pins down: ``assert (x = 1)%R by lra.`` (all of them
  and a ``subst`` as one step, and each alone);
- hint terms for ``nra``/``nia``: squares of the differences and sums of the goal's real or
  integer variables (``pose proof (pow2_ge_0 (x - y)); nra.``; Lean ``nlinarith [sq_nonneg
  (x - y), ...]``);
- ``field_simplify`` / ``ring_simplify`` at a hypothesis with a quotient or a product;
- case splits on the goal's ``Rabs`` / ``Rmax`` / ``Rmin`` / ``if`` subterms;
- ``destruct`` of a hypothesis that is a disjunction, a conjunction or an existential.

The list is ordered by how often each kind closes a competition goal, with a Zipf prior over
the order as log-probs (as the automation list); a learned Q re-ranks them with every other
source's candidates.
"""

from __future__ import annotations

import math
import re
from fractions import Fraction

from agent.env import Goal, ProofState
from agent.policies.linear import pinned_values, top_level

_REAL, _INT, _NAT = ("R", "ℝ"), ("Z", "ℤ"), ("nat", "ℕ")
_MAX_VARS = 4


class GoalArgPolicy:
    """Candidate tactics with arguments read from the focused goal."""

    def __init__(self, backend: str, *, max_candidates: int = 16):
        if backend not in ("coq", "lean"):
            raise ValueError(f"unknown backend {backend!r}")
        self.backend, self.max_candidates = backend, max_candidates

    def __call__(self, state: ProofState) -> list[tuple[str, float]]:
        if not state.goals:
            return []
        g = state.goals[0]
        tactics = (coq_candidates(g) if self.backend == "coq" else lean_candidates(g))
        tactics = list(dict.fromkeys(tactics))[:self.max_candidates]
        h = sum(1.0 / (i + 1) for i in range(len(tactics)))
        return [(t, math.log(1.0 / ((i + 1) * h))) for i, t in enumerate(tactics)]


def _vars(g: Goal, types: tuple[str, ...]) -> list[str]:
    return [n for n, h in g.locals() if not h.body and h.type.strip() in types]


def _hyps(g: Goal) -> list[tuple[str, str]]:
    """(name, type) of the propositional hypotheses (not variables, not definitions)."""
    kinds = _REAL + _INT + _NAT + ("Type", "Set", "Prop")
    return [(n, h.type) for n, h in g.locals() if not h.body and h.type.strip() not in kinds]


def _fresh(g: Goal, base: str) -> str:
    taken = {n for n, _ in g.locals()}
    if base not in taken:
        return base
    return next(f"{base}{i}" for i in range(100) if f"{base}{i}" not in taken)


def _coq_num(q: Fraction) -> str:
    s = str(abs(q.numerator)) if q.denominator == 1 else f"{abs(q.numerator)} / {q.denominator}"
    return f"- {s}" if q < 0 else s


def _pins(g: Goal) -> list[tuple[str, Fraction, str]]:
    """(variable, value, its kind R | Z | nat) for the variables the hypotheses pin down."""
    kinds = {**{v: "R" for v in _vars(g, _REAL)}, **{v: "Z" for v in _vars(g, _INT)},
             **{v: "nat" for v in _vars(g, _NAT)}}
    if not kinds:
        return []
    vals = pinned_values([t for _, t in _hyps(g)], set(kinds))
    out = []
    for v, q in vals.items():
        k = kinds[v]
        if k != "R" and q.denominator != 1 or k == "nat" and q < 0:
            continue  # an integer variable at a fractional value: the hypotheses are not as read
        out.append((v, q, k))
    return out[:_MAX_VARS]


def _top_level(text: str, op: str) -> bool:
    return any(text.startswith(op, i) for i in top_level(text))


def _cases(g: Goal, exists: str, or_: str, and_: str):
    """(kind, name, witness) of each hypothesis a case split opens: an existential (its witness's
    name, fresh), a disjunction or a conjunction at the top level."""
    for name, t in _hyps(g):
        if t.startswith(exists):
            m = re.match(rf"{re.escape(exists.strip())}\s*\(?([A-Za-z_][\w']*)", t)
            yield "exists", name, _fresh(g, m.group(1) if m else "w")
        elif _top_level(t, or_):
            yield "or", name, ""
        elif _top_level(t, and_):
            yield "and", name, ""


def _atom(text: str, i: int) -> tuple[str, int] | None:
    """The argument starting at ``text[i]`` (after spaces): a parenthesised group or a token."""
    while i < len(text) and text[i] == " ":
        i += 1
    if i >= len(text):
        return None
    if text[i] == "(":
        depth = 0
        for j in range(i, len(text)):
            depth += {"(": 1, ")": -1}.get(text[j], 0)
            if depth == 0:
                return text[i:j + 1], j + 1
        return None
    m = re.match(r"[\w'.]+", text[i:])
    return (m.group(0), i + m.end()) if m else None


def _applications(text: str, fn: str, arity: int) -> list[tuple[str, ...]]:
    """Arguments of every application of ``fn`` in ``text``."""
    out = []
    for m in re.finditer(rf"(?<![\w'.]){re.escape(fn)}(?![\w'.])", text):
        args, i = [], m.end()
        for _ in range(arity):
            a = _atom(text, i)
            if a is None:
                break
            args.append(a[0])
            i = a[1]
        if len(args) == arity:
            out.append(tuple(args))
    return list(dict.fromkeys(out))


def _if_conditions(text: str) -> list[str]:
    out = []
    for m in re.finditer(r"(?<![\w'])if\s+", text):
        depth, i = 0, m.end()
        for j in range(i, len(text)):
            depth += {"(": 1, ")": -1}.get(text[j], 0)
            if depth == 0 and text.startswith(" then", j):
                out.append(text[i:j].strip())
                break
    return list(dict.fromkeys(out))


def _square_terms(names: list[str]) -> list[str]:
    vs = names[:_MAX_VARS]
    return [f"{a} - {b}" for i, a in enumerate(vs) for b in vs[i + 1:]] + \
           [f"{a} + {b}" for i, a in enumerate(vs) for b in vs[i + 1:]] + vs


def _is_relation(text: str) -> bool:
    return any(_top_level(text, op) for op in ("<=", ">=", "<", ">", "≤", "≥"))


def coq_candidates(g: Goal) -> list[str]:
    out: list[str] = []
    texts = [g.conclusion] + [t for _, t in _hyps(g)]
    pins = _pins(g)
    if pins:
        by = {"R": "lra", "Z": "lia", "nat": "lia"}
        asserts = [f"assert ({v} = {_coq_num(q)})%{k} by {by[k]}" for v, q, k in pins]
        out.append("; ".join(asserts) + f"; subst {' '.join(v for v, _, _ in pins)}.")
        out += [a + "." for a in asserts]
    for fn, arity, spec in (("Rabs", 1, None), ("Rmax", 2, "Rmax"), ("Rmin", 2, "Rmin")):
        args = [a for t in texts for a in _applications(t, fn, arity)]
        args = list(dict.fromkeys(args))[:3]
        if not args:
            continue
        if fn == "Rabs":
            splits = "; ".join(f"destruct (Rcase_abs {a[0]})" for a in args)
        else:
            splits = "; ".join(f"destruct (Rle_dec {a[0]} {a[1]})" for a in args)
        out += [f"unfold {fn} in *; {splits}; lra.", f"unfold {fn} in *; {splits}."]
    for c in _if_conditions(" ".join(texts))[:2]:
        out += [f"destruct ({c}).", f"destruct ({c}); lra."]
    reals, ints = _vars(g, _REAL), _vars(g, _INT)
    if reals and (_is_relation(g.conclusion) or "^" in g.conclusion or "*" in g.conclusion):
        terms = _square_terms(reals)
        out.append("; ".join(f"pose proof (pow2_ge_0 ({t}))" for t in terms) + "; nra.")
        out += [f"pose proof (pow2_ge_0 ({t})); nra." for t in terms[:3]]
    if ints and (_is_relation(g.conclusion) or "*" in g.conclusion):
        terms = _square_terms(ints)
        out.append("; ".join(f"pose proof (Z.square_nonneg ({t}))" for t in terms) + "; nia.")
    for kind, name, w in _cases(g, "exists ", "\\/", "/\\"):
        if kind == "exists":
            out.append(f"destruct {name} as [{w} {_fresh(g, 'H' + w)}].")
        elif kind == "or":
            out.append(f"destruct {name} as [{name} | {name}].")
        else:
            out.append(f"destruct {name} as [{_fresh(g, name + 'a')} {_fresh(g, name + 'b')}].")
    for name, t in _hyps(g)[-4:]:
        if "/" in t and (_top_level(t, "=") or _is_relation(t)):
            out.append(f"field_simplify in {name}.")
        elif re.search(r"\^|[\w)]\s*\*\s*[A-Za-z_(]", t) and _top_level(t, "="):
            out.append(f"ring_simplify in {name}.")
    if "/" in g.conclusion:
        out.append("field_simplify.")
    return out


def lean_candidates(g: Goal) -> list[str]:
    out: list[str] = []
    for v, q, _ in _pins(g):
        val = str(q.numerator) if q.denominator == 1 else f"{q.numerator} / {q.denominator}"
        out.append(f"have h{v} : {v} = {val} := by linarith")
    reals = _vars(g, _REAL) + _vars(g, _INT)
    if reals and (_is_relation(g.conclusion) or "^" in g.conclusion):
        terms = _square_terms(reals)
        out.append("nlinarith [" + ", ".join(f"sq_nonneg ({t})" for t in terms) + "]")
    if _if_conditions(g.conclusion):
        out.append("split_ifs")
    for kind, name, w in _cases(g, "∃", "∨", "∧"):
        if kind == "exists":
            out.append(f"obtain ⟨{w}, {_fresh(g, 'h' + w)}⟩ := {name}")
        elif kind == "or":
            out.append(f"rcases {name} with {name} | {name}")
        else:
            out.append(f"obtain ⟨{_fresh(g, name + 'a')}, {_fresh(g, name + 'b')}⟩ := {name}")
    for name, t in _hyps(g)[-4:]:
        if "/" in t:
            out.append(f"field_simp at {name}")
        elif "^" in t or "*" in t:
            out.append(f"ring_nf at {name}")
    return out
