"""CoqHammer in the portfolio: its ``sauto`` family as cheap candidate tactics, and ``hammer`` (ATP
premise selection, then proof reconstruction) as a one-shot suggestion at the root.

CoqHammer users never leave ``hammer`` in a finished proof: it calls external provers (E, Vampire,
Z3, CVC4), whose answer depends on time and machine, and then prints the reconstruction tactic to
use instead (``hauto use: in_app_iff.``). qstar does the same: :func:`suggest` runs ``hammer`` on
the theorem in a one-shot ``coqc`` under a deadline (its process group killed at the deadline, the
provers with it) and returns the reconstruction tactic, which the search then proposes first at the
root and the kernel checks like any other tactic. A proof that uses it needs only
``From Hammer Require Import Tactics.`` (no plugin, no ATP), which ``--imports auto`` adds.
"""

from __future__ import annotations

import functools
import re
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


def suggest(theorem: Theorem, *, limit: float = 10.0, timeout: float | None = None,
            coqc_args: tuple[str, ...] = ()) -> str | None:
    """The tactic ``hammer`` reconstructs for ``theorem``'s statement in its context, or None when
    the provers find nothing (or the call runs past ``timeout``, default 2 * ``limit`` + 15 s).
    ``limit`` is CoqHammer's ATP time limit in seconds (``Set Hammer ATPLimit``)."""
    limit_s = max(1, int(limit))
    text = (f"{theorem.context.rstrip()}\n{PLUGIN_LINE}\nSet Hammer ATPLimit {limit_s}.\n"
            f"Set Hammer ReconstrLimit {max(1, limit_s // 2)}.\n{theorem.statement.strip()}\n"
            "Proof. hammer. Qed.\n")
    with tempfile.TemporaryDirectory(prefix="qstar-hammer-") as tmp:
        src = Path(tmp) / "QstarHammer.v"
        src.write_text(text, encoding="utf-8")
        done = run_bounded(["coqc", "-q", *coqc_args, str(src)], cwd=tmp,
                           timeout=timeout if timeout is not None else 2 * limit + 15.0)
    if done.timed_out or done.returncode != 0:
        return None
    return reconstruction(done.output)


def reconstruction(output: str) -> str | None:
    """The tactic in CoqHammer's ``Replace the hammer tactic with:`` message, if it printed one."""
    found = _REPLACE.findall(output.replace("\r", ""))
    return " ".join(found[-1].split()) if found else None


def uses_tactics(tactics) -> bool:
    """Might these proof steps need CoqHammer's tactic library (a sauto-family or reconstruction
    tactic)? A ``False`` is only a hint: an output written without the import is checked whole."""
    return any(_HAMMER_WORDS.search(t) for t in tactics)
