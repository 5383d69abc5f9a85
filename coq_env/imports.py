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
import os
import re
import tempfile
from pathlib import Path

from agent.proc.cache import cached_json
from agent.proc import run_bounded
from coq_env.sentences import SentenceError, split_sentences, strip_comments

AUTO_LINE = "From Coq Require Import Lia Lra Psatz Field."
_IMPORT = re.compile(r"^(?:From\s+[\w.]+\s+)?(?:Require(?:\s+(?:Import|Export))?|Import|Export)\s+[\w.\s]+\.$")


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


# The modules ``--imports auto`` loads, by their full names: an ``Import`` placed in the middle of
# a user's file must not resolve a short name to a module of the user's own.
_QUALIFIED = {("Coq", "Lia"): "Coq.micromega.Lia", ("Coq", "Lra"): "Coq.micromega.Lra",
              ("Coq", "Psatz"): "Coq.micromega.Psatz", ("Coq", "Field"): "Coq.setoid_ring.Field",
              ("Hammer", "Tactics"): "Hammer.Tactics.Tactics", ("Interval", "Tactic"): "Interval.Tactic"}
_REQUIRE_IMPORT = re.compile(r"^(?:From\s+([\w.]+)\s+)?Require\s+(?:Import|Export)\s+([\w.\s]+)\.$")


def split_line(line: str) -> tuple[str, str]:
    """``line`` (the imports ``--imports`` adds, one sentence a line) as (its ``Require``
    sentences, without ``Import``; one ``Import`` sentence of their modules, by full name).

    The first go after the file's own leading imports: loading a library without importing it
    binds no name and no notation, so every later sentence of the user's means what it meant.
    The second goes right above a theorem whose proof needs the tactics (``with_proofs``,
    ``context_in_order``): it changes nothing before it, in an open section too."""
    requires, modules = [], []
    for ln in (x.strip() for x in line.splitlines()):
        m = _REQUIRE_IMPORT.match(" ".join(ln.split()))
        if m is None:
            if ln:
                requires.append(ln)  # already a plain Require (Nsatz: called by its qualified name)
            continue
        prefix, names = m.group(1), m.group(2).split()
        requires.append((f"From {prefix} " if prefix else "") + "Require " + " ".join(names) + ".")
        modules += [_QUALIFIED.get((prefix, n), n) for n in names]
    return "\n".join(requires), ("Import " + " ".join(dict.fromkeys(modules)) + "." if modules else "")


def is_import(sentence: str) -> bool:
    return bool(_IMPORT.match(" ".join(strip_comments(sentence).split())))


def leading_imports(text: str) -> str:
    """The file's text up to the end of its leading import sentences ("" when it has none)."""
    end = 0
    try:
        for s in split_sentences(text):
            if not is_import(s.text):
                break
            end = s.end
    except SentenceError:
        return ""
    return text[:end]


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


class _NoAnswer(Exception):
    """coqc ran past its deadline: no answer to keep."""


@functools.lru_cache(maxsize=256)
def resolvable(sentence: str, timeout: float = 60.0) -> bool:
    """Does ``coqc``, run with no argument in an empty folder, load this import sentence? Kept on
    disk by Coq's version and the installed libraries (a library installed since is a new key)."""
    def compute() -> bool:
        with tempfile.TemporaryDirectory(prefix="qstar-import-") as tmp:
            src = Path(tmp) / "QstarImport.v"
            src.write_text(sentence + "\n", encoding="utf-8")
            done = run_bounded(["coqc", "-q", str(src)], timeout=timeout, cwd=tmp)
            if done.timed_out:
                raise _NoAnswer
            return done.returncode == 0
    try:
        return cached_json("resolvable", [sentence, _coq_version(), _installed()], compute)
    except _NoAnswer:
        return False


def _installed() -> list:
    """The installed Coq libraries, as a fingerprint: each folder of user-contrib with its time."""
    from agent.backends import coq_user_contrib
    root = coq_user_contrib()
    try:
        return sorted((e.name, e.stat().st_mtime_ns) for e in os.scandir(root) if e.is_dir())
    except OSError:
        return []


_KEYWORDS = frozenset("""
    forall fun let in if then else match with end as return exists exists2 fix cofix struct where
    Type Set Prop SProp Theorem Lemma Remark Fact Corollary Proposition Example Definition
    Fixpoint CoFixpoint Inductive CoInductive Record Structure Variable Variables Hypothesis
    Hypotheses Parameter Parameters Axiom Axioms Conjecture Section End Module Require Import
    Export From Open Close Scope Local Global Notation Infix Proof Qed Defined Admitted
    Arguments Implicit Let Context Instance Class Existing Hint Ltac Tactic Check Compute Eval
""".split())
_IDENT = re.compile(r"(?<![\w'.])[A-Za-z_][\w']*(?:\.[A-Za-z_][\w']*)*")
_SYMBOL = re.compile(r"[^\w\s()\[\]{}'.,;\"%@`]+")
_SEPARATOR = "Check tt."


def meaning_changes(context: str, lines: list[str], text: str, *, timeout: float = 120.0,
                    coq_args: tuple[str, ...] = ()) -> list[str]:
    """The names and notations of ``text`` whose meaning loading ``lines`` after ``context`` (a
    file's leading imports) would change: a name that then refers to another constant
    (``Require Import Nsatz`` makes ``pow`` its ring's power, not ``Rpow_def.pow``), or a
    notation with another interpretation. An added import must change none, or the statement a
    proof is checked against would not be the user's. Names the context leaves unbound are not
    compared (a statement using one does not compile without the import either way)."""
    body = strip_comments(text)
    names = sorted({m.group(0) for m in _IDENT.finditer(body)} - _KEYWORDS)
    symbols = sorted({m.group(0) for m in _SYMBOL.finditer(body)})
    return list(_meaning_changes(context, tuple(lines), tuple(names), tuple(symbols), timeout, coq_args))


@functools.lru_cache(maxsize=64)
def _meaning_changes(context: str, lines: tuple[str, ...], names: tuple[str, ...],
                     symbols: tuple[str, ...], timeout: float, coq_args: tuple[str, ...]) -> tuple[str, ...]:
    if not lines or not (names or symbols):
        return ()
    key = [_coq_version(), context, lines, names, symbols, coq_args]
    return tuple(cached_json("meaning", key, lambda: list(_compare(context, lines, names, symbols, timeout,
                                                                   coq_args))))


@functools.lru_cache(maxsize=1)
def _coq_version() -> str:
    done = run_bounded(["coqc", "--version"], timeout=60.0)
    return done.output.strip()


def _compare(context: str, lines: tuple[str, ...], names: tuple[str, ...], symbols: tuple[str, ...],
             timeout: float, coq_args: tuple[str, ...]) -> tuple[str, ...]:
    queries = [f"Locate {n}." for n in names] + [f'Locate "{s}".' for s in symbols]
    before = _locate_all(context, queries, timeout, coq_args)
    after = _locate_all(context.rstrip() + "\n" + "\n".join(lines), queries, timeout, coq_args)
    changed = []
    for q, a, b in zip(queries, before, after):
        token = q[len("Locate "):-1]
        if token.startswith('"'):
            if a.strip() != b.strip():
                changed.append(token)
        elif _referent(a) is not None and _referent(a) != _referent(b):
            changed.append(token)
    return tuple(changed)


def _locate_all(context: str, queries: list[str], timeout: float, coq_args: tuple[str, ...]) -> list[str]:
    """Each query's answer after ``context``, from one ``coqtop`` reading them on stdin (an
    unknown name or notation answers with an error and the next query runs)."""
    script = context.rstrip() + "\n" + "".join(f"{_SEPARATOR}\n{q}\n" for q in queries) + _SEPARATOR + "\n"
    with tempfile.TemporaryDirectory(prefix="qstar-locate-") as tmp:
        path = Path(tmp) / "queries.v"
        path.write_text(script, encoding="utf-8")
        done = run_bounded(["coqtop", "-q", *coq_args], timeout=timeout, cwd=tmp, stdin_path=str(path))
    parts = re.sub(r"(?m)^(?:Coq < )+", "", done.output).split("tt\n     : unit")
    if done.timed_out or len(parts) != len(queries) + 2:
        raise RuntimeError("cannot compare the meaning of names with and without the added imports "
                           f"(coqtop {'timed out' if done.timed_out else 'answered out of step'})")
    return parts[1:-1]


def _referent(answer: str) -> str | None:
    """What a bare name refers to in ``Locate``'s answer: its first object that needs no
    longer name (None when the name is unbound)."""
    entries: list[list] = []
    for ln in answer.splitlines():
        if not ln.strip():
            continue
        if not ln.startswith(" "):
            entries.append([ln.strip(), False])
        elif "shorter name" in ln and entries:
            entries[-1][1] = True
    found = [e for e, longer in entries if not longer and not e.startswith("No object")]
    return found[0] if found else None


_REQUIRE = re.compile(r"^(?:From\s+[\w.]+\s+)?Require\b")


def imports_unbuilt(text: str, coq_args: tuple[str, ...] = (), timeout: float = 120.0) -> str:
    """Coq's error when the ``Require`` sentences of ``text`` (a user's file) do not load with
    ``coq_args`` ("" when they load, or when there is none): one ``coqc`` on them alone."""
    try:
        requires = [" ".join(strip_comments(s.text).split()) for s in split_sentences(text)]
    except SentenceError:
        return ""
    requires = [s for s in requires if _REQUIRE.match(s)]
    return _load_error(tuple(dict.fromkeys(requires)), tuple(coq_args), timeout) if requires else ""


@functools.lru_cache(maxsize=64)
def _load_error(requires: tuple[str, ...], coq_args: tuple[str, ...], timeout: float) -> str:
    with tempfile.TemporaryDirectory(prefix="qstar-requires-") as tmp:
        src = Path(tmp) / "QstarRequires.v"
        src.write_text("\n".join(requires) + "\n", encoding="utf-8")
        done = run_bounded(["coqc", "-q", *coq_args, str(src)], timeout=timeout, cwd=tmp)
    if done.timed_out:
        return ""  # slow, not missing: the theorems' own loads have their deadlines
    return "" if done.returncode == 0 else done.output.strip()
