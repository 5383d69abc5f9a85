"""CoqHammer in the portfolio: its ``sauto`` family as cheap candidate tactics, and ``hammer`` (ATP
premise selection, then proof reconstruction) as a one-shot suggestion at the root.

CoqHammer users never leave ``hammer`` in a finished proof: it calls external provers (E, Vampire,
Z3, CVC4), whose answer depends on time and machine, and then prints the reconstruction tactic to
use instead (``hauto use: in_app_iff.``). qstar does the same: :func:`suggest` runs ``hammer`` on
the theorem in a one-shot ``coqc`` under a deadline (its process group killed at the deadline, the
provers with it) and returns the reconstruction tactic, then ``hauto``/``sauto use:`` the premises
``predict`` selected; the kernel runs each at the root, in turn, like any other tactic. A proof that uses it needs only
``From Hammer Require Import Tactics.`` (no plugin, no ATP), which ``--imports auto`` adds.
"""

from __future__ import annotations

import functools
import os
import re
import shutil
import tempfile
from pathlib import Path

from agent.env import Theorem
from agent.proc import run_bounded
from coq_env.imports import resolvable

TACTICS_LINE = "From Hammer Require Import Tactics."
"""What a proof with a sauto-family or reconstruction tactic needs."""
PLUGIN_LINE = "From Hammer Require Import Hammer."
"""What the ``hammer`` tactic itself needs (the plugin that calls the provers)."""

SAUTO_TACTICS = ("qauto.", "hauto.", "sauto.", "sfirstorder.")
"""Cheap, no ATP: CoqHammer's sauto family, fast variant first (each ends within its own limits)."""

_HAMMER_WORDS = re.compile(r"\b(?:[shq](?:auto|crush|fcrush|firstorder|congruence|simpl|done|trivial|blast|run|"
                           r"intuition|split|rewriting)|use:|forward_reasoning)")

_REPLACE = re.compile(r"Replace the hammer tactic with:\s*\n\s*(.+?\.)\s*$", re.M)


@functools.lru_cache(maxsize=1)
def installed() -> bool:
    """Is CoqHammer's tactic library installed with Coq (``apt-get install libcoq-hammer``)?"""
    return resolvable(TACTICS_LINE)


PREDICT = 16
"""How many premises ``predict`` is asked for (its k-NN / naive-Bayes selection, no ATP)."""


def suggest(theorem: Theorem, *, limit: float = 10.0, timeout: float | None = None,
            coqc_args: tuple[str, ...] = (), drop: tuple[str, ...] = ()) -> tuple[str, ...]:
    """Tactics CoqHammer offers for ``theorem``'s statement in its context, best first: the
    reconstruction ``hammer`` prints when an ATP (E, CVC4) finds a proof, then ``hauto use:`` and
    ``sauto use:`` with the premises ``predict`` selects (the same selection the ATPs start from,
    for the goals where the ATPs run out of time but a reconstruction tactic needs only the right
    lemmas). Empty when nothing came back (or the call ran past ``timeout``, default 2 * ``limit``
    + 15 s; what ``predict`` printed before the deadline is still used).
    ``limit`` is CoqHammer's ATP time limit in seconds (``Set Hammer ATPLimit``). The context
    lines in ``drop`` are left out of the call: the decision procedures' imports, which hammer's
    premise features do not need and which slow its extraction (with Interval loaded, 26 s became
    89 s on one List lemma here). Every tactic is checked in the full context anyway."""
    limit_s = max(1, int(limit))
    context = "\n".join(ln for ln in theorem.context.rstrip().split("\n") if ln.strip() not in drop)
    text = (f"{context}\n{PLUGIN_LINE}\nSet Hammer ATPLimit {limit_s}.\n"
            f"Set Hammer ReconstrLimit {max(1, limit_s // 2)}.\n{theorem.statement.strip()}\n"
            f"Proof. predict {PREDICT}. hammer. Qed.\n")
    with tempfile.TemporaryDirectory(prefix="qstar-hammer-") as tmp:
        src = Path(tmp) / "QstarHammer.v"
        src.write_text(text, encoding="utf-8")
        done = run_bounded(["coqc", "-q", *coqc_args, str(src)], cwd=tmp, env=_provers_env(),
                           timeout=timeout if timeout is not None else 2 * limit + 15.0)
    return tactics_from(done.output)


def tactics_from(output: str) -> tuple[str, ...]:
    """The tactics in a ``predict; hammer`` call's output: the reconstruction, if any, then the
    ``use:`` calls on the predicted premises, if any."""
    found = reconstruction(output)
    premises = predicted(output)
    use = ", ".join(premises)
    tried = [found] if found else []
    tried += [f"hauto use: {use}.", f"sauto use: {use}."] if premises else []
    return tuple(dict.fromkeys(tried))


def predicted(output: str) -> list[str]:
    """The qualified names ``predict`` printed (the line after ``Extracting features...``)."""
    lines = output.replace("\r", "").split("\n")
    for i, line in enumerate(lines[:-1]):
        if line.strip() == "Extracting features...":
            names = [n.strip() for n in lines[i + 1].split(",")]
            if names and all(_QUALIFIED.fullmatch(n) for n in names):
                return names
    return []


_QUALIFIED = re.compile(r"[A-Za-z_][\w']*(?:\.[A-Za-z_][\w']*)+")


HTIMEOUT_DIRS = ("/usr/libexec/coq-hammer",)
"""Where Debian's libcoq-hammer keeps ``htimeout``, the wrapper CoqHammer runs CVC4 (and Z3)
through; it is not on PATH, and without it every CVC4 call fails (``htimeout: not found``)."""


def _provers_env() -> dict[str, str]:
    env = dict(os.environ)
    extra = [d for d in HTIMEOUT_DIRS if os.path.isfile(os.path.join(d, "htimeout"))]
    if extra and not shutil.which("htimeout"):
        env["PATH"] = os.pathsep.join([*extra, env.get("PATH", "")])
    return env


def reconstruction(output: str) -> str | None:
    """The tactic in CoqHammer's ``Replace the hammer tactic with:`` message, if it printed one."""
    found = _REPLACE.findall(output.replace("\r", ""))
    return " ".join(found[-1].split()) if found else None


def uses_tactics(tactics) -> bool:
    """Might these proof steps need CoqHammer's tactic library (a sauto-family or reconstruction
    tactic)? A ``False`` is only a hint: an output written without the import is checked whole."""
    return any(_HAMMER_WORDS.search(t) for t in tactics)
