"""The Coq standard library as a benchmark: its ``Qed`` lemmas, split by file into train /
valid / test.

The split is by file (so no theorem's neighbours leak across splits) and deterministic: a
file's split is a function of its path's SHA-256 alone. Rows name their context by reference
(``source``: a .v file under ``coqc -where``, ``offset``: where the theorem starts) instead of
inline, because inlining every prefix would make the suite quadratic in size.
"""

from __future__ import annotations

import functools
import hashlib
import subprocess
from pathlib import Path

# What ``qstar bench`` loads before every Coq header: the arithmetic decision procedures.
PRELUDE = "From Coq Require Import Lia Lra Psatz.\n"

# Init/ is compiled with -noinit and cannot be replayed inside a session that has the prelude;
# these folders' files need plugins or flags a plain session does not set up.
_SKIP_DIRS = ("Init/", "Compat/", "extraction/", "Program/", "ssr/", "Floats/", "Array/",
              "Numbers/Cyclic/", "setoid_ring/", "nsatz/", "micromega/", "btauto/", "rtauto/",
              "funind/", "derive/", "Strings/")


@functools.lru_cache(maxsize=1)
def coq_where() -> str:
    """Coq's library folder (asked once per process: suites resolve hundreds of files by it)."""
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
    from agent.io import write_jsonl
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


def source_text(rel_path: str, root: str | None = None) -> str:
    """The text of a stdlib file, by its path relative to theories/."""
    return (Path(root or coq_where()) / "theories" / rel_path).read_text(encoding="utf-8")


def library_files(split: str = "") -> list[tuple[str, str]]:
    """(name relative to theories/, absolute path) of the suite's stdlib files, of one split or all."""
    base = Path(coq_where()) / "theories"
    return [(rel, str(base / rel)) for rel in stdlib_files() if not split or split_of(rel) == split]
