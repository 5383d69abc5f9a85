"""The traced corpus (``scripts/corpus.sh``) read for training and evaluation.

Rows are ``qstar trace`` records of the Coq standard library and Debian's Coq libraries. A file's
split is ``backends.file_split`` of its name (``Coquelicot/Lim_seq.v``, ``Lists/List.v``), so
every row of a file is in one split and the test files are never trained on. A file's library
is the first part of its name when that names an installed library folder, else ``Coq`` (the
standard library, whose names are relative to ``theories/``).
"""

from __future__ import annotations

import json
import os
import sys
from collections import defaultdict
from pathlib import Path

from agent.learned.premises import Premise


def read_rows(path: str, splits: set[str] | None = None) -> list[dict]:
    """The corpus rows of these splits (all when None), each with ``split`` set."""
    from agent.backends import file_split
    out = []
    split_of: dict[str, str] = {}
    with open(path, encoding="utf-8") as f:
        for line in f:
            if not line.strip():
                continue
            r = json.loads(line)
            s = split_of.get(r["file"]) or split_of.setdefault(r["file"], file_split(r["file"]))
            if splits is None or s in splits:
                r["split"] = s
                out.append(r)
    return out


def traced_files(path: str) -> list[str]:
    """Names of the files the corpus traced (its ``.done.jsonl``), in order."""
    done = path + ".done.jsonl"
    if not os.path.exists(done):
        return sorted({r["file"] for r in read_rows(path)})
    with open(done, encoding="utf-8") as f:
        return [json.loads(line)["file"] for line in f if line.strip()]


def library_of(name: str) -> str:
    from agent.backends import coq_user_contrib
    first = name.split("/", 1)[0]
    return first if "/" in name and os.path.isdir(os.path.join(coq_user_contrib(), first)) else "Coq"


def source_path(name: str) -> str | None:
    """Where a traced file's source is: an absolute name, an installed library's file, a stdlib file."""
    from agent.backends import backend_named, coq_user_contrib
    if os.path.isabs(name):
        return name if os.path.exists(name) else None
    lib = os.path.join(coq_user_contrib(), name)
    if os.path.exists(lib):
        return lib
    std = dict(backend_named("coq").library_files(""))
    return std.get(name) or (name if os.path.exists(name) else None)


def read_premises(files: list[str]) -> list[Premise]:
    """The theorems the corpus files state (name, statement, file, offset), in file order."""
    from agent.backends import backend_named
    scripts = backend_named("coq").proof_scripts
    out, skipped = [], 0
    for name in files:
        path = source_path(name)
        try:
            if path is None:
                raise OSError("not found in the installed libraries")
            theorems = scripts(Path(path).read_text(encoding="utf-8"))
        except (ValueError, OSError, UnicodeDecodeError) as e:
            print(f"generator premises: skipping {name}: {e}", file=sys.stderr)
            skipped += 1
            continue
        out += [Premise(th.name, th.statement, name, len(th.context)) for th, _ in theorems]
    if skipped:
        print(f"generator premises: {skipped} of {len(files)} corpus files skipped (their lemmas are not "
              "premises)", file=sys.stderr)
    return out


class PremiseScope:
    """The premises a theorem may use, approximated: the standard library's, its own library's
    (other files) and its own file's stated before it. (Exact would be what its file's
    ``Require``s load, transitively; the library approximation errs on the side of more.)"""

    def __init__(self, premises: list[Premise]):
        self.premises = premises
        self.by_lib: dict[str, set[int]] = defaultdict(set)
        self.by_file: dict[str, list[int]] = defaultdict(list)
        for i, p in enumerate(premises):
            self.by_lib[library_of(p.file)].add(i)
            self.by_file[p.file].append(i)
        self._base: dict[str, set[int]] = {}

    def allowed(self, file: str, offset: int) -> set[int]:
        if file not in self._base:
            lib = library_of(file)
            own = set(self.by_file.get(file, ()))
            self._base[file] = (self.by_lib.get(lib, set()) | self.by_lib.get("Coq", set())) - own
        return self._base[file] | {i for i in self.by_file.get(file, ()) if self.premises[i].offset < offset}
