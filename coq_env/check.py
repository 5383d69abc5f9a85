"""The sound final check for Coq: the only place where a proof becomes "proved".

What it covers, for each theorem:
1. The statement is the original one: ``check_proof`` re-inserts ``theorem.statement`` from the
   source and takes only the proof body from the search; ``check_file`` with a reference demands
   that the file minus its proofs equals the reference minus its proofs (same statements, same
   definitions, same imports), so a changed definition cannot change a statement's meaning
   either. The one addition accepted: ``Require``/``Import`` sentences of libraries installed
   with the prover, which ``coqc`` resolves with no argument in an empty folder
   (``coq_env.imports``); an import of a file beside the source is refused.
2. The body is screened (``coq_env.screen``): no Admitted/admit/Axiom/Abort/... sentences.
3. The whole file is compiled by ``coqc`` in a fresh process, under a wall-clock limit, and must
   exit 0; the proof must end in ``Qed.``/``Defined.``.
4. ``Print Assumptions`` must be closed, or list only axioms declared by the Coq libraries
   installed with the prover (stdlib ``Axiom`` sentences, e.g. the classical-reals axioms), the
   kernel primitives the stdlib declares (``Primitive`` machine integers and floats, which
   Coq.Interval's proofs compute with), or axioms of the user's original file; an ``Admitted`` lemma of the file is never accepted as an axiom.
   Inside an open functor or module type, ``Print Assumptions`` also lists the module's abstract
   fields (``X.t`` of a parameter ``X : OrderedType``, the ``Parameter``s a module type includes).
   They are premises of the statement, exactly like section variables: an assumption is accepted
   as one when ``Locate`` puts it under a functor parameter or ``Declare Module`` of the open
   scopes, or under an open ``Module Type`` of the checked file. The body cannot add such a
   declaration (the screen refuses every vernacular command in it), and an ``Admitted`` lemma
   stays refused wherever it sits.

What it does not cover: bugs in Coq itself, and the trust one places in the installed libraries'
axioms (the same trust every Coq user places in them).
"""

from __future__ import annotations

import functools
import os
import re
import subprocess
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

from agent.env import Theorem, Verdict
from agent.proc import run_bounded
from coq_env.files import CoqDecl, parse_coq_file, render_proof, skeleton
from coq_env.screen import screen_body
from coq_env.sentences import SentenceError, split_sentences, strip_comments

_AXIOM_DECL = re.compile(r"^\s*(?:#\[[^\]]*\]\s*)?(?:(?:Local|Global)\s+)?"
                         r"(?:Axiom|Axioms|Parameter|Parameters|Conjecture|Hypothesis|Variable)s?\s+"
                         r"([^:]+):", re.S)


def check_proof(theorem: Theorem, tactics: tuple[str, ...] | str, *, timeout: float = 120.0,
                coqc_args: tuple[str, ...] = ()) -> Verdict:
    """Check one proof of ``theorem`` from scratch, as it would stand in its file."""
    body = tactics if isinstance(tactics, str) else "\n".join(tactics)
    why = screen_body(body)
    if why:
        return Verdict(theorem.name, False, why)
    # A lemma inside open sections or modules (a prefix of its file): coqc insists they be
    # closed. Sections are closed as the file closes them, so the proof meets the section's own
    # rules there (``Default Proof Using``: what the discharged lemma may use); a module with a
    # signature cannot be closed halfway, so a lemma in a module is loaded in a fresh batch
    # toplevel instead, which checks every sentence the same way.
    scopes = open_scopes(theorem.context)
    sections = bool(scopes) and all(sc.kind == "Section" for sc in scopes)
    toplevel = bool(scopes) and not sections
    closing = "".join(f"End {sc.name}.\n" for sc in reversed(scopes)) if sections else ""
    text = (theorem.context.rstrip() + "\n\n" + theorem.statement + "\n"
            + render_proof(tuple(body.splitlines()), theorem.opener or "Proof.") + "\n" + closing)
    v = _compile_and_inspect(text, [theorem.name], user_axioms=_declared_axioms(theorem.context),
                             admitted=_admitted_names(theorem.context), timeout=timeout,
                             coqc_args=coqc_args, toplevel=toplevel)[0]
    return Verdict(theorem.name, v.ok, v.reason)


_SCOPE_OPEN = re.compile(r"^\s*(?:#\[[^\]]*\]\s*)?(?:(?:Local|Global)\s+)?"
                         r"(Section|Module(?:\s+Type)?)\s+(?:(?:Import|Export)\s+)?([A-Za-z_][\w']*)")
_SCOPE_END = re.compile(r"^\s*End\s+([A-Za-z_][\w']*)\s*\.$")


@dataclass(frozen=True)
class Scope:
    """A section or module still open at the end of a context."""

    kind: str  # Section | Module | Module Type
    name: str
    parameters: frozenset[str] = frozenset()
    """Functor parameters and ``Declare Module`` names bound inside it (modules only)."""


def open_scopes(context: str) -> list[Scope]:
    """Sections and modules still open at the end of ``context``, outermost first."""
    try:
        sentences = split_sentences(context)
    except SentenceError:
        return []
    stack: list[Scope] = []
    for s in sentences:
        text = " ".join(strip_comments(s.text).split())
        m = _SCOPE_OPEN.match(text)
        if m and not _defines(text):  # "Module M := N." defines without opening
            kind = " ".join(m.group(1).split())  # Section | Module | Module Type
            params: set[str] = set()
            if kind != "Section":  # binders before the signature: "Module F (X : T) (Y Z : U) <: S."
                head = re.split(r"<:|\)\s*:(?!=)|:=", text[m.end():], maxsplit=1)[0] + ")"
                for b in _PARAM_BINDER.findall(head):
                    params.update(b.split())
            stack.append(Scope(kind, m.group(2), frozenset(params)))
            continue
        m = _DECLARE_MODULE.match(text)
        if m and stack:
            stack[-1] = Scope(stack[-1].kind, stack[-1].name, stack[-1].parameters | {m.group(1)})
            continue
        m = _SCOPE_END.match(text)
        if m and stack and stack[-1].name == m.group(1):
            stack.pop()
    return stack


_PARAM_BINDER = re.compile(r"\(\s*(?:Import\s+|Export\s+)?([A-Za-z_][\w' ]*?)\s*:(?!=)")
_DECLARE_MODULE = re.compile(r"^\s*Declare\s+Module\s+(?:(?:Import|Export)\s+)?([A-Za-z_][\w']*)")


def _defines(sentence: str) -> bool:
    """``Module M := N.`` defines a module without opening one; ``with Module E := X`` does not."""
    return sentence.count(":=") > len(re.findall(r"\bwith\s+(?:Module|Definition)\b", sentence))


def check_file(path: str, *, reference: str | None = None, timeout: float = 600.0,
               coqc_args: tuple[str, ...] = ()) -> list[Verdict]:
    """Verdict for every theorem of the file at ``path`` (see the module docstring)."""
    text = Path(path).read_text(encoding="utf-8")
    decls = parse_coq_file(text)
    ref_text = Path(reference).read_text(encoding="utf-8") if reference else None
    ref_decls = parse_coq_file(ref_text) if ref_text is not None else None
    if ref_decls is not None:
        mismatch = _reference_mismatch(text, decls, ref_text, ref_decls, coqc_args)
        if mismatch:
            return [Verdict(d.name, False, mismatch) for d in decls] or [Verdict("<file>", False, mismatch)]
    source_for_axioms = ref_text if ref_text is not None else text
    verdicts: dict[str, Verdict] = {}
    for d in decls:
        if d.terminator not in ("Qed", "Defined"):
            verdicts[d.name] = Verdict(d.name, False, f"proof ends in {d.terminator}")
        elif (why := screen_body(d.body)) is not None:
            verdicts[d.name] = Verdict(d.name, False, why)
    pending = [d.name for d in decls if d.name not in verdicts]
    if pending:
        results = _compile_and_inspect(text, pending, user_axioms=_declared_axioms(source_for_axioms),
                                       admitted=_admitted_names(text), timeout=timeout,
                                       coqc_args=coqc_args)
        verdicts.update({v.name: v for v in results})
    return [verdicts[d.name] for d in decls]


def _reference_mismatch(text: str, decls: list[CoqDecl], ref_text: str,
                        ref_decls: list[CoqDecl], coqc_args: tuple[str, ...] = ()) -> str:
    by_name = {d.name: d for d in decls}
    for r in ref_decls:
        d = by_name.get(r.name)
        if d is None:
            return f"theorem {r.name} of the reference is missing"
        if strip_comments(d.statement).split() != strip_comments(r.statement).split():
            return f"statement of {r.name} differs from the reference"
    added, why = added_imports(text, ref_text)
    return why or _changes_meaning(text, ref_text, added, coqc_args)


def _changes_meaning(text: str, ref_text: str, added: list[str], coqc_args: tuple[str, ...] = ()) -> str:
    """Why the added imports are refused: a ``Require Import``/``Export`` placed after the file's
    leading imports (where it could shadow its own definitions), or a sentence giving a name or
    notation of the reference another meaning (``Require Import Nsatz`` rebinds ``pow`` and ``^``),
    compared where it stands for a ``Require`` or ``Import`` above a theorem (a library whose hints
    would change how an earlier proof checks is loaded there: ``coq_env.placement``); "" when
    none."""
    if not added:
        return ""
    from coq_env.imports import leading_imports, meaning_changes
    try:
        head = {" ".join(strip_comments(s.text).split()) for s in split_sentences(leading_imports(text))}
    except SentenceError as e:
        return f"cannot compare with the reference: {e}"
    late = [s for s in added if s not in head]
    if any(_LOADS_IMPORTING.match(s) for s in late):
        return ("added Require Import is not among the file's leading imports: "
                f"{next(s for s in late if _LOADS_IMPORTING.match(s))[:80]}")
    try:
        changed = meaning_changes(leading_imports(ref_text), [s for s in added if s in head], skeleton(ref_text),
                                  coq_args=coqc_args)
        for at, sentence in _late_imports(text, set(late)):
            # an Import above a theorem could shadow the user's own names defined before it:
            # compared there, in the file's context (earlier proofs admitted), on all that follows
            prefix = "".join(_admitted(text[:at]))
            changed = changed or meaning_changes(prefix, [sentence], skeleton(text[at:]), coq_args=coqc_args)
    except (RuntimeError, SentenceError) as e:
        return str(e)
    if changed:
        return f"added imports change the meaning of {', '.join(changed[:6])} in the reference's statements"
    return ""


_LOADS_IMPORTING = re.compile(r"^(?:From\s+[\w.]+\s+)?Require\s+(?:Import|Export)\b")


def _late_imports(text: str, late: set[str]) -> list[tuple[int, str]]:
    """(offset, sentence) of each added ``Require`` or ``Import`` below the file's leading imports."""
    return [(s.start, n) for s in split_sentences(text)
            if (n := " ".join(strip_comments(s.text).split())) in late]


def _admitted(text: str):
    """``text``'s pieces with every finished proof replaced by ``Admitted.`` (a context that
    loads quickly and binds the same names)."""
    pos = 0
    for d in parse_coq_file(text):
        if d.terminator in ("Qed", "Defined", "Admitted"):
            yield text[pos:d.proof_start] + "\nAdmitted."
            pos = d.end_end
    yield text[pos:]


def added_imports(text: str, ref_text: str) -> tuple[list[str], str]:
    """(the import sentences ``text`` adds to ``ref_text`` outside proofs, why the difference is
    not acceptable or "")."""
    import difflib

    from coq_env.imports import is_import, resolvable
    if skeleton(text) == skeleton(ref_text):
        return [], ""
    try:
        ours = [" ".join(strip_comments(s.text).split()) for s in split_sentences(skeleton(text))]
        theirs = [" ".join(strip_comments(s.text).split()) for s in split_sentences(skeleton(ref_text))]
    except SentenceError as e:
        return [], f"cannot compare with the reference: {e}"
    added: list[str] = []
    for op, i1, i2, _, _ in difflib.SequenceMatcher(a=ours, b=theirs, autojunk=False).get_opcodes():
        if op == "equal":
            continue
        if op != "delete":  # the reference has a sentence the file lacks, or another one
            return [], "file differs from the reference outside proofs"
        for s in ours[i1:i2]:
            if not is_import(s):
                return [], f"file adds a sentence the reference does not have: {s[:80]}"
            # an Import of what an added Require loaded is resolved after those Requires
            if not resolvable("\n".join([*(a for a in added if "Require" in a), s])):
                return [], f"added import is not a library installed with the prover: {s[:80]}"
            added.append(s)
    return list(dict.fromkeys(added)), ""


def _compile_and_inspect(text: str, names: list[str], *, user_axioms: set[str],
                         admitted: set[str], timeout: float, coqc_args: tuple[str, ...],
                         toplevel: bool = False) -> list[Verdict]:
    with tempfile.TemporaryDirectory(prefix="qstar-check-") as tmp:
        probes = "".join(f'\nRedirect "qstar_ax_{i}" Print Assumptions {n}.'
                         for i, n in enumerate(names))
        src = os.path.join(tmp, "QstarCheck.v")
        Path(src).write_text(text + "\n" + probes + "\n", encoding="utf-8")
        cmd = (["coqtop", "-q", "-batch", *coqc_args, "-l", src] if toplevel
               else ["coqc", "-q", *coqc_args, src])
        deadline = time.monotonic() + timeout  # the compile and the Locate pass share it
        done = run_bounded(cmd, timeout=timeout, cwd=tmp)
        if done.timed_out:
            return [Verdict(n, False, f"coqc did not finish within {timeout:.0f}s") for n in names]
        if done.returncode != 0:
            first = _first_error(done.output)
            return [Verdict(n, False, f"coqc rejected the file: {first}") for n in names]
        reports = {}
        for i, n in enumerate(names):
            path = os.path.join(tmp, f"qstar_ax_{i}.out")
            reports[n] = Path(path).read_text(encoding="utf-8") if os.path.exists(path) else None
        out = [_judge_assumptions(n, r, user_axioms, admitted) for n, r in reports.items()]
        scopes = [sc for sc in open_scopes(text) if sc.kind != "Section"]
        if scopes and not all(v.ok for v in out):  # inside open modules: which are premises?
            known = admitted | user_axioms | library_axioms()
            unknown = sorted({a for r in reports.values() if r for a in _axioms(r)[0]
                              if a.rsplit(".", 1)[-1] not in known})
            left = deadline - time.monotonic()
            where = _locate(src, text, unknown, cmd, tmp, left) if unknown and left > 0 else {}
            premises = {a for a, path in where.items()
                        if _is_premise(path, scopes, "Top" if toplevel else "QstarCheck")}
            out = [_judge_assumptions(n, r, user_axioms, admitted, premises) for n, r in reports.items()]
        return out


def _locate(src: str, text: str, names: list[str], cmd: list[str], tmp: str,
            timeout: float) -> dict[str, str]:
    """Fully qualified path of each name, as ``Locate`` resolves it at the end of ``text``; none
    (so no premise, and the check fails closed) when it does not finish within ``timeout``."""
    probes = "".join(f'\nRedirect "qstar_loc_{i}" Locate {n}.' for i, n in enumerate(names))
    Path(src).write_text(text + "\n" + probes + "\n", encoding="utf-8")
    done = run_bounded(cmd, timeout=timeout, cwd=tmp)
    found: dict[str, str] = {}
    if done.timed_out or done.returncode != 0:
        return found
    for i, n in enumerate(names):
        report = os.path.join(tmp, f"qstar_loc_{i}.out")
        lines = Path(report).read_text(encoding="utf-8").split("\n") if os.path.exists(report) else []
        m = re.match(r"Constant\s+(\S+)", lines[0].strip()) if lines else None
        if m:
            found[n] = m.group(1)
    return found


def _is_premise(path: str, scopes: list[Scope], root: str) -> bool:
    """A field of a functor parameter or declared module of the open scopes (``X.t``), or a field
    of a module type being defined (``Top.MT.t``; its fields are abstract by definition)."""
    parts = path.split(".")
    if parts[0] in set().union(*(sc.parameters for sc in scopes)):
        return True
    inner = parts[1:-1]  # Top.A.B.x -> [A, B]: must be a prefix of the open scopes' names
    return (parts[0] == root and 0 < len(inner) <= len(scopes)
            and inner == [sc.name for sc in scopes[:len(inner)]]
            and any(sc.kind == "Module Type" for sc in scopes[:len(inner)]))


def _axioms(report: str) -> tuple[list[str], str]:
    """The names a ``Print Assumptions`` report lists as axioms, and the first other kind of
    assumption it reports ("" if none; section variables are premises, not listed)."""
    section, axioms = None, []
    for line in report.strip().splitlines():
        if line.strip() == "Closed under the global context":
            break
        if not line.strip() or line.startswith((" ", "\t", ":")):
            continue  # continuation lines of a long type
        if line.endswith(":") and " : " not in line:
            section = line[:-1]
            continue
        if section == "Section Variables":  # hypotheses of an open section: premises, not axioms
            continue
        if section != "Axioms":
            return axioms, section or line
        axioms.append(line.split(" : ", 1)[0].strip())
    return axioms, ""


def _judge_assumptions(name: str, report: str | None, user_axioms: set[str], admitted: set[str],
                       premises: set[str] = frozenset()) -> Verdict:
    if report is None:
        return Verdict(name, False, "no Print Assumptions output")
    axioms, other = _axioms(report)
    if other:
        return Verdict(name, False, f"Print Assumptions reports {other!r}")
    bad = []
    for axiom in axioms:
        short = axiom.rsplit(".", 1)[-1]
        if short in admitted:  # never a premise, wherever it sits
            bad.append(f"{axiom} (Admitted)")
        elif (short not in user_axioms and short not in library_axioms() and axiom not in premises
              and ".".join(axiom.split(".")[-2:]) not in library_primitives()):
            bad.append(axiom)
    if bad:
        return Verdict(name, False, "depends on unproved assumptions: " + ", ".join(bad))
    return Verdict(name, True)


def _first_error(output: str) -> str:
    lines = [ln.strip() for ln in output.splitlines() if ln.strip()]
    for i, ln in enumerate(lines):
        if ln.startswith("Error"):
            return " ".join(lines[i:i + 2])[:300]
    return (" ".join(lines[-2:]) or "non-zero exit")[:300]


def _declared_axioms(text: str) -> set[str]:
    try:
        sentences = split_sentences(text)
    except SentenceError:
        return set()
    names: set[str] = set()
    for s in sentences:
        m = _AXIOM_DECL.match(strip_comments(s.text))
        if m:
            names.update(n.strip("() ") for n in m.group(1).split())
    return names


def _admitted_names(text: str) -> set[str]:
    try:
        return {d.name for d in parse_coq_file(text) if d.terminator == "Admitted" or d.is_open}
    except SentenceError:
        return set()


@functools.lru_cache(maxsize=1)
def library_primitives() -> frozenset[str]:
    """``Module.name`` of the kernel primitives the stdlib declares (``Primitive sub :=
    #float64_sub.`` in PrimFloat.v): machine integers and floats the kernel itself implements,
    which ``Print Assumptions`` lists. Coq.Interval's proofs compute with them; trusting them is
    trusting Coq's kernel."""
    try:
        where = subprocess.run(["coqc", "-where"], capture_output=True, text=True,
                               timeout=30).stdout.strip()
    except (OSError, subprocess.TimeoutExpired):
        return frozenset()
    pattern = re.compile(r"^\s*Primitive\s+([A-Za-z_][\w']*)", re.M)
    names: set[str] = set()
    for v in Path(where, "theories").rglob("*.v"):
        try:
            text = v.read_text(encoding="utf-8", errors="replace")
        except OSError:
            continue
        names.update(f"{v.stem}.{n}" for n in pattern.findall(text))
    return frozenset(names)


@functools.lru_cache(maxsize=1)
def library_axioms() -> frozenset[str]:
    """Short names of the axioms declared in the installed Coq libraries' sources."""
    try:
        where = subprocess.run(["coqc", "-where"], capture_output=True, text=True,
                               timeout=30).stdout.strip()
    except (OSError, subprocess.TimeoutExpired):
        return frozenset()
    names: set[str] = set()
    pattern = re.compile(r"^\s*(?:Local\s+|Global\s+)?Axiom\s+([A-Za-z_][\w']*)", re.M)
    for sub in ("theories", "user-contrib"):
        for v in Path(where, sub).rglob("*.v"):
            try:
                names.update(pattern.findall(v.read_text(encoding="utf-8", errors="replace")))
            except OSError:
                continue
    return frozenset(names)
