"""Split Coq source into sentences, client-side, the way Coq's lexer delimits them.

coqidetop takes exactly one sentence per ``Add``. A sentence ends at a ``.`` followed by
white space or the end of input, outside comments (which nest) and strings (``""`` escapes a
quote). A run of exactly two dots (``[x ; .. ; y]``) is not an end. Bullets (``-``, ``+``,
``*`` and their repetitions), the braces ``{`` / ``}`` and the focusing selectors ``2:{`` /
``[goal]: {`` are sentences of their own when they open one. Input that leaves a comment, a
string or a sentence unterminated is rejected.

Getting these ends exactly right matters beyond parsing: given ``2:{ rewrite H.`` as one
sentence, coqidetop runs the ``2:{`` and silently drops the rest.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

_FOCUS_RE = re.compile(r"(?:\d+|\[\s*[A-Za-z_][\w']*\s*\])\s*:\s*\{")


class SentenceError(ValueError):
    """The text is not a sequence of complete Coq sentences."""


@dataclass(frozen=True)
class Sentence:
    text: str  # the sentence as written, comments inside it kept
    start: int  # offset of its first character in the source
    end: int  # offset just past its terminator


def split_sentences(src: str) -> list[Sentence]:
    """All sentences of ``src`` in order. Raises SentenceError on unterminated input."""
    out: list[Sentence] = []
    i, n = 0, len(src)
    start: int | None = None  # offset where the current sentence began
    while i < n:
        c = src[i]
        if src.startswith("(*", i):
            i = _skip_comment(src, i)
            continue
        if c.isspace():
            i += 1
            continue
        if start is None:
            # At a sentence start: bullets and braces stand alone.
            if c in "{}":
                out.append(Sentence(c, i, i + 1))
                i += 1
                continue
            m = _FOCUS_RE.match(src, i)
            if m:  # a goal selector opening a brace: "2:{", "[x]: {"
                out.append(Sentence(m.group(), i, m.end()))
                i = m.end()
                continue
            if c in "-+*":
                j = i
                while j < n and src[j] == c:
                    j += 1
                out.append(Sentence(src[i:j], i, j))
                i = j
                continue
            start = i
        if c == '"':
            i = _skip_string(src, i)
            continue
        if c == ".":
            j = i
            while j < n and src[j] == ".":
                j += 1
            run = j - i
            if (j == n or src[j].isspace()) and run != 2:
                out.append(Sentence(src[start:j], start, j))
                start = None
            i = j
            continue
        i += 1
    if start is not None:
        snippet = src[start:start + 40].strip().replace("\n", " ")
        raise SentenceError(f"unterminated sentence (missing '.'): {snippet!r}")
    return out


def _skip_comment(src: str, i: int) -> int:
    depth, j, n = 0, i, len(src)
    while j < n:
        if src.startswith("(*", j):
            depth += 1
            j += 2
        elif src.startswith("*)", j):
            depth -= 1
            j += 2
            if depth == 0:
                return j
        elif src[j] == '"':
            j = _skip_string(src, j)  # a quote inside a comment must be closed too (Coq lexer)
        else:
            j += 1
    raise SentenceError("unterminated comment")


def _skip_string(src: str, i: int) -> int:
    j, n = i + 1, len(src)
    while j < n:
        if src[j] == '"':
            if j + 1 < n and src[j + 1] == '"':
                j += 2
                continue
            return j + 1
        j += 1
    raise SentenceError("unterminated string")


def strip_comments(text: str) -> str:
    """``text`` with its comments removed (strings kept), for screening and comparison."""
    out, i, n = [], 0, len(text)
    while i < n:
        if text.startswith("(*", i):
            i = _skip_comment(text, i)
            out.append(" ")
        elif text[i] == '"':
            j = _skip_string(text, i)
            out.append(text[i:j])
            i = j
        else:
            out.append(text[i])
            i += 1
    return "".join(out)


def normalize(text: str) -> str:
    """Comment-free text with white space folded: equal statements compare equal."""
    return " ".join(strip_comments(text).split())
