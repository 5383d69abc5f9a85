"""A synthetic curriculum of competition-style algebra in Coq, with reference proofs.

The standard library's human proofs teach library style (``apply Nat.le_trans``), not the moves
a competition statement needs: read a function's defining hypothesis into the others, chase a
recurrence, substitute, then close with ``lra`` / ``nra`` / ``lia``. This module writes random
instances of a few such families (exact rational arithmetic, so every statement is true) in two
files:

- ``curriculum.v``: instances *with* a reference proof, for ``qstar trace`` (the kernel replays
  each proof; only proofs that reach ``Proved`` become training steps);
- ``curriculum-suite.jsonl``: other instances, statements only (split ``train``), for the search
  of ``qstar iterate`` to collect on.

The families were written by hand after the kinds of statement that high-school competition
sets contain (function values, linear systems, recurrences, substitution chains); no benchmark
statement is copied, and the numbers are drawn from a seeded generator. The last six (rational
and reciprocal equations, a quadratic's minimum, square roots of perfect squares, absolute-value
inequalities, affine residues mod m) were added after reading which kinds of miniF2F-rocq valid
statement an earlier run missed: that set is also the benchmark, so they are tuned to its kinds
(never its statements), and the README says so. Eleven more (issue 13: multi-step and case
split families: a system solved then substituted into a product, Rmax/Rmin and if on the side a
hypothesis fixes, |x - a| = b, residues of a sum, short sums, square hints, a recurrence read
backwards, an identity's coefficients, divisibility of a sum, solve-then-substitute) follow
the moves the goal-argument candidates write. The reference proofs
vary their style (named or anonymous ``intros``, hypotheses as binders or arrows) so that the
template policy learns the move, not the names.
"""

from __future__ import annotations

import json
import os
import random
from dataclasses import dataclass
from fractions import Fraction

HEADER = "Require Import Reals.\nOpen Scope R_scope.\n"


@dataclass
class SynthConfig:
    """Write the synthetic competition-algebra curriculum (Coq)."""

    out: str
    """Output folder: curriculum.v (with proofs) and curriculum-suite.jsonl (statements)."""
    proved: int = 400
    """Instances with a reference proof (for trace)."""
    open: int = 200
    """Instances without proof (the train suite of iterate)."""
    seed: int = 0
    """Generator seed."""
    families: int = 0
    """Only the first N families (0: all 26); 15 gives the curriculum the README's learning runs
    used (the eleven newest came after them)."""


def num(q: Fraction | int) -> str:
    """A Coq R literal for a rational."""
    q = Fraction(q)
    s = str(abs(q.numerator)) if q.denominator == 1 else f"{abs(q.numerator)} / {q.denominator}"
    if q < 0:
        return f"(- {s})" if q.denominator == 1 else f"(- ({s}))"
    return s if q.denominator == 1 else f"({s})"


def poly(terms: list[tuple[int | Fraction, str]]) -> str:
    """Coefficient-monomial pairs as a competition statement writes them: ``3 * x ^ 2 - x + 4``."""
    out = ""
    for c, mono in terms:
        c = Fraction(c)
        if c == 0:
            continue
        mag = num(abs(c))
        body = mono if (abs(c) == 1 and mono) else (f"{mag} * {mono}" if mono else mag)
        out += (" - " if c < 0 else " + ") + body if out else ("- " if c < 0 else "") + body
    return out or "0"


def _ints(rng: random.Random, k: int, lo: int = -9, hi: int = 9, nonzero: bool = False) -> list[int]:
    out: list[int] = []
    while len(out) < k:
        v = rng.randint(lo, hi)
        if (nonzero and v == 0) or v in out:
            continue
        out.append(v)
    return out


def _intro(rng: random.Random, names: list[str]) -> tuple[str, list[str]]:
    """``intros a b h0.`` with the given names, or bare ``intros.`` (Coq then names the
    hypotheses H, H0, H1, ... and keeps the binders' names)."""
    if rng.random() < 0.5:
        return f"intros {' '.join(names)}.", names
    auto, k = [], 0
    for n in names:
        if n.startswith("h"):
            auto.append("H" if k == 0 else f"H{k - 1}")
            k += 1
        else:
            auto.append(n)
    return "intros.", auto


def linear_two_points(rng, name):
    a, b = _ints(rng, 1, nonzero=True)[0], rng.randint(-9, 9)
    c1, c2, c3 = _ints(rng, 3, -6, 6)
    d = [a * c + b for c in (c1, c2, c3)]
    stmt = (f"Theorem {name} : forall (a b : R) (f : R -> R), (forall x, f x = a * x + b) -> "
            f"f {num(c1)} = {num(d[0])} -> f {num(c2)} = {num(d[1])} -> f {num(c3)} = {num(d[2])}.")
    intro, (_, _, _, h0, h1, h2) = _intro(rng, ["a", "b", "f", "h0", "h1", "h2"])
    return stmt, [intro, f"rewrite {h0} in {h1}.", f"rewrite {h0} in {h2}.", f"rewrite {h0}.", "lra."]


def quadratic_parameter(rng, name):
    p, q = _ints(rng, 2, nonzero=True)
    k, u = rng.randint(-20, 20), rng.randint(-4, 4)
    v = p * u * u + q * u + k
    stmt = (f"Theorem {name} : forall (k : R) (f : R -> R), (forall x, f x = {poly([(p, 'x ^ 2'), (q, 'x')])} + k) -> "
            f"f {num(u)} = {num(v)} -> k = {num(k)}.")
    intro, (_, _, h0, h1) = _intro(rng, ["k", "f", "h0", "h1"])
    return stmt, [intro, f"rewrite {h0} in {h1}.", "lra."]


def composition(rng, name):
    a, c = _ints(rng, 2, -5, 5, nonzero=True)
    b, d, u = rng.randint(-9, 9), rng.randint(-9, 9), rng.randint(-4, 4)
    g_of_u = c * u * u + d
    v = a * g_of_u + b
    binders = rng.random() < 0.5
    if binders:
        stmt = (f"Theorem {name} (f g : R -> R) (h0 : forall x, f x = {poly([(a, 'x'), (b, '')])}) "
                f"(h1 : forall x, g x = {poly([(c, 'x ^ 2'), (d, '')])}) : f (g {num(u)}) = {num(v)}.")
        return stmt, ["rewrite h0.", "rewrite h1.", "lra."]
    stmt = (f"Theorem {name} : forall (f g : R -> R), (forall x, f x = {poly([(a, 'x'), (b, '')])}) -> "
            f"(forall x, g x = {poly([(c, 'x ^ 2'), (d, '')])}) -> f (g {num(u)}) = {num(v)}.")
    intro, (_, _, h0, h1) = _intro(rng, ["f", "g", "h0", "h1"])
    return stmt, [intro, f"rewrite {h0}.", f"rewrite {h1}.", "lra."]


def solve_for_x(rng, name):
    a = _ints(rng, 1, nonzero=True)[0]
    b, c = rng.randint(-12, 12), rng.randint(-12, 12)
    x = Fraction(c - b, a)
    stmt = (f"Theorem {name} : forall (x : R) (f : R -> R), (forall t, f t = {poly([(a, 't'), (b, '')])}) -> "
            f"f x = {num(c)} -> x = {num(x)}.")
    intro, (_, _, h0, h1) = _intro(rng, ["x", "f", "h0", "h1"])
    return stmt, [intro, f"rewrite {h0} in {h1}.", "lra."]


def recurrence(rng, name):
    c = rng.randint(1, 3)
    s0, s1 = rng.randint(-5, 5), rng.randint(-5, 5)
    s = [s0, s1]
    for _ in range(3):
        s.append(s[-1] + c * s[-2])
    stmt = (f"Theorem {name} : forall (s : nat -> R), (forall n, s (S (S n)) = {poly([(1, 's (S n)'), (c, 's n')])}) -> "
            f"s 0%nat = {num(s0)} -> s 1%nat = {num(s1)} -> s 4%nat = {num(s[4])}.")
    intro, (_, h0, h1, h2) = _intro(rng, ["s", "h0", "h1", "h2"])
    return stmt, [intro, f"rewrite !{h0}.", f"rewrite {h1}, {h2}.", "lra."]


def substitution(rng, name):
    a, b, c, d = (rng.randint(-9, 9) for _ in range(4))
    y = b * a + c
    z = y - d * a
    stmt = (f"Theorem {name} : forall x y z : R, x = {num(a)} -> y = {poly([(b, 'x'), (c, '')])} -> "
            f"z = {poly([(1, 'y'), (-d, 'x')])} -> z = {num(z)}.")
    intro, _ = _intro(rng, ["x", "y", "z", "h0", "h1", "h2"])
    return stmt, [intro, "subst.", "lra."]


def _system(rng, span: int, coef: int) -> tuple[int, int, str]:
    """(x, y, two independent linear equations they satisfy, as hypotheses ``e1 -> e2 ->``)."""
    x, y = rng.randint(-span, span), rng.randint(-span, span)
    while True:
        a1, b1, a2, b2 = (rng.randint(-coef, coef) for _ in range(4))
        if a1 * b2 - a2 * b1 != 0:
            break
    e1, e2 = a1 * x + b1 * y, a2 * x + b2 * y
    return x, y, (f"{poly([(a1, 'x'), (b1, 'y')])} = {num(e1)} -> "
                  f"{poly([(a2, 'x'), (b2, 'y')])} = {num(e2)} ->")


def linear_system(rng, name):
    x, y, hyps = _system(rng, 9, 5)
    stmt = f"Theorem {name} : forall x y : R, {hyps} x = {num(x)} /\\ y = {num(y)}."
    intro, _ = _intro(rng, ["x", "y", "h0", "h1"])
    return stmt, [intro, "split.", "- lra.", "- lra."]


def nat_function(rng, name):
    a, b, c = rng.randint(1, 9), rng.randint(0, 20), rng.randint(0, 12)
    stmt = (f"Theorem {name} : forall (f : nat -> nat), (forall n, f n = ({a} * n + {b})%nat) -> "
            f"f {c}%nat = {a * c + b}%nat.")
    intro, (_, h0) = _intro(rng, ["f", "h0"])
    return stmt, [intro, f"rewrite {h0}.", "reflexivity."]


def two_values_quadratic(rng, name):
    a = _ints(rng, 1, -4, 4, nonzero=True)[0]
    b = rng.randint(-9, 9)
    c1, c2 = _ints(rng, 2, 0, 4)
    while c1 * c1 == c2 * c2:
        c1, c2 = _ints(rng, 2, 0, 4)
    d1, d2 = a * c1 * c1 + b, a * c2 * c2 + b
    stmt = (f"Theorem {name} : forall (a b : R) (f : R -> R), (forall x, f x = a * x ^ 2 + b) -> "
            f"f {num(c1)} = {num(d1)} -> f {num(c2)} = {num(d2)} -> a = {num(a)} /\\ b = {num(b)}.")
    intro, (_, _, _, h0, h1, h2) = _intro(rng, ["a", "b", "f", "h0", "h1", "h2"])
    return stmt, [intro, f"rewrite {h0} in {h1}.", f"rewrite {h0} in {h2}.", "split; lra."]


def rational_equation(rng, name):
    a = rng.randint(-6, 6)
    v = rng.choice([t for t in range(-9, 10) if t != a])
    c = rng.choice([t for t in range(-5, 6) if t not in (0, 1)])
    b = c * (v - a) - v  # (v + b) / (v - a) = c
    stmt = (f"Theorem {name} : forall x : R, x <> {num(a)} -> ({poly([(1, 'x'), (b, '')])}) / "
            f"({poly([(1, 'x'), (-a, '')])}) = {num(c)} -> x = {num(v)}.")
    intro, (_, _, h1) = _intro(rng, ["x", "h0", "h1"])
    return stmt, [intro, f"field_simplify_eq in {h1}; lra."]


def reciprocal_equation(rng, name):
    p = _ints(rng, 1, -6, 6, nonzero=True)[0]
    v = _ints(rng, 1, -6, 6, nonzero=True)[0]
    q = rng.randint(-9, 9)
    r = p * v + q  # p + q / v = r / v
    stmt = (f"Theorem {name} : forall x : R, x <> 0 -> {num(p)} + {num(q)} / x = {num(r)} / x -> x = {num(v)}.")
    intro, (_, _, h1) = _intro(rng, ["x", "h0", "h1"])
    return stmt, [intro, f"field_simplify_eq in {h1}; lra."]


def square_lower_bound(rng, name):
    a, b, c = rng.randint(1, 4), rng.randint(-9, 9), rng.randint(-9, 9)
    vertex = Fraction(-b, 2 * a)
    low = c - Fraction(b * b, 4 * a)  # a x^2 + b x + c = a (x - vertex)^2 + low
    stmt = (f"Theorem {name} : forall x y : R, y = {poly([(a, 'x ^ 2'), (b, 'x'), (c, '')])} -> "
            f"{num(low)} <= y.")
    intro, (_, _, h0) = _intro(rng, ["x", "y", "h0"])
    hint = f"({poly([(1, 'x'), (-vertex, '')])}) ^ 2"
    return stmt, [intro, f"assert (0 <= {hint}) by apply pow2_ge_0.", "nra."]


def sqrt_of_squares(rng, name):
    k = rng.randint(1, 4)
    a, b, c = rng.choice([(3, 4, 5), (5, 12, 13), (8, 15, 17), (6, 8, 10)])
    a, b, c = a * k, b * k, c * k
    stmt = (f"Theorem {name} : forall x y : R, x = {a} -> y = {b} -> sqrt (x ^ 2 + y ^ 2) = {c}.")
    intro, (_, _, h0, h1) = _intro(rng, ["x", "y", "h0", "h1"])
    return stmt, [intro, f"rewrite {h0}, {h1}.", f"replace ({a} ^ 2 + {b} ^ 2) with ({c} * {c}) by lra.",
                  "apply sqrt_square.", "lra."]


def abs_inequality(rng, name):
    a, c = rng.randint(1, 4), rng.randint(1, 9)
    b = rng.randint(-9, 9)
    lo, hi = Fraction(-c - b, a), Fraction(c - b, a)
    stmt = (f"Theorem {name} : forall x : R, Rabs ({poly([(a, 'x'), (b, '')])}) < {num(c)} -> "
            f"{num(lo)} < x /\\ x < {num(hi)}.")
    intro, (_, h0) = _intro(rng, ["x", "h0"])
    return stmt, [intro, f"unfold Rabs in {h0}.", f"destruct (Rcase_abs _) in {h0}; split; lra."]


def nat_mod_affine(rng, name):
    m = rng.randint(3, 19)
    r, a, b = rng.randint(0, m - 1), rng.randint(2, 12), rng.randint(0, 20)
    v = (a * r + b) % m
    if b:
        stmt = (f"Theorem {name} : forall n : nat, (n mod {m} = {r})%nat -> "
                f"(({a} * n + {b}) mod {m} = {v})%nat.")
        rewrites = "rewrite Nat.add_mod, Nat.mul_mod, {h} by lia."
    else:
        stmt = f"Theorem {name} : forall n : nat, (n mod {m} = {r})%nat -> (({a} * n) mod {m} = {v})%nat."
        rewrites = "rewrite Nat.mul_mod, {h} by lia."
    intro, (_, h0) = _intro(rng, ["n", "h0"])
    return stmt, [intro, rewrites.format(h=h0), "reflexivity."]


def system_then_product(rng, name):
    """Solve a linear system, substitute, evaluate a non-linear expression."""
    x, y, hyps = _system(rng, 6, 4)
    stmt = f"Theorem {name} : forall x y : R, {hyps} x * y + x ^ 2 = {num(x * y + x * x)}."
    intro, _ = _intro(rng, ["x", "y", "h0", "h1"])
    return stmt, [intro, f"assert (x = {num(x)}) by lra.", f"assert (y = {num(y)}) by lra.", "subst x y.", "nra."]


def max_min_case(rng, name):
    """Rmax / Rmin of a variable and a constant, on a side the hypothesis fixes."""
    c, a = rng.randint(-9, 9), rng.randint(1, 5)
    fn, below = rng.choice((("Rmax", True), ("Rmax", False), ("Rmin", True), ("Rmin", False)))
    hyp = f"x < {num(c)}" if below else f"{num(c)} < x"
    pick = {("Rmax", True): num(c), ("Rmax", False): "x", ("Rmin", True): "x", ("Rmin", False): num(c)}[(fn, below)]
    stmt = f"Theorem {name} : forall x : R, {hyp} -> {fn} x {num(c)} + {a} = {pick} + {a}."
    intro, _ = _intro(rng, ["x", "h0"])
    return stmt, [intro, f"unfold {fn}.", f"destruct (Rle_dec x {num(c)}); lra."]


def abs_equation(rng, name):
    """|x - a| = b on the side a hypothesis fixes."""
    a, b = rng.randint(-9, 9), rng.randint(1, 9)
    right = rng.random() < 0.5
    hyp, val = (f"{num(a)} < x", a + b) if right else (f"x < {num(a)}", a - b)
    stmt = f"Theorem {name} : forall x : R, {hyp} -> Rabs ({poly([(1, 'x'), (-a, '')])}) = {num(b)} -> x = {num(val)}."
    intro, (_, _, h1) = _intro(rng, ["x", "h0", "h1"])
    return stmt, [intro, f"unfold Rabs in {h1}.", f"destruct (Rcase_abs _) in {h1}; lra."]


def mod_sum(rng, name):
    """Residues of a sum from the summands' residues."""
    m = rng.randint(3, 17)
    r1, r2 = rng.randint(0, m - 1), rng.randint(0, m - 1)
    stmt = (f"Theorem {name} : forall a b : nat, (a mod {m} = {r1})%nat -> (b mod {m} = {r2})%nat -> "
            f"((a + b) mod {m} = {(r1 + r2) % m})%nat.")
    intro, (_, _, h0, h1) = _intro(rng, ["a", "b", "h0", "h1"])
    return stmt, [intro, f"rewrite Nat.add_mod, {h0}, {h1} by lia.", "reflexivity."]


def finite_sum(rng, name):
    """A short sum of an affine term, computed."""
    a, b, n = rng.randint(-5, 5), rng.randint(-5, 5), rng.randint(1, 4)
    total = sum(a * k + b for k in range(n + 1))
    stmt = f"Theorem {name} : sum_f_R0 (fun k => {num(a)} * INR k + {num(b)}) {n} = {num(total)}."
    return stmt, ["simpl.", "lra."]


def square_hint(rng, name):
    """An inequality that needs a square as nra's hint: c (a^2 + b^2) >= 2 c a b."""
    c, k = rng.randint(1, 5), rng.randint(1, 3)
    stmt = (f"Theorem {name} : forall a b : R, {c} * a ^ 2 + {c * k * k} * b ^ 2 >= {2 * c * k} * a * b.")
    intro, _ = _intro(rng, ["a", "b"])
    return stmt, [intro, f"pose proof (pow2_ge_0 (a - {k} * b)).", "nra."]


def recurrence_backward(rng, name):
    """A recurrence read backwards: instances at the indices between the ones given."""
    c = rng.randint(1, 3)
    s = [rng.randint(-5, 5), rng.randint(-5, 5)]
    for _ in range(5):
        s.append(s[-1] + c * s[-2])
    stmt = (f"Theorem {name} (s : nat -> R) (h0 : forall n : nat, s (S (S n)) = {poly([(1, 's (S n)'), (c, 's n')])}) "
            f"(h1 : s 6%nat = {num(s[6])}) (h2 : s 4%nat = {num(s[4])}) : s 2%nat = {num(s[2])}.")
    return stmt, ["pose proof (h0 2%nat).", "pose proof (h0 3%nat).", "pose proof (h0 4%nat).", "lra."]


def identity_coefficients(rng, name):
    """Coefficients of an identity in x, from its instances at 0 and 1."""
    p, q = rng.randint(-9, 9), rng.randint(-9, 9)
    stmt = (f"Theorem {name} : forall a b : R, (forall x : R, a * x + b = {poly([(p, 'x'), (q, '')])}) -> "
            f"a = {num(p)} /\\ b = {num(q)}.")
    intro, (_, _, h0) = _intro(rng, ["a", "b", "h0"])
    return stmt, [intro, f"pose proof ({h0} 0).", f"pose proof ({h0} 1).", "split; lra."]


def if_case(rng, name):
    """A definition by cases, on the side a hypothesis fixes."""
    c, a = rng.randint(-9, 9), rng.randint(1, 9)
    below = rng.random() < 0.5
    hyp, res = (f"x < {num(c)}", f"x + {a}") if below else (f"{num(c)} < x", f"x - {a}")
    stmt = (f"Theorem {name} : forall x : R, {hyp} -> "
            f"(if Rlt_dec x {num(c)} then x + {a} else x - {a}) = {res}.")
    intro, _ = _intro(rng, ["x", "h0"])
    return stmt, [intro, f"destruct (Rlt_dec x {num(c)}); lra."]


def nat_divides(rng, name):
    """A common factor divides a sum."""
    k = rng.randint(2, 9)
    stmt = f"Theorem {name} : forall n m : nat, Nat.divide {k} ({k} * n + {k} * m)%nat."
    intro, _ = _intro(rng, ["n", "m"])
    return stmt, [intro, "exists (n + m)%nat.", "ring."]


def solve_then_substitute(rng, name):
    """Solve a linear equation, then evaluate a quadratic at the solution."""
    a = _ints(rng, 1, -5, 5, nonzero=True)[0]
    x, b = rng.randint(-6, 6), rng.randint(-9, 9)
    c, d = rng.randint(-5, 5), rng.randint(-9, 9)
    stmt = (f"Theorem {name} : forall x : R, {poly([(a, 'x'), (b, '')])} = {num(a * x + b)} -> "
            f"{poly([(1, 'x ^ 2'), (c, 'x'), (d, '')])} = {num(x * x + c * x + d)}.")
    intro, _ = _intro(rng, ["x", "h0"])
    return stmt, [intro, f"assert (x = {num(x)}) by lra.", "subst x.", "nra."]


FAMILIES = (linear_two_points, quadratic_parameter, composition, solve_for_x, recurrence,
            substitution, linear_system, nat_function, two_values_quadratic, rational_equation,
            reciprocal_equation, square_lower_bound, sqrt_of_squares, abs_inequality, nat_mod_affine,
            system_then_product, max_min_case, abs_equation, mod_sum, finite_sum, square_hint,
            recurrence_backward, identity_coefficients, if_case, nat_divides, solve_then_substitute)


def instances(n: int, rng: random.Random, prefix: str, families: int = 0):
    """n (family, name, statement, proof) rows, families in turn (the first ``families``; 0: all)."""
    fams = FAMILIES[:families] if families > 0 else FAMILIES
    for i in range(n):
        fam = fams[i % len(fams)]
        name = f"{prefix}_{fam.__name__}_{i}"
        stmt, proof = fam(rng, name)
        yield fam.__name__, name, stmt, proof


def write_curriculum(cfg: SynthConfig) -> dict:
    from agent.io import atomic_write, write_jsonl
    os.makedirs(cfg.out, exist_ok=True)
    rng = random.Random(cfg.seed)
    lines = [HEADER.replace("Reals.", "Reals Lra Lia.")]
    for _, _, stmt, proof in instances(cfg.proved, rng, "syn", cfg.families):
        lines += [stmt, "Proof.", *("  " + t for t in proof), "Qed.", ""]
    atomic_write(os.path.join(cfg.out, "curriculum.v"), "\n".join(lines))
    rows = [{"name": name, "split": "train", "family": fam, "header": HEADER, "formal_statement": stmt}
            for fam, name, stmt, _ in instances(cfg.open, rng, "open", cfg.families)]
    write_jsonl(os.path.join(cfg.out, "curriculum-suite.jsonl"), rows)
    atomic_write(os.path.join(cfg.out, "synth_config.json"), json.dumps(cfg.__dict__, indent=2) + "\n")
    return {"proved": cfg.proved, "open": cfg.open,
            "families": min(cfg.families, len(FAMILIES)) if cfg.families > 0 else len(FAMILIES)}
