"""Theorem suites: JSONL files of {name, split, header, formal_statement}.

A row's ``header`` is the context the statement needs; ``formal_statement`` is the declaration
(Coq: ending in ``.``; Lean: ending in ``:= by sorry``, which is cut off here); optional ``opener``
is how the file opens the proof when not plainly (``Proof using x.``), ``backend`` names the
prover when the text alone would not. Coq stdlib rows
name their context by reference instead of inline (``source``: a .v file under ``coqc -where``,
``offset``: where the theorem starts), because inlining every prefix would make the file
quadratic in size; ``load_suite`` resolves them through the backend (``coq_env.stdlib``).
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass

from agent.env import Theorem

@dataclass(frozen=True)
class SuiteItem:
    id: str  # unique within the suite (stdlib names repeat across files: "file.v:name")
    theorem: Theorem
    split: str
    source: str = ""  # file it came from, when known
    bare: Theorem | None = None  # the theorem without a bench prelude (tried when that fails to load)
    prelude: str = ""  # the bench prelude's libraries, placed one by one when they fail at the top
    project: tuple = ()  # (goals, step) rows of the human proofs above the theorem in its file


_LEAN_IMPORT = re.compile(r"^import\s", re.M)  # a Lean header's line; a Coq comment's "import" is not one


def _cut_lean_proof(stmt: str) -> str:
    return re.sub(r":=\s*(by\s+)?sorry\s*$", "", stmt.rstrip()).rstrip()


HALVES = ("iterate", "eval")


def half_of(name: str) -> str:
    """The fixed half of a theorem by a hash of its name: ``iterate`` (expert iteration may
    search it) or ``eval`` (never searched in training). crc32, so every run and machine agree."""
    import zlib
    return HALVES[zlib.crc32(name.encode("utf-8")) % 2]


def load_suite(path: str, *, split: str = "", limit: int = 0, spread: bool = False,
               half: str = "") -> list[SuiteItem]:
    """Theorems of a suite file (optionally one split, at most ``limit``), in file order.

    Ids are unique: the k-th repeat of an id (one name in two modules of a file) gets ``#k``.

    With ``half`` (``iterate`` or ``eval``), only the theorems of that half (``half_of``).
    With ``spread``, the ``limit`` theorems are evenly spaced over the split rather than its
    first ones (a stdlib split in file order starts with a hundred lemmas of one file).
    """
    from agent.backends import UsageError
    from agent.io import read_jsonl
    if not os.path.isfile(path):
        raise UsageError(f"no such suite file: {path}")
    try:
        rows = read_jsonl(path, ("name", "formal_statement"), allow_empty=True)
    except ValueError as e:
        raise UsageError(f"not a suite: {e}") from None
    items: list[SuiteItem] = []
    cache: dict[str, str] = {}
    seen: dict[str, int] = {}
    for row in rows:
        name, stmt = row["name"], row["formal_statement"]
        if split and row.get("split", "") != split or half and half_of(name) != half:
            continue
        kind = row.get("backend") or ("lean" if ":= by sorry" in stmt or _LEAN_IMPORT.search(row.get("header", ""))
                                      else "coq")
        if "header" in row:
            header = row["header"]
        elif "source" in row:
            src = row["source"]
            if src not in cache:
                from agent.backends import backend_named
                cache[src] = backend_named("coq").library_source(src)
            header = cache[src][:int(row["offset"])]
        else:
            header = ""
        statement = _cut_lean_proof(stmt) if kind == "lean" else stmt.strip()
        ident = row.get("id", name)
        seen[ident] = seen.get(ident, 0) + 1
        if seen[ident] > 1:  # a name used twice in one file (two modules): "F.v:add_1#2"
            ident = f"{ident}#{seen[ident]}"
        items.append(SuiteItem(ident,
                               Theorem(name=name, statement=statement, context=header, backend=kind,
                                       opener=row.get("opener", "")), row.get("split", ""), row.get("source", "")))
        if limit and not spread and len(items) >= limit:
            break
    if limit and spread and len(items) > limit:
        items = [items[i * len(items) // limit] for i in range(limit)]
    return items
