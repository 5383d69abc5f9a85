"""Candidates whose arguments come from the goal itself: the moves that retrieval (tactics of
other proofs) and templates (slots filled with local names only) cannot write.

From the focused goal's structured fields:
- values a linear system of hypotheses pins down: ``assert (x = 1)%R by lra.`` (all of them
  and a ``subst`` as one step, and each alone);
- instances of a hypothesis ``forall n, ...`` at the numerals the problem mentions (a
  recurrence at the indices between the ones given, an identity in ``x`` at 0, 1, -1 and the
  goal's numerals): ``pose proof (h0 4%nat); ...; lra.``;
- ``sqrt`` facts: a perfect square's root rewritten to its value (``rewrite (sqrt_lem_1 9 3) by
  lra.``), and ``0 <= sqrt t`` with ``sqrt t * sqrt t = t`` for ``nra``;
- hint terms for ``nra``/``nia``: the completed square of each quadratic relation (``28 * a ^ 2
  + 1 >= 10 * a`` gives ``(56 * a - 10) ^ 2 >= 0``), and squares of the differences and sums of
  the goal's real or integer variables (``pose proof (pow2_ge_0 (x - y)); nra.``; Lean
  ``nlinarith [sq_nonneg (x - y), ...]``);
- ``field_simplify`` / ``ring_simplify`` at a hypothesis with a quotient or a product, and
  ``field_simplify_eq`` on an equation with a quotient;
- case splits on the goal's ``Rabs`` / ``Rmax`` / ``Rmin`` / ``if`` subterms;
- ``destruct`` of a hypothesis that is a disjunction, a conjunction or an existential;
- remainders: each ``a mod c`` written as its division equation and bound (``Nat.div_mod``,
  ``Nat.mod_upper_bound``; ``Z.div_mod_to_equations`` for ``Z``), for ``lia``/``nia``, which
  treat ``mod`` as an opaque term otherwise;
- complex equations (Coquelicot's ``C = R * R``): each hypothesis equation split into its real
  and imaginary parts (``f_equal fst``/``snd``), the goal by ``injective_projections``, closed
  by ``lra``/``nra``;
- large ``nat`` numerals (Coq reads 5000 and up as ``Nat.of_num_uint`` applications, which
  ``lia`` cannot see into) rewritten in base 1000 (``replace 39500 with (39 * 1000 + 500) in *
  by reflexivity``);
- a root pinned to its value: ``sqrt t = c`` through ``sqrt (c * c)`` (``f_equal`` leaves ``t =
  c * c`` for ``nra``), and ``ln t <> 0`` for a numeral ``t`` (``field``'s side goals);
- logarithms of products, quotients and powers expanded (``ln_mult``, ``ln_div``, ``ln_pow``,
  positivity side goals by ``lra``) in every hypothesis and the goal, for ``lra``;
- divisibility by induction: for ``exists k, p(n) = c * k`` with ``p`` a polynomial, the
  successor's witness ``k + (p(n + 1) - p(n)) / c``, computed, closed by ``nia``.

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
from agent.policies.poly import add, coefficient, constant, degree, integral, mul, parse_poly, render, shift

_REAL, _INT, _NAT, _COMPLEX = ("R", "ℝ"), ("Z", "ℤ"), ("nat", "ℕ"), ("C",)
_MAX_VARS = 4
_MAX_INSTANCES = 10


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
    kinds = _REAL + _INT + _NAT + _COMPLEX + ("Type", "Set", "Prop")
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


def _atom_before(text: str, i: int) -> str | None:
    """The operand ending just before ``text[i]`` (spaces skipped): a parenthesised group or a token."""
    j = i
    while j > 0 and text[j - 1] == " ":
        j -= 1
    if j == 0:
        return None
    if text[j - 1] == ")":
        depth = 0
        for k in range(j - 1, -1, -1):
            depth += {")": 1, "(": -1}.get(text[k], 0)
            if depth == 0:
                return text[k:j]
        return None
    m = re.search(r"[\w'.]+$", text[:j])
    return m.group(0) if m else None


def _remainders(text: str) -> list[tuple[str, str]]:
    """(a, c) of every ``a mod c`` in ``text`` with a numeral or a name for ``c``."""
    out = []
    for m in re.finditer(r"(?<![\w'.])mod(?![\w'.])", text):
        a, c = _atom_before(text, m.start()), _atom(text, m.end())
        if a and c and re.fullmatch(r"[\w']+", c[0]):
            out.append((a, c[0]))
    return list(dict.fromkeys(out))


def _complex_candidates(g: Goal) -> list[str]:
    """Real and imaginary parts: the hypothesis equations projected, the goal's equation(s) by
    ``injective_projections`` (Coquelicot's C is a pair of reals)."""
    cvars = _vars(g, _COMPLEX)
    if not (cvars or re.search(r"(?<![\w'])Ci(?![\w'])", g.conclusion)):
        return []
    rel = split_relation(g.conclusion)
    if not (rel and rel[1] == "=" or _top_level(g.conclusion, "/\\")):
        return []
    mentions = re.compile(r"(?<![\w'])(" + "|".join(map(re.escape, cvars + ["Ci"])) + r")(?![\w'])")
    eqs = [n for n, t in _hyps(g) if _top_level(t, "=") and mentions.search(t)][:4]
    proj = "".join(f"pose proof (f_equal fst {n}); pose proof (f_equal snd {n}); " for n in eqs)
    split = "repeat split; " if _top_level(g.conclusion, "/\\") else ""
    return [f"{proj}simpl in *; {split}apply injective_projections; simpl; {c}." for c in ("lra", "nra")]


def _remainder_candidates(g: Goal, texts: list[str]) -> list[str]:
    rems = [r for t in texts for r in _remainders(t)]
    rems = list(dict.fromkeys(rems))[:4]
    if not rems:
        return []
    out = []
    if _vars(g, _INT) or any("%Z" in t for t in texts):
        out += ["Z.div_mod_to_equations; lia.", "Z.div_mod_to_equations; nia."]
    if not _vars(g, _INT) or _vars(g, _NAT):
        facts = "; ".join(f"pose proof (Nat.div_mod {a} {c} ltac:(lia)); "
                          f"pose proof (Nat.mod_upper_bound {a} {c} ltac:(lia))" for a, c in rems)
        out += [f"{facts}; lia.", f"{facts}; nia."]
    return out


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


def _has_division(text: str) -> bool:
    """A quotient ``a / b``; not the ``/\\`` and ``\\/`` of a conjunction or disjunction."""
    return re.search(r"(?<!\\)/(?!\\)", text) is not None


def split_relation(text: str) -> tuple[str, str, str] | None:
    """``(lhs, op, rhs)`` for the one relation (``= <= >= < > ≤ ≥``) at the top level, or None
    (none, several, or a disequality, an implication, an arrow or a definition there)."""
    found, skip = [], -1
    for i in top_level(text):
        if i <= skip:
            continue
        two = text[i:i + 2]
        if two in ("<>", "->", "<-", "=>", ":=", "==") or text[i] in "≠→↔":
            return None
        if two in ("<=", ">="):
            found.append((i, two))
            skip = i + 1
        elif text[i] in "=<>≤≥":
            found.append((i, text[i]))
    if len(found) != 1:
        return None
    i, op = found[0]
    return text[:i], op, text[i + len(op):]


def _completed_squares(g: Goal, variables: list[str]) -> list[str]:
    """For each quadratic relation ``p(x, ...) op 0`` among the goal and hypotheses, and each
    variable ``x`` it is quadratic in: ``2 A x + B`` where ``p = A x^2 + B x + C`` (``A`` a
    number, ``B`` linear in the others); its square is the certificate ``nra`` needs."""
    out, vs = [], set(variables)
    for t in [g.conclusion] + [t for _, t in _hyps(g)]:
        rel = split_relation(t)
        if rel is None:
            continue
        lhs, rhs = parse_poly(rel[0], vs), parse_poly(rel[2], vs)
        if lhs is None or rhs is None:
            continue
        p = add(lhs, rhs, -1)
        if degree(p) != 2:
            continue
        for x in variables:
            a = constant(coefficient(p, x, 2)) if degree(p, x) == 2 else None
            if not a:
                continue
            hint = integral(add({((x, 1),): 2 * a}, coefficient(p, x, 1)))
            if len(hint) > 1:  # a lone 2 A x: the plain square of x says it already
                out.append(render(hint))
    return list(dict.fromkeys(out))[:3]


def _value(text: str) -> Fraction | None:
    """The number a closed arithmetic term denotes (``2 * 8 - 7``), or None."""
    p = parse_poly(text, set())
    return constant(p) if p is not None else None


def _rational_sqrt(q: Fraction) -> Fraction | None:
    if q < 0:
        return None
    n, d = math.isqrt(q.numerator), math.isqrt(q.denominator)
    return Fraction(n, d) if n * n == q.numerator and d * d == q.denominator else None


_GLOBALS = {"PI", "sin", "cos", "tan", "exp", "ln", "sqrt", "Rabs", "INR", "IZR", "Rsqr"}


def _sqrt_facts(g: Goal) -> tuple[list[str], list[str]]:
    """(rewrites of a perfect square's root to its value, the ``sqrt`` arguments), from the
    texts without binders and of arguments whose names are all in scope."""
    names = {n for n, _ in g.locals()} | _GLOBALS
    texts = [t for t in [g.conclusion] + [t for _, t in _hyps(g)] if not re.match(r"(forall|exists|fun)\b", t)]
    args = list(dict.fromkeys(a for t in texts for (a,) in _applications(t, "sqrt", 1)
                              if set(re.findall(r"[A-Za-z_][\w']*", a)) <= names))[:3]
    rewrites = []
    for a in args:
        c = _value(a)
        r = _rational_sqrt(c) if c is not None else None
        if r is not None:
            rewrites.append(f"rewrite (sqrt_lem_1 {a} {_coq_num(r) if r >= 0 else r}) by lra.")
    return rewrites, args


def _foralls(g: Goal, types: tuple[str, ...]):
    """(name, bound type, premises) of each hypothesis ``forall v : T, ...`` with one bound
    variable of a number type; premises counts its top-level ``->``."""
    for name, t in _hyps(g):
        m = re.match(r"forall\s+\(?([A-Za-z_][\w']*)\s*:\s*([^,()]+?)\)?\s*,(.*)$", t, re.S)
        if not m or m.group(2).strip() not in types:
            continue
        body = m.group(3)
        premises = sum(1 for i in top_level(body) if body.startswith("->", i) or body.startswith("→", i))
        yield name, m.group(2).strip(), premises


def _instance_points(g: Goal, name: str, kind: str) -> list[int]:
    """Where to instantiate ``name``: for a sequence over nat, every index between the least and
    the greatest literal index the other texts apply a function to (and two below, where a
    recurrence reaches back); otherwise the small literals they mention and 0, 1 (and -1)."""
    others = [g.conclusion] + [t for n, t in _hyps(g) if n != name]
    funcs = [n for n, h in g.locals() if not h.body and ("->" in h.type or "→" in h.type)]
    idx = sorted({int(a) for t in others for f in funcs for (a,) in _applications(t, f, 1)
                  if a.isdigit() and int(a) <= 1000})
    if kind in _NAT and idx:
        lo, hi = max(idx[0] - 2, 0), idx[-1]
        pts = list(range(lo, hi + 1)) if hi - lo < _MAX_INSTANCES else \
            sorted({k - d for k in idx for d in (0, 1, 2) if k - d >= 0})
        return pts[:_MAX_INSTANCES]
    lits = [int(x) for t in others for x in re.findall(r"(?<![\w.^])\d+(?![\w.])", t) if int(x) <= 100]
    base = [0, 1] if kind in _NAT else [0, 1, -1]
    return list(dict.fromkeys(base + lits))[:6]


def _coq_instances(g: Goal) -> list[tuple[str, tuple[str, str]]]:
    """(the instance steps, two closers) of each one-variable universal hypothesis (the closers
    by the bound variable's type: a sequence over nat may take real or natural values)."""
    out = []
    for name, kind, premises in _foralls(g, _REAL + _INT + _NAT):
        scope = {"nat": "%nat", "Z": "%Z"}.get(kind, "")
        proof = " ltac:(solve [lia | lra | split; lra | split; lia])" * premises
        steps = []
        for k in _instance_points(g, name, kind):
            arg = f"{k}{scope}" if k >= 0 else f"(-{-k}){scope}"
            step = f"pose proof ({name} {arg}{proof})"
            steps.append(f"try {step}" if premises else step)
        if steps:
            out.append(("; ".join(steps), ("lra", "nra") if kind in _REAL else ("lra", "lia")))
    return out[:2]


_BIG_NAT = 5000  # Coq 8.16 reads nat numerals from here on as Nat.of_num_uint applications


def _base_1000(n: int) -> str:
    """``n`` as ``(q * 1000 + r)`` with every numeral below 1000 (Horner form)."""
    q, r = divmod(n, 1000)
    return f"({q if q < 1000 else _base_1000(q)} * 1000 + {r})"


_OF_UINT = re.compile(r"(?:Init\.)?Nat\.of_num_uint\s*\(\s*Number\.UIntDecimal\s*"
                      r"((?:\(\s*Decimal\.D\d\s*)+)Decimal\.Nil")


def _big_nats(text: str) -> list[int]:
    """The large nat numerals of ``text``: as Coq prints them (``Init.Nat.of_num_uint
    (Number.UIntDecimal (Decimal.D3 (... Decimal.Nil)))``) or as plain numerals."""
    out = [int("".join(re.findall(r"D(\d)", m.group(1)))) for m in _OF_UINT.finditer(text)]
    plain = _OF_UINT.sub(" ", text)
    out += [int(x) for x in re.findall(r"(?<![\w.])\d+(?![\w.])", plain) if int(x) >= _BIG_NAT]
    return out


def _big_nat_candidates(g: Goal, texts: list[str]) -> list[str]:
    if (_vars(g, _REAL) or _vars(g, _INT)) and not _vars(g, _NAT):
        return []
    if any(re.search(r"%[RZQ]\b", t) for t in texts):
        return []
    bigs = sorted({n for t in texts for n in _big_nats(t)}, reverse=True)[:3]
    if not bigs:
        return []
    steps = "; ".join(f"replace {n} with {_base_1000(n)} in * by reflexivity" for n in bigs)
    return [f"{steps}; lia.", f"{steps}; nia.", f"{steps}."]


def _root_candidates(g: Goal) -> list[str]:
    """``sqrt t = c`` (either side) through ``sqrt (c * c)``; ``ln t <> 0`` for a numeral t."""
    out = []
    rel = split_relation(g.conclusion)
    if rel and rel[1] == "=":
        lhs, rhs = rel[0].strip(), rel[2].strip()
        for side, other, flip in ((lhs, rhs, ""), (rhs, lhs, "symmetry; ")):
            app = _applications(side, "sqrt", 1)
            c = _value(other)
            if app and side == f"sqrt {app[0][0]}" and c is not None and c >= 0:
                sq = f"transitivity (sqrt ({other} * {other})); [f_equal"
                out += [f"{flip}{sq}; nra | apply sqrt_square; lra].", f"{flip}{sq} | apply sqrt_square; lra]."]
    m = re.fullmatch(r"\s*ln\s+(\S.*?)\s*<>\s*0\s*", g.conclusion)
    if m:
        c = _value(m.group(1))
        if c is not None and c > 1:
            out.append("rewrite <- ln_1; apply not_eq_sym, Rlt_not_eq, ln_increasing; lra.")
        elif c is not None and 0 < c < 1:
            out.append("rewrite <- ln_1; apply Rlt_not_eq, ln_increasing; lra.")
    return out


def _ln_candidates(texts: list[str]) -> list[str]:
    if not any(re.search(r"[*/^]", a) and not re.search(r"\\/|/\\", a)
               for t in texts for (a,) in _applications(t, "ln", 1)):
        return []
    pos = "(try apply pow_lt; lra)"
    expand = (f"repeat (first [rewrite ln_mult in * by {pos} | rewrite ln_div in * by {pos} | "
              f"rewrite ln_pow in * by lra]); simpl INR in *")
    return [f"{expand}; lra.", f"{expand}; nra.", f"{expand}."]


def _induction_candidates(g: Goal) -> list[str]:
    """``exists k, p(n) = c * k`` (or ``Nat.divide c (p n)``) over nat, by induction on n with
    the successor's witness computed: ``k + (p(n + 1) - p(n)) / c``."""
    nats = _vars(g, _NAT)
    if len(nats) != 1 or _hyps(g) or len(g.locals()) != 1:
        return []
    n, concl, unfold = nats[0], g.conclusion.strip(), ""
    m = re.fullmatch(r"Nat\.divide\s+(\d+)\s+(.*)", concl, re.S)
    if m and (_atom(m.group(2), 0) or ("",))[0] == m.group(2).strip():
        c, body, unfold = int(m.group(1)), m.group(2).strip(), "unfold Nat.divide; "
    else:
        m = re.fullmatch(r"\(?\s*exists\s+\(?([A-Za-z_][\w']*)\s*(?::\s*nat\s*)?\)?\s*,\s*(.*?)\)?(?:%nat)?",
                         concl, re.S)
        rel = split_relation(m.group(2)) if m else None
        if not rel or rel[1] != "=":
            return []
        k, c, body = m.group(1), None, None
        for side, other in ((rel[2], rel[0]), (rel[0], rel[2])):
            mk = re.fullmatch(rf"\s*(?:(\d+)\s*\*\s*{re.escape(k)}|{re.escape(k)}\s*\*\s*(\d+))\s*", side)
            if mk:
                c, body = int(mk.group(1) or mk.group(2)), other
        if c is None:
            return []
    p = parse_poly(body, {n})
    if p is None or degree(p, n) < 1 or not c:
        return []
    step = mul(add(shift(p, n), p, -1), {(): Fraction(1, c)})
    base = p.get((), Fraction(0)) / c
    if any(v.denominator != 1 or v < 0 for v in step.values()) or base.denominator != 1 or base < 0:
        return []
    return [f"{unfold}induction {n} as [|{n} IH]; [exists {base}; simpl; lia | destruct IH as [k Hk]; "
            f"exists (k + {render(step)}); simpl in *; nia]."]


def coq_candidates(g: Goal) -> list[str]:
    out: list[str] = []
    texts = [g.conclusion] + [t for _, t in _hyps(g)]
    pins = _pins(g)
    if pins:
        by = {"R": "lra", "Z": "lia", "nat": "lia"}
        asserts = [f"assert ({v} = {_coq_num(q)})%{k} by {by[k]}" for v, q, k in pins]
        out.append("; ".join(asserts) + f"; subst {' '.join(v for v, _, _ in pins)}.")
        out += [a + "." for a in asserts]
    out += _induction_candidates(g) + _root_candidates(g) + _big_nat_candidates(g, texts) + _ln_candidates(texts)
    for steps, closers in _coq_instances(g):
        out += [f"{steps}; {c}." for c in closers] + [f"{steps}."]
    rewrites, roots = _sqrt_facts(g)
    out += rewrites
    if roots:
        facts = "; ".join(f"pose proof (sqrt_pos {a}); try pose proof (sqrt_sqrt {a} ltac:(lra))" for a in roots)
        out += [f"{facts}; nra.", f"{facts}."]
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
    completed = _completed_squares(g, reals)
    if completed:
        out.append("; ".join(f"pose proof (pow2_ge_0 ({t}))" for t in completed) + "; nra.")
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
        if _has_division(t) and (_top_level(t, "=") or _is_relation(t)):
            out.append(f"field_simplify in {name}.")
        elif re.search(r"\^|[\w)]\s*\*\s*[A-Za-z_(]", t) and _top_level(t, "="):
            out.append(f"ring_simplify in {name}.")
    out += _remainder_candidates(g, texts)
    out += _complex_candidates(g)
    if _has_division(g.conclusion):
        rel = split_relation(g.conclusion)
        if rel and rel[1] == "=":  # cross-multiplied, closed with the hypotheses' products
            out += ["field_simplify_eq; try nra; auto.", "field_simplify_eq."]
        out.append("field_simplify.")
    return out


def lean_candidates(g: Goal) -> list[str]:
    out: list[str] = []
    for v, q, _ in _pins(g):
        val = str(q.numerator) if q.denominator == 1 else f"{q.numerator} / {q.denominator}"
        out.append(f"have h{v} : {v} = {val} := by linarith")
    for name, kind, premises in _foralls(g, _REAL + _INT + _NAT):
        if not premises:
            pts = _instance_points(g, name, kind)
            out.append("; ".join(f"have := {name} {k if k >= 0 else f'({k})'}" for k in pts))
    reals = _vars(g, _REAL) + _vars(g, _INT)
    completed = _completed_squares(g, reals)
    if completed:
        out.append("nlinarith [" + ", ".join(f"sq_nonneg ({t})" for t in completed) + "]")
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
        if _has_division(t):
            out.append(f"field_simp at {name}")
        elif "^" in t or "*" in t:
            out.append(f"ring_nf at {name}")
    return out
