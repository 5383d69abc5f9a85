"""Imports the prover may add to a user's file: the tactic libraries installed with Coq.

Real files rarely load the arithmetic decision procedures (a miniF2F-rocq statement imports
``Reals`` or ``ZArith``, nothing more), so ``lia``, ``lra``, ``nia``, ``nra`` and ``field`` are
simply not there. ``qstar prove --imports auto`` puts one line, ``From Coq Require Import Lia Lra
Psatz Field.``, after the file's own imports; the search and the final check run in exactly that
context, and the output file carries the line when a proof was found.

``qstar check --reference`` accepts such added lines and nothing else outside proofs: each added
sentence must be a ``Require``/``Import`` of libraries that ``coqc`` resolves with no argument in
an empty folder (the stdlib, Coquelicot, CoqHammer: what is installed with the prover), never a
file beside the user's source.
"""

from __future__ import annotations

import functools
import re
import tempfile
from pathlib import Path

from agent.proc import run_bounded
from coq_env.sentences import SentenceError, split_sentences, strip_comments

AUTO_LINE = "From Coq Require Import Lia Lra Psatz Field."
_IMPORT = re.compile(r"^(?:From\s+[\w.]+\s+)?(?:Require\s+(?:Import|Export)?|Import|Export)\s+[\w.\s]+\.$")


def import_line(imports: str) -> str:
    """The line ``--imports`` asks for: ``auto``, ``none`` (nothing) or a comma-separated list
    of libraries (``Coq.micromega.Lia,Coquelicot.Coquelicot``)."""
    if imports == "none" or not imports.strip():
        return ""
    if imports == "auto":
        return AUTO_LINE
    names = [n.strip() for n in imports.split(",") if n.strip()]
    if not all(re.fullmatch(r"[A-Za-z_][\w.]*", n) for n in names):
        raise ValueError(f"--imports {imports!r}: auto, none, or library names separated by commas")
    return "Require Import " + " ".join(names) + "."


def is_import(sentence: str) -> bool:
    return bool(_IMPORT.match(" ".join(strip_comments(sentence).split())))


def insert_imports(text: str, line: str) -> str:
    """``text`` with ``line`` on its own line after the file's leading imports (or first)."""
    if not line:
        return text
    end = 0
    try:
        for s in split_sentences(text):
            if not is_import(s.text):
                break
            end = s.end
    except SentenceError:
        return line + "\n" + text
    if end == 0:
        return line + "\n" + text
    nl = text.find("\n", end)
    cut = len(text) if nl < 0 else nl + 1
    prefix = text[:cut] if nl >= 0 else text + "\n"
    return prefix + line + "\n" + text[cut:]


@functools.lru_cache(maxsize=256)
def resolvable(sentence: str, timeout: float = 60.0) -> bool:
    """Does ``coqc``, run with no argument in an empty folder, load this import sentence?"""
    with tempfile.TemporaryDirectory(prefix="qstar-import-") as tmp:
        src = Path(tmp) / "QstarImport.v"
        src.write_text(sentence + "\n", encoding="utf-8")
        done = run_bounded(["coqc", "-q", str(src)], timeout=timeout, cwd=tmp)
        return not done.timed_out and done.returncode == 0
