"""Theorem suites: JSONL files of {name, split, header, formal_statement}, and the Coq
standard-library suite split by file into train / valid / test.

A row's ``header`` is the context the statement needs; ``formal_statement`` is the declaration
(Coq: ending in ``.``; Lean: ending in ``:= by sorry``, which is cut off here). Coq stdlib rows
name their context by reference instead of inline (``source``: a .v file under ``coqc -where``,
``offset``: where the theorem starts), because inlining every prefix would make the file
quadratic in size; ``load_suite`` resolves them.

The stdlib split is by file (so no theorem's neighbours leak across splits) and deterministic:
a file's split is a function of its path's SHA-256 alone.
"""

from __future__ import annotations

import hashlib
import os
import re
import subprocess
from dataclasses import dataclass
from pathlib import Path

from agent.env import Theorem

# Init/ is compiled with -noinit and cannot be replayed inside a session that has the prelude;
# these folders' files need plugins or flags a plain session does not set up.
_SKIP_DIRS = ("Init/", "Compat/", "extraction/", "Program/", "ssr/", "Floats/", "Array/",
              "Numbers/Cyclic/", "setoid_ring/", "nsatz/", "micromega/", "btauto/", "rtauto/",
              "funind/", "derive/", "Strings/")


@dataclass(frozen=True)
class SuiteItem:
    id: str  # unique within the suite (stdlib names repeat across files: "file.v:name")
    theorem: Theorem
    split: str
    source: str = ""  # file it came from, when known
    bare: Theorem | None = None  # the theorem without a bench prelude (tried when that fails to load)


def coq_where() -> str:
    return subprocess.run(["coqc", "-where"], capture_output=True, text=True, timeout=30,
                          check=True).stdout.strip()


def stdlib_files(root: str | None = None) -> list[str]:
    """Paths (relative to theories/) of the stdlib files the suite draws from, sorted."""
    base = Path(root or coq_where()) / "theories"
    out = []
    for p in sorted(base.rglob("*.v")):
        rel = p.relative_to(base).as_posix()
        if not rel.startswith(_SKIP_DIRS):
            out.append(rel)
    return out


def split_of(rel_path: str, *, valid: float = 0.1, test: float = 0.1) -> str:
    h = int(hashlib.sha256(rel_path.encode()).hexdigest()[:8], 16) / 0xFFFFFFFF
    return "test" if h < test else "valid" if h < test + valid else "train"


def write_stdlib_suite(out: str, *, root: str | None = None, max_per_file: int = 0) -> dict:
    """Write the stdlib suite JSONL (one row per Qed-proved lemma); returns counts per split."""
    from agent.jsonl import write_jsonl
    from coq_env.files import parse_coq_file
    from coq_env.sentences import SentenceError
    base = Path(root or coq_where()) / "theories"
    rows, counts = [], {"train": 0, "valid": 0, "test": 0}
    for rel in stdlib_files(root):
        try:
            decls = parse_coq_file((base / rel).read_text(encoding="utf-8"))
        except (SentenceError, UnicodeDecodeError):
            continue
        split = split_of(rel)
        kept = [d for d in decls if d.terminator == "Qed" and not d.is_open][:max_per_file or None]
        for d in kept:
            rows.append({"id": f"{rel}:{d.name}", "name": d.name, "split": split, "source": rel,
                         "offset": d.stmt_start,
                         "formal_statement": d.statement})
            counts[split] += 1
    write_jsonl(out, rows)
    return counts


def _cut_lean_proof(stmt: str) -> str:
    return re.sub(r":=\s*(by\s+)?sorry\s*$", "", stmt.rstrip()).rstrip()


def load_suite(path: str, *, split: str = "", backend: str = "", prelude: str = "",
               limit: int = 0, spread: bool = False) -> list[SuiteItem]:
    """Theorems of a suite file (optionally one split, at most ``limit``), in file order.

    Ids are unique: the k-th repeat of an id (one name in two modules of a file) gets ``#k``.

    With ``spread``, the ``limit`` theorems are evenly spaced over the split rather than its
    first ones (a stdlib split in file order starts with a hundred lemmas of one file).

    ``prelude`` is put before every header (e.g. tactic libraries such as Lia); the statement
    and header are never changed.
    """
    from agent.backends import UsageError
    from agent.jsonl import read_jsonl
    if not os.path.isfile(path):
        raise UsageError(f"no such suite file: {path}")
    try:
        rows = read_jsonl(path, ("name", "formal_statement"), allow_empty=True)
    except ValueError as e:
        raise UsageError(f"not a suite: {e}") from None
    items: list[SuiteItem] = []
    root = None
    cache: dict[str, str] = {}
    seen: dict[str, int] = {}
    for row in rows:
        name, stmt = row["name"], row["formal_statement"]
        if split and row.get("split", "") != split:
            continue
        kind = backend or ("lean" if ":= by sorry" in stmt or "import " in row.get("header", "") else "coq")
        if "header" in row:
            header = row["header"]
        elif "source" in row:
            root = root or coq_where()
            src = row["source"]
            if src not in cache:
                cache[src] = (Path(root) / "theories" / src).read_text(encoding="utf-8")
            header = cache[src][:int(row["offset"])]
        else:
            header = ""
        statement = _cut_lean_proof(stmt) if kind == "lean" else stmt.strip()
        ident = row.get("id", name)
        seen[ident] = seen.get(ident, 0) + 1
        if seen[ident] > 1:  # a name used twice in one file (two modules): "F.v:add_1#2"
            ident = f"{ident}#{seen[ident]}"
        items.append(SuiteItem(ident,
                               Theorem(name=name, statement=statement, context=prelude + header,
                                       backend=kind), row.get("split", ""), row.get("source", "")))
        if limit and not spread and len(items) >= limit:
            break
    if limit and spread and len(items) > limit:
        items = [items[i * len(items) // limit] for i in range(limit)]
    return items
