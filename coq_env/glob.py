"""Coq's ``.glob`` files: which global each stretch of a compiled ``.v`` file refers to.

``coqc`` writes ``NAME.glob`` beside ``NAME.vo`` (Debian ships them with most libraries). A
reference line reads ``R<start>:<end> <library> <section path> <name> <kind>``: bytes
``start..end`` (inclusive) of the source name the global ``<library>.<name>`` of this kind. The
file's first line, ``DIGEST <md5>``, is the MD5 of the ``.v`` it was written for; a glob whose
digest does not match the source is not read (it describes another text).
"""

from __future__ import annotations

import bisect
import hashlib
from dataclasses import dataclass
from pathlib import Path

# Kinds that name a term a proof can use; ``lib`` (a Require), ``not`` (a notation), ``var``
# (a local), ``binder``, ``sec``, ``mod`` ... are not premises.
TERM_KINDS = frozenset({"thm", "def", "constr", "ind", "proj", "meth", "class", "defax", "rec",
                        "inst", "ax", "prfax", "coind", "indrec", "scheme", "abbrev", "vardef",
                        "variant", "canonstruc", "coe", "syndef"})


@dataclass(frozen=True)
class GlobRef:
    start: int  # byte offset in the source
    end: int  # byte offset, inclusive
    name: str  # fully qualified: library path + name
    kind: str


def read_glob(v_path: str) -> list[GlobRef] | None:
    """The term references of the ``.glob`` beside ``v_path``, in source order; None when there
    is no glob or it was written for another text."""
    glob = Path(v_path).with_suffix(".glob")
    try:
        lines = glob.read_text(encoding="utf-8", errors="replace").splitlines()
        source = Path(v_path).read_bytes()
    except OSError:
        return None
    if not lines or lines[0].split()[-1:] != [hashlib.md5(source).hexdigest()]:
        return None
    refs = []
    for line in lines[1:]:
        if not line.startswith("R"):
            continue
        parts = line.split()
        if len(parts) != 5 or parts[4] not in TERM_KINDS or ":" not in parts[0]:
            continue
        a, _, b = parts[0][1:].partition(":")
        if not (a.isdigit() and b.isdigit()):
            continue
        lib, sec, name = parts[1], parts[2], parts[3]
        qual = ".".join(p for p in (lib, sec if sec != "<>" else "", name) if p)
        refs.append(GlobRef(int(a), int(b), qual, parts[4]))
    refs.sort(key=lambda r: r.start)
    return refs


class GlobIndex:
    """Globals referenced inside a character span of the source text."""

    def __init__(self, text: str, refs: list[GlobRef]):
        self._refs = refs
        self._starts = [r.start for r in refs]
        self._text = text
        self._byte_of: dict[int, int] = {}

    def _byte(self, char_offset: int) -> int:
        if char_offset not in self._byte_of:
            self._byte_of[char_offset] = len(self._text[:char_offset].encode("utf-8"))
        return self._byte_of[char_offset]

    def between(self, start: int, end: int) -> list[str]:
        """Qualified names referenced in characters ``start..end`` of the text, each once, in
        order of first use."""
        a, b = self._byte(start), self._byte(end)
        out: dict[str, None] = {}
        for r in self._refs[bisect.bisect_left(self._starts, a):]:
            if r.start >= b:
                break
            out.setdefault(r.name, None)
        return list(out)
