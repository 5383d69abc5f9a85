"""The held-out library-files suite: theorems of the corpus's *test* files of Debian's Coq libraries
(never trained on: ``backends.file_split``), each in its own file's context, as a user's file is
proved (Tactician and Graph2Tac are measured this way): the row's header is the file up to the
theorem, read in the library's logical path (``Add Rec LoadPath "<its folder>" as <Lib>.``, what
``-R <its folder> <Lib>`` gives its own build: its files require their siblings by short name).

Only theorems the tracer replayed in their file (rows of the corpus) are drawn, so every context
is known to load; at most ``--per-file`` per file, spread evenly over the file. The standard
library's test split is its own suite (``qstar stdlib-suite``).

  python evals/library_suite.py [--corpus corpus/steps.jsonl] [--per-file 3]
                                [--out runs/library_suite/suite.jsonl]

Prints a table of theorems per library and writes the suite JSONL.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from collections import defaultdict
from dataclasses import asdict, dataclass
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))


@dataclass
class LibrarySuiteConfig:
    """Settings of the suite."""

    corpus: str = "corpus/steps.jsonl"
    """The traced corpus (scripts/corpus.sh)."""
    per_file: int = 3
    """At most this many theorems of each test file."""
    out: str = "runs/library_suite/suite.jsonl"
    """Where the suite JSONL goes."""


def replayed_theorems(corpus: str, files: set[str]) -> dict[str, set[str]]:
    """Names of the theorems of ``files`` that the corpus has rows for (read by a cheap prefix
    test first: the corpus is hundreds of MB)."""
    out: dict[str, set[str]] = defaultdict(set)
    keys = {json.dumps(f) for f in files}
    with open(corpus, encoding="utf-8") as fh:
        for line in fh:
            head = line[9:9 + 200]  # after '{"file": '
            if not any(head.startswith(k) for k in keys):
                continue
            r = json.loads(line)
            if r["file"] in files:
                out[r["file"]].add(r["theorem"])
    return out


def suite_rows(cfg: LibrarySuiteConfig) -> list[dict]:
    from agent.backends import coq_user_contrib, file_split
    from agent.generator.corpus import library_of, source_path, traced_files
    from coq_env.files import parse_coq_file
    from coq_env.sentences import SentenceError
    tests = [f for f in traced_files(cfg.corpus) if file_split(f) == "test" and library_of(f) != "Coq"]
    replayed = replayed_theorems(cfg.corpus, set(tests))
    rows = []
    for name in tests:
        path = source_path(name)
        if path is None or not replayed.get(name):
            continue
        text = Path(path).read_text(encoding="utf-8")
        try:
            decls = parse_coq_file(text)
        except SentenceError:
            continue
        kept = [d for d in decls if d.terminator == "Qed" and not d.is_open and d.name in replayed[name]]
        if cfg.per_file and len(kept) > cfg.per_file:
            kept = [kept[i * len(kept) // cfg.per_file] for i in range(cfg.per_file)]
        lib = library_of(name)
        loadpath = f'Add Rec LoadPath "{os.path.join(coq_user_contrib(), lib)}" as {lib}.\n'
        for d in kept:
            row = {"id": f"{name}:{d.name}", "name": d.name, "split": "test", "library": lib,
                   "source": name, "header": loadpath + text[:d.stmt_start], "formal_statement": d.statement}
            if d.opener != "Proof.":
                row["opener"] = d.opener
            rows.append(row)
    return rows


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    for k, v in asdict(LibrarySuiteConfig()).items():
        p.add_argument("--" + k.replace("_", "-"), type=type(v), default=v)
    cfg = LibrarySuiteConfig(**vars(p.parse_args(argv)))
    if not os.path.exists(cfg.corpus):
        print(f"library_suite: no corpus at {cfg.corpus} (scripts/corpus.sh traces it)", file=sys.stderr)
        return 2
    rows = suite_rows(cfg)
    from agent.io import write_jsonl
    os.makedirs(os.path.dirname(os.path.abspath(cfg.out)), exist_ok=True)
    write_jsonl(cfg.out, rows)
    per_lib: dict[str, list[int]] = defaultdict(lambda: [0, 0])
    for r in rows:
        per_lib[r["library"]][0] += 1
    for lib, files in defaultdict(set, {lib: {r["source"] for r in rows if r["library"] == lib}
                                        for lib in per_lib}).items():
        per_lib[lib][1] = len(files)
    print(f"{'library':<14} {'files':>5} {'theorems':>8}")
    for lib, (n, f) in sorted(per_lib.items()):
        print(f"{lib:<14} {f:>5} {n:>8}")
    print(f"{'all':<14} {sum(f for _, f in per_lib.values()):>5} {len(rows):>8}\n{cfg.out}  ({json.dumps(asdict(cfg))})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
