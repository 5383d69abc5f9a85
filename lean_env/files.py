"""Theorems of a ``.lean`` file: find them, find the open ones, write proofs back.

A declaration starts at column 0 with ``theorem``, ``lemma`` or ``example`` (after optional
attributes and modifiers) and runs to the next column-0 command. Its proof is what follows the
first ``:=`` outside brackets; it is open when that proof uses ``sorry``. Comments are masked
(same length, newlines kept) before any of this, so a commented-out theorem is not one. Writing
back replaces only the proof; the statement's characters are never touched.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from agent.env import Theorem
from lean_env.screen import strip_comments

_DECL = re.compile(r"^(?:@\[[^\]\n]*\]\s*)?(?:(?:private|protected|noncomputable|nonrec)\s+)*"
                   r"(theorem|lemma|example)\b(?:\s+([^\s:({\[⦃]+))?", re.M)
_COMMAND = re.compile(r"^(?:theorem|lemma|example|def|abbrev|instance|structure|inductive|class|"
                      r"namespace|section|end|open|variable|universe|set_option|attribute|axiom|"
                      r"import|macro|syntax|notation|local|scoped|mutual|opaque|private|protected|"
                      r"noncomputable|@\[|#|/-)", re.M)
_SORRY = re.compile(r"(?<![\w.'])sorry(?![\w'])")
_OPEN_BRACKETS, _CLOSE_BRACKETS = "([{⟨⦃", ")]}⟩⦄"


class LeanFileError(ValueError):
    """The text cannot be read as Lean declarations (e.g. an unterminated comment)."""


@dataclass(frozen=True)
class LeanDecl:
    name: str  # "example@LINE" for an example
    kind: str  # theorem | lemma | example
    start: int  # first character of the declaration (attributes included)
    proof_start: int  # the ":=" that starts the proof
    end: int  # end of the declaration (trailing white space excluded)
    statement: str  # text[start:proof_start], right-stripped
    proof: str  # text[proof_start:end], starting with ":="

    @property
    def is_open(self) -> bool:
        return bool(_SORRY.search(strip_comments(self.proof)))


def mask_comments(text: str) -> str:
    """Comments replaced by spaces of the same length (newlines kept), so offsets still match."""
    out, i, n, depth = list(text), 0, len(text), 0
    while i < n:
        if text.startswith("/-", i):
            depth += 1
            out[i] = out[i + 1] = " "
            i += 2
        elif depth and text.startswith("-/", i):
            depth -= 1
            out[i] = out[i + 1] = " "
            i += 2
        elif depth:
            if text[i] != "\n":
                out[i] = " "
            i += 1
        elif text.startswith("--", i):
            while i < n and text[i] != "\n":
                out[i] = " "
                i += 1
        else:
            i += 1
    if depth:
        raise LeanFileError("unterminated block comment")
    return "".join(out)


def parse_lean_file(text: str) -> list[LeanDecl]:
    masked = mask_comments(text)
    starts = [m for m in _DECL.finditer(masked)]
    decls = []
    for m in starts:
        nxt = _COMMAND.search(masked, m.end())
        end = nxt.start() if nxt else len(text)
        while end > m.start() and text[end - 1].isspace():
            end -= 1
        assign = _proof_assign(masked, m.end(), end)
        if assign is None:
            continue  # no ":=" (e.g. pattern-matching equations): not a theorem we handle
        kind = m.group(1)
        line = text.count("\n", 0, m.start()) + 1
        name = m.group(2) if kind != "example" and m.group(2) else f"example@{line}"
        decls.append(LeanDecl(name, kind, m.start(), assign, end,
                              text[m.start():assign].rstrip(), text[assign:end]))
    return decls


def _proof_assign(masked: str, start: int, end: int) -> int | None:
    depth = 0
    for i in range(start, end):
        c = masked[i]
        if c in _OPEN_BRACKETS:
            depth += 1
        elif c in _CLOSE_BRACKETS:
            depth = max(0, depth - 1)
        elif c == ":" and depth == 0 and masked.startswith(":=", i):
            return i
    return None


def open_theorems(text: str) -> list[Theorem]:
    return [Theorem(name=d.name, statement=d.statement, context=text[:d.start], backend="lean")
            for d in parse_lean_file(text) if d.is_open]


def render_proof(tactics: tuple[str, ...]) -> str:
    lines = "\n".join(tactics).splitlines()
    return ":= by\n" + "\n".join("  " + ln for ln in lines)


def with_proofs(text: str, proofs: dict[str, tuple[str, ...]]) -> str:
    out = text
    for d in sorted(parse_lean_file(text), key=lambda d: d.start, reverse=True):
        if d.name in proofs and d.is_open:
            sep = "" if out[d.proof_start - 1:d.proof_start].isspace() else " "
            out = out[:d.proof_start] + sep + render_proof(proofs[d.name]) + out[d.end:]
    return out


def skeleton(text: str) -> str:
    """The file without its proofs, comments and spacing: equal skeletons, equal statements."""
    parts, pos = [], 0
    for d in parse_lean_file(text):
        parts.append(text[pos:d.proof_start])
        parts.append(" := _proof_ ")
        pos = d.end
    parts.append(text[pos:])
    return " ".join(strip_comments("".join(parts)).split())


def proof_steps(proof: str) -> list[str] | None:
    """A ``:= by`` proof as its top-level tactics (a line at the block's indentation starts a
    step, deeper lines continue it; a one-line ``by t1; t2`` is one step); None for a term proof."""
    body = proof[2:].lstrip() if proof.startswith(":=") else proof
    if not re.match(r"by\b", body):
        return None
    rest = body[2:]
    first, _, tail = rest.partition("\n")
    steps: list[str] = [first.strip()] if first.strip() else []
    base = None
    for line in tail.splitlines():
        if not strip_comments(line).strip():
            continue
        indent = len(line) - len(line.lstrip())
        if base is None:
            base = indent
        if indent <= base or not steps:
            steps.append(line.strip())
        else:
            steps[-1] += "\n" + line[base:].rstrip()
    return [s for s in steps if s.strip() != "sorry"]


def proof_scripts(text: str) -> list[tuple[Theorem, list[str]]]:
    """Every tactic proof of a file as (theorem, top-level steps), each theorem in the context of
    the file's text before it; ``sorry`` steps are left out (the proof is open from there)."""
    out = []
    for d in parse_lean_file(text):
        steps = proof_steps(d.proof)
        if steps is not None:
            out.append((Theorem(name=d.name, statement=d.statement, context=text[:d.start], backend="lean"), steps))
    return out


def admit_proofs(text: str, indices: set[int]) -> str:
    """``text`` with the proofs at these positions of :func:`proof_scripts` replaced by
    ``:= by sorry``."""
    decls = [d for d in parse_lean_file(text) if proof_steps(d.proof) is not None]
    out = text
    for i in sorted(indices, reverse=True):
        d = decls[i]
        out = out[:d.proof_start] + ":= by sorry" + out[d.end:]
    return out
