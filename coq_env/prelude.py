"""What a written file keeps of the imports ``--imports auto`` added for the search: only the
libraries its proofs' tactics name, and each proved theorem's ``Import`` only above a theorem
whose proof needs it.

Every answer here is a hint read from the tactics' text: the prover writes the trimmed file only
after it passes the whole-file check (``agent.prove.command``), and keeps the full one otherwise.
"""

from __future__ import annotations

import re

from coq_env.hammer import uses_tactics as _hammer_used
from coq_env.imports import split_line
from coq_env.procedures import NSATZ_LINE, line_used

_WORD = r"(?<![\w'.]){}(?![\w'])"
# Qualified module -> the tactics of it a proof step might call.
_TACTICS = {
    "Coq.micromega.Lia": re.compile(_WORD.format("(?:lia|nia)")),
    "Coq.micromega.Lra": re.compile(_WORD.format("(?:lra|nra)")),
    "Coq.micromega.Psatz": re.compile(_WORD.format("psatz")),
    "Coq.setoid_ring.Field": re.compile(_WORD.format("(?:field|field_simplify|field_simplify_eq|ring|ring_simplify)")),
    "Interval.Tactic": re.compile(_WORD.format("(?:interval|interval_intro)")),
}
_SHORT = {"Coq.micromega.Lia": "Lia", "Coq.micromega.Lra": "Lra", "Coq.micromega.Psatz": "Psatz",
          "Coq.setoid_ring.Field": "Field", "Hammer.Tactics.Tactics": "Tactics", "Interval.Tactic": "Tactic"}


def needs(module: str, tactics) -> bool:
    """Might these steps need ``module`` imported? (True for a module qstar does not know: a
    library the user named with ``--imports`` stays.)"""
    if module == "Hammer.Tactics.Tactics":
        return _hammer_used(tactics)
    pattern = _TACTICS.get(module)
    return pattern is None or any(pattern.search(t) for t in tactics)


def trimmed(line: str, proofs: dict[str, tuple[str, ...]]) -> tuple[str, dict[str, str]]:
    """(``line`` less the libraries no proof needs; {proved theorem: the ``Import`` its proof
    needs, absent when none})."""
    _, imports = split_line(line)
    modules = imports[len("Import "):-1].split() if imports else []
    used = [m for m in modules if any(needs(m, p) for p in proofs.values())]
    out = []
    for ln in line.splitlines():
        words = ln.split()
        if ln.strip() == NSATZ_LINE:
            if any(line_used(NSATZ_LINE, p) for p in proofs.values()):
                out.append(ln)
            continue
        if "Import" not in words and "Export" not in words:
            out.append(ln)
            continue
        head = words[:words.index("Import" if "Import" in words else "Export") + 1]
        names = [n.rstrip(".") for n in words[len(head):]]
        kept = [n for n in names if not _dropped(n, modules, used)]
        if kept:
            out.append(" ".join(head + kept) + ".")
    before = {}
    for name, tactics in proofs.items():
        mine = [m for m in used if needs(m, tactics)]
        if mine:
            before[name] = "Import " + " ".join(mine) + "."
    return "\n".join(out), before


def _dropped(name: str, modules: list[str], used: list[str]) -> bool:
    """Is the library ``name`` (as a Require line spells it) one of ``modules`` that no proof uses?"""
    for m in modules:
        if name in (m, _SHORT.get(m)):
            return m not in used
    return False
