"""A proof step as a skeleton with typed holes and the arguments that fill them.

``rewrite (Rplus_comm x 1) in H.`` in a state with locals ``x, H`` becomes the skeleton
``rewrite (⟨G0⟩ ⟨L0⟩ ⟨N0⟩) in ⟨L1⟩.`` with arguments ``G0 = Rplus_comm`` (a global: a lemma or
definition), ``L0 = x``, ``L1 = H`` (locals of the focused goal: hypotheses and variables) and
``N0 = 1`` (a numeral). Everything else — the tactic's name, its keywords, intro patterns, names
the step creates — stays literal: the skeleton inventory is what the corpus holds, not a
hand-written grammar (Proverbot9001's stem + hypothesis arguments, Graph2Tac's base tactic +
local and global pointers). A nested term or tactic is covered by the same rule: its
identifiers become holes where they name a local or a global.

Which identifiers are globals is read from the step's ``globals`` (the ``.glob`` file's
references, fully qualified) where the trace has them, else from ``known_globals``: names the
corpus defines or references. A global hole's value is the name as the step writes it
(``Pos.eq_dec``); premises are keyed by the short name (``eq_dec``).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

HOLE = re.compile(r"⟨([LGN])(\d+)⟩")
# identifiers (with dotted qualification), numerals, and anything else one character at a time
_TOKEN = re.compile(r"[A-Za-z_][\w']*(?:\.[A-Za-z_][\w']*)*|\d+|\s+|.", re.S)
_BULLETS = re.compile(r"^[\s\-+*{}]*")


@dataclass(frozen=True)
class Abstracted:
    skeleton: str
    args: tuple[tuple[str, str], ...]  # (hole, value) in hole order: ("L0", "H"), ("G0", "Rplus_comm")


def normalize_step(tactic: str) -> str:
    """A step compared with another: leading bullets and braces dropped, whitespace collapsed."""
    return " ".join(_BULLETS.sub("", tactic).split()).rstrip(" }")


def short(name: str) -> str:
    return name.rsplit(".", 1)[-1]


def abstract(tactic: str, locals_: set[str], globals_: set[str]) -> Abstracted:
    """The skeleton of a step (its normalised text) and the arguments of its holes.

    ``locals_``: names of the focused goal's locals; ``globals_``: short names that denote
    globals in this step. A name bound by the step itself (``intros x``, ``as [a b]``) is not a
    local of the state before it and stays literal. A qualified name (``Rbar.Finite``) is a global
    when its last part is."""
    holes: dict[tuple[str, str], str] = {}
    counts = {"L": 0, "G": 0, "N": 0}
    out = []
    prev = ""
    for tok in _TOKEN.findall(normalize_step(tactic)):
        kind = None
        if tok[0].isdigit():
            # a numeral as a term argument, not an occurrence number (at 2) nor a goal selector (2: )
            kind = "N" if prev.strip() not in ("at", "") or out and out[-1].strip() == "(" else None
        elif (tok[0].isalpha() or tok[0] == "_") and not _tactic_position(prev):
            if tok in locals_:
                kind = "L"
            elif short(tok) in globals_:
                kind = "G"  # the value as written (``Pos.eq_dec``): its short name keys the premise
        if kind is None:
            out.append(tok)
        else:
            key = (kind, tok)
            if key not in holes:
                holes[key] = f"{kind}{counts[kind]}"
                counts[kind] += 1
            out.append(f"⟨{holes[key]}⟩")
        if not tok.isspace():
            prev = tok
    args = tuple(sorted(((h, v) for (_, v), h in holes.items()), key=lambda hv: (hv[0][0], int(hv[0][1:]))))
    return Abstracted("".join(out), args)


# Words after which the next word names a tactic, not a term: a lemma may share a tactic's name
# (``reflexivity``, ``split``, ``apply`` are globals of some library), and in a file traced
# without its .glob only the position tells them apart.
_TACTIC_BEFORE = frozenset({"", ";", "|", "||", "[", "try", "repeat", "now", "by", "progress", "solve",
                            "first", "abstract", "once", "exactly_once"})


def _tactic_position(prev: str) -> bool:
    return prev in _TACTIC_BEFORE


def holes(skeleton: str) -> list[str]:
    """The distinct holes of a skeleton in order of first occurrence."""
    seen: dict[str, None] = {}
    for m in HOLE.finditer(skeleton):
        seen.setdefault(m.group(1) + m.group(2), None)
    return list(seen)


def fill(skeleton: str, args: dict[str, str]) -> str:
    return HOLE.sub(lambda m: args[m.group(1) + m.group(2)], skeleton)


def kind_of(skeleton: str) -> str:
    """The skeleton's tactic name (its first word), for per-kind figures."""
    m = re.match(r"\s*([A-Za-z_][\w']*)", skeleton)
    return m.group(1) if m else skeleton[:8]
