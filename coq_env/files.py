"""Theorems of a ``.v`` file: find them, find the open ones, write proofs back.

A theorem is a ``Theorem|Lemma|Fact|Remark|Corollary|Proposition|Example NAME ...`` sentence
followed by its proof, which ends at ``Qed.``, ``Defined.``, ``Admitted.`` or ``Abort.``. It is
open when it ends in ``Admitted.`` or its body uses ``admit``/``give_up``. Writing back replaces
only the proof (``Proof.`` .. terminator); the statement's characters are never touched.
"""

from __future__ import annotations

import re
import sys
from dataclasses import dataclass

from agent.env import Theorem
from coq_env.sentences import Sentence, SentenceError, normalize, split_sentences, strip_comments

_DECL_RE = re.compile(
    r"^\s*(?:#\[[^\]]*\]\s*)?(?:(?:Local|Global|Polymorphic|Monomorphic|Program)\s+)*"
    r"(Theorem|Lemma|Fact|Remark|Corollary|Proposition|Example)\s+([A-Za-z_][\w']*)")
_TERMINATORS = {"Qed.": "Qed", "Defined.": "Defined", "Admitted.": "Admitted", "Abort.": "Abort",
                "Abort All.": "Abort"}
_ADMIT_RE = re.compile(r"\b(admit|give_up)\b")


@dataclass(frozen=True)
class CoqDecl:
    name: str
    statement: str  # the statement sentence exactly as written
    stmt_start: int
    proof_start: int  # start of ``Proof.`` if present, else of the first body sentence
    body_start: int  # just after ``Proof.`` (or after the statement)
    end_start: int  # start of the terminator sentence
    end_end: int  # just past it
    terminator: str  # Qed | Defined | Admitted | Abort
    body: str
    opener: str = "Proof."  # ``Proof.``, ``Proof using ...``, ``Proof with ...`` as written (normalized)

    @property
    def is_open(self) -> bool:
        return self.terminator == "Admitted" or bool(_ADMIT_RE.search(strip_comments(self.body)))


def parse_coq_file(text: str) -> list[CoqDecl]:
    """Every theorem with a terminated proof, in file order. Raises SentenceError."""
    sentences = split_sentences(text)
    decls: list[CoqDecl] = []
    i = 0
    while i < len(sentences):
        m = _DECL_RE.match(strip_comments(sentences[i].text))
        if not m:
            i += 1
            continue
        stmt = sentences[i]
        j = i + 1
        proof_start = body_start = stmt.end
        opener = "Proof."
        if j < len(sentences) and _is_proof_opener(sentences[j]):
            proof_start, body_start = sentences[j].start, sentences[j].end
            opener = normalize(sentences[j].text)
            j += 1
        while j < len(sentences) and normalize(sentences[j].text) not in _TERMINATORS:
            if _DECL_RE.match(strip_comments(sentences[j].text)):
                break
            j += 1
        if j >= len(sentences) or normalize(sentences[j].text) not in _TERMINATORS:
            i = j  # no terminator: not a theorem we can work on
            continue
        end: Sentence = sentences[j]
        decls.append(CoqDecl(
            name=m.group(2), statement=stmt.text, stmt_start=stmt.start,
            proof_start=proof_start, body_start=body_start, end_start=end.start,
            end_end=end.end, terminator=_TERMINATORS[normalize(end.text)],
            body=text[body_start:end.start], opener=opener))
        i = j + 1
    return decls


def _is_proof_opener(s: Sentence) -> bool:
    t = normalize(s.text)
    return t == "Proof." or t.startswith("Proof with ") or t.startswith("Proof using ")


def open_theorems(text: str) -> list[Theorem]:
    """The open theorems of a file, each with the file's text before it as context."""
    return [Theorem(name=d.name, statement=d.statement, context=text[:d.stmt_start], backend="coq",
                    opener="" if d.opener == "Proof." else d.opener)
            for d in parse_coq_file(text) if d.is_open]


def render_proof(tactics: tuple[str, ...], opener: str = "Proof.") -> str:
    """A proof block: ``opener`` (``Proof.``, or the file's own ``Proof using ...``), the
    tactics, ``Qed.``"""
    return opener + "\n" + "".join(f"  {t}\n" for t in tactics) + "Qed."


def with_proofs(text: str, proofs: dict[str, tuple[str, ...]], before: str | dict[str, str] = "") -> str:
    """``text`` with the proofs of the named theorems replaced; statements untouched. A proved
    theorem keeps its own ``Proof using``/``Proof with`` opener, and gets ``before`` (the import
    its proof's tactics need, see ``coq_env.imports.split_line``; one for all, or by theorem) on
    the line above it, where it changes nothing that comes before."""
    out = text
    for d in sorted(parse_coq_file(text), key=lambda d: d.proof_start, reverse=True):
        if d.name in proofs and d.is_open:
            out = _proved(out, d, proofs[d.name], before)
    return out


def _proved(out: str, d: CoqDecl, tactics: tuple[str, ...], before: str | dict[str, str]) -> str:
    before = before.get(d.name, "") if isinstance(before, dict) else before
    sep = "" if out[d.proof_start - 1:d.proof_start].isspace() else "\n"
    out = out[:d.proof_start] + sep + render_proof(tactics, d.opener) + out[d.end_end:]
    if before:
        out = out[:d.stmt_start] + before + "\n" + out[d.stmt_start:]
    return out


def skeleton(text: str) -> str:
    """The file with every proof cut out, normalized: equal skeletons mean equal statements
    and equal context (definitions, imports, axioms) in the same order."""
    parts, pos = [], 0
    for d in parse_coq_file(text):
        parts.append(text[pos:d.proof_start])
        parts.append(" (*proof*) ")
        pos = d.end_end
    parts.append(text[pos:])
    return normalize("".join(parts))


def context_in_order(text: str, proofs: dict[str, tuple[str, ...]], name: str,
                     before: str | dict[str, str] = "") -> str:
    """The context of the open theorem ``name`` when a file is proved in order: the text before
    it, where each earlier open theorem carries the proof found for it (and ``before`` above
    it, as ``with_proofs`` writes it), or is cut out when it has none, so that no search and no
    check sees an unproved lemma."""
    decls = parse_coq_file(text)
    target = next(d for d in decls if d.name == name and d.is_open)
    out = text[:target.stmt_start]
    for d in sorted((d for d in decls if d.is_open and d.end_end <= target.stmt_start),
                    key=lambda d: d.stmt_start, reverse=True):
        if d.name in proofs:
            out = _proved(out, d, proofs[d.name], before)
        else:
            out = out[:d.stmt_start] + out[d.end_end:]
    return out


_AXIOM_RE = re.compile(r"^\s*(?:#\[[^\]]*\]\s*)?(?:(?:Local|Global)\s+)?(?:Axiom|Conjecture)\s+"
                       r"([A-Za-z_][\w']*)\s*:")


def lemma_statements(context: str) -> list[tuple[str, str, int]]:
    """(name, statement as written, where it starts) of the context's closed theorems (Qed /
    Defined), in file order: the lemmas a proof of the next theorem may point to."""
    try:
        name = _names_at_end(context)
        return [(n, d.statement, d.stmt_start) for d in parse_coq_file(context)
                if d.terminator in ("Qed", "Defined") and not d.is_open and (n := name(d.name, d.stmt_start))]
    except SentenceError as e:
        _unsplit(context, e)
        return []


def usable_lemmas(context: str) -> list[str]:
    """Names a proof may apply, most recent first: the context's closed theorems (Qed / Defined)
    and its own axioms. (Not its Admitted lemmas: the final check would refuse them.)"""
    try:
        name = _names_at_end(context)
        found = [(d.stmt_start, n) for d in parse_coq_file(context)
                 if d.terminator in ("Qed", "Defined") and not d.is_open and (n := name(d.name, d.stmt_start))]
        found += [(s.start, n) for s in split_sentences(context)
                  if (m := _AXIOM_RE.match(strip_comments(s.text))) and (n := name(m.group(1), s.start))]
    except SentenceError as e:
        _unsplit(context, e)
        return []
    return list(dict.fromkeys(name for _, name in sorted(found, reverse=True)))


_MODULE_RE = re.compile(r"^\s*(?:Local\s+|Global\s+)?Module\s+(Type\s+)?(?:Import\s+|Export\s+)?([A-Za-z_][\w']*)")
_SECTION_RE = re.compile(r"^\s*Section\s+([A-Za-z_][\w']*)")
_END_RE = re.compile(r"^\s*End\s+([A-Za-z_][\w']*)")


def _names_at_end(context: str):
    """(short name, where it is declared) -> the name as a sentence right after ``context``
    resolves it: qualified by the modules closed since (``M.lemma`` for a lemma of a closed
    ``Module M``), as is inside a module still open; "" for a lemma of a module type (not a
    lemma anyone can apply). Sections do not qualify names. Raises SentenceError."""
    stack: list[tuple[str, str]] = []  # (kind, name) of the open blocks
    spans: list[tuple[int, tuple[tuple[str, str], ...]]] = []  # (from offset, blocks open there)
    for s in split_sentences(context):
        text = strip_comments(s.text)
        if (m := _MODULE_RE.match(text)) and ":=" not in text:
            stack.append(("type" if m.group(1) else "module", m.group(2)))
        elif m := _SECTION_RE.match(text):
            stack.append(("section", m.group(1)))
        elif (m := _END_RE.match(text)) and stack and stack[-1][1] == m.group(1):
            stack.pop()
        else:
            continue
        spans.append((s.end, tuple(stack)))
    here = tuple(b for b in stack if b[0] != "section")

    def name(short: str, at: int) -> str:
        blocks: tuple = ()
        for start, open_blocks in spans:
            if start > at:
                break
            blocks = open_blocks
        if any(kind == "type" for kind, _ in blocks):
            return ""
        path = [b for b in blocks if b[0] != "section"]
        k = 0
        while k < min(len(path), len(here)) and path[k] == here[k]:
            k += 1
        return ".".join([n for _, n in path[k:]] + [short])
    return name


_SAID: set[str] = set()
_UNSPLIT: set[int] = set()  # the contexts (by hash) whose lemmas were not offered


def unsplit_contexts() -> int:
    """How many distinct contexts of this process went without their file lemmas (counted in a
    run's summary: ``fallbacks``)."""
    return len(_UNSPLIT)


def _unsplit(context: str, error: Exception) -> None:
    """Say on stderr, once per error, that a context's lemmas are not offered because its text
    cannot be split into sentences (file lemmas and the generator's file premises go without)."""
    _UNSPLIT.add(hash(context))
    why = " ".join(str(error).split())[:200]
    if why not in _SAID and len(_SAID) < 1000:
        _SAID.add(why)
        print(f"qstar: the file's earlier lemmas are not offered (cannot split the text above the theorem: {why})",
              file=sys.stderr)
