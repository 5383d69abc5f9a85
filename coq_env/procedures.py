"""Coq's decision procedures beyond ``lia``/``lra``/``nia``/``nra``, and what each needs here.

- ``psatz R d`` / ``psatz Z d`` (micromega's Positivstellensatz search, in ``Psatz``, which
  ``--imports auto`` already loads) calls the external CSDP solver (``apt-get install
  coinor-csdp``) while the tactic runs, and again in the final check's fresh ``coqc``: Coq 8.16
  keeps no certificate cache a fresh process reads. So a proof with ``psatz`` checks only where
  ``csdp`` is on PATH, and ``qstar check`` says so in one line where it is not.
- ``nsatz`` (Gröbner bases over an integral domain, in the stdlib) is loaded with ``Require``
  alone and called by its qualified name: ``Require Import Nsatz`` rebinds ``pow``, ``seq``,
  ``In``, ``map`` and the notations ``*``, ``-``, ``^``, ``==`` (its generic ring syntax), which
  would change what a user's statement means.
- ``interval`` (Coq.Interval, ``apt-get install libcoq-interval``) proves bounds on real
  expressions with ``sqrt``, ``ln``, ``exp``, ``Rpower``, ``cos``, ``PI``, ... by interval
  arithmetic; its ``Import`` binds no name a stdlib statement uses (``tests`` and
  ``coq_env.imports.meaning_changes`` check that on each user's file).
"""

from __future__ import annotations

import functools
import re
import shutil
from dataclasses import dataclass, replace

from coq_env.imports import resolvable

NSATZ_LINE = "From Coq Require Nsatz."
INTERVAL_LINE = "From Interval Require Import Tactic."
_INTERVAL_REQUIRE, _INTERVAL_MODULE = "From Interval Require Tactic.", "Interval.Tactic"

INTERVAL_FUNCTIONS = re.compile(r"(?<![\w'.])(?:sqrt|ln|exp|Rpower|cos|sin|tan|atan|PI|Rabs|powerRZ|Rsqr|"
                                r"sinh|cosh|tanh|asin|acos)(?![\w'])")
"""The real functions ``interval`` bounds (a goal without one is lra's, nra's or psatz's)."""
_PSATZ = re.compile(r"(?<![\w'.])psatz(?![\w'])")
_NSATZ = re.compile(r"NsatzTactic\.|(?<![\w'.])nsatz(?![\w'])")
_INTERVAL = re.compile(r"(?<![\w'.])interval(?:_intro)?(?![\w'])")


@dataclass(frozen=True)
class Procedures:
    """Which of the procedures can run on this machine."""

    psatz: bool = False
    nsatz: bool = False
    interval: bool = False

    def lines(self) -> list[str]:
        """The import lines the available procedures need (psatz's is in ``--imports auto``)."""
        return [line for on, line in ((self.nsatz, NSATZ_LINE), (self.interval, INTERVAL_LINE)) if on]

    def any(self) -> bool:
        return self.psatz or self.nsatz or self.interval

    def fitting(self, text: str) -> "Procedures":
        """These, less ``interval`` when ``text`` (a statement, a goal, a file) names no function it
        bounds: its library takes 0.5 s to load, paid by every prover start and check."""
        return self if not self.interval or INTERVAL_FUNCTIONS.search(text) else replace(self, interval=False)


NONE = Procedures()


@functools.lru_cache(maxsize=1)
def available() -> Procedures:
    """What this machine has: CSDP on PATH, the stdlib's nsatz, Coq.Interval installed."""
    return Procedures(psatz=csdp_installed(), nsatz=resolvable(NSATZ_LINE),
                      interval=resolvable(INTERVAL_LINE))


def csdp_installed() -> bool:
    return shutil.which("csdp") is not None


def uses_psatz(tactics) -> bool:
    return any(_PSATZ.search(t) for t in tactics)


def line_used(line: str, tactics) -> bool:
    """Might these steps need ``line`` (one of this module's import lines)? A ``False`` is only
    a hint: an output written without the line is checked whole before it is kept."""
    pattern = {NSATZ_LINE: _NSATZ, INTERVAL_LINE: _INTERVAL}.get(line)
    return pattern is not None and any(pattern.search(t) for t in tactics)


def unused_dropped(context: str, tactics) -> str:
    """``context`` without this module's import lines the proof steps do not use (a check then
    does not pay the 0.5 s Coq.Interval takes to load, on every proof of a run): the lines as
    ``--imports`` adds them, or split into a Require and the module in an ``Import`` above the
    theorem (``coq_env.imports.split_line``)."""
    interval = line_used(INTERVAL_LINE, tactics)
    out = []
    for ln in context.split("\n"):
        t = ln.strip()
        if t == NSATZ_LINE and not line_used(NSATZ_LINE, tactics) or \
                t in (INTERVAL_LINE, _INTERVAL_REQUIRE) and not interval:
            continue
        if not interval and t.startswith("Import ") and f" {_INTERVAL_MODULE}" in t:
            rest = [m for m in t[len("Import "):-1].split() if m != _INTERVAL_MODULE]
            ln = "Import " + " ".join(rest) + "." if rest else ""
        out.append(ln)
    kept = "\n".join(out)
    return kept if kept != context else context


CSDP_MISSING = ("uses psatz, which calls the CSDP solver, and csdp is not on PATH here "
                "(apt-get install coinor-csdp, or run scripts/setup.sh): not checked")


def unmet(text: str) -> str | None:
    """Why a file cannot be checked on this machine (a proof uses psatz and CSDP is missing), or None."""
    if csdp_installed():
        return None
    from coq_env.files import parse_coq_file
    names = [d.name for d in parse_coq_file(text) if uses_psatz([d.body])]
    if not names:
        return None
    more = f" (and {len(names) - 1} more)" if len(names) > 1 else ""
    return f"the proof of {names[0]}{more} {CSDP_MISSING}"
