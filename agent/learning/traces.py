"""``qstar trace``: human proofs to (state, tactic, next state) records, resumable per file.

Sources are ``.v`` files, ``.lean`` files (through the REPL of a Lake project), folders of them,
or the word ``stdlib`` (the Coq standard library's sources, optionally one split of the suite's
file split). Each file's records are appended in one write, followed by a line in
``OUT.done.jsonl``; on restart, finished files are skipped and records of an unfinished file
are dropped before it is traced again, so nothing is lost and nothing is duplicated.
"""

from __future__ import annotations

import json
import os
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated

import tyro

from agent.backends import UsageError, backend_for, backend_named, coq_user_contrib


@dataclass
class TraceConfig:
    """Replay human proofs into (goals, tactic, next goals) steps."""

    sources: Annotated[tyro.conf.Positional[list[str]], tyro.conf.arg(metavar="SOURCE")]
    """.v / .lean files, folders, `stdlib` (the installed Coq standard library), or `lib:NAME`
    (an installed Coq library or one of its files, e.g. `lib:Coquelicot`, `lib:Coquelicot/Lim_seq.v`:
    under Coq's user-contrib)."""
    out: str
    """Output JSONL: one record per step {file, theorem, step, goals, tactic, next_goals, proved}."""
    split: str = ""
    """Only files of this split (train / valid / test), by the hash of the file's name the stdlib
    suite and the corpus use: with `stdlib` and `lib:NAME` (the held-out library files alone are
    `lib:NAME --split test`, what `evals/library_suite.py` draws from)."""
    limit_files: int = 0
    """At most this many files (0: all)."""
    tactic_timeout: float = 30.0
    """Wall-clock seconds per replayed tactic."""
    file_timeout: float = 0.0
    """Wall-clock seconds per file (0: no cap): past it no further lemma of the file is started,
    and the file's row in OUT.done.jsonl counts the lemmas left (``capped``)."""
    lean_project: str = ""
    """Lake project whose REPL traces .lean files (default: lean_project/)."""


def _expand(cfg: TraceConfig) -> list[tuple[str, str]]:
    """(display name, absolute path) of every file to trace, in a stable order."""
    out = []
    for src in cfg.sources:
        if src == "stdlib":
            out += backend_named("coq").library_files(cfg.split)
            continue
        lib = src.startswith("lib:")
        if lib:
            src = os.path.join(coq_user_contrib(), src[4:])
            if not os.path.exists(src):
                raise UsageError(f"no installed Coq library {src}: install it (apt-get install libcoq-...) "
                                 "or give its folder")
        if os.path.isdir(src):
            files = sorted(p for p in Path(src).rglob("*") if p.suffix in (".v", ".lean"))
            named = [(_display(p), str(p.resolve())) for p in files]
            if cfg.split and lib:
                from agent.backends import file_split
                named = [(n, p) for n, p in named if file_split(n) == cfg.split]
            out += named
        elif os.path.isfile(src) and src.endswith((".v", ".lean")):
            out.append((_display(Path(src)), str(Path(src).resolve())))
        else:
            raise UsageError(f"not a .v/.lean file, a folder or `stdlib`: {src}")
    return out[:cfg.limit_files or None]


def _display(p: Path) -> str:
    """A file's name in the records: relative to user-contrib for an installed library's file
    (``Coquelicot/Lim_seq.v``, the same on every machine, so its split is too), else as given."""
    try:
        return p.resolve().relative_to(Path(coq_user_contrib()).resolve()).as_posix()
    except (ValueError, IndexError):
        return str(p)


def run_trace(cfg: TraceConfig) -> int:
    from tqdm import tqdm

    from agent.io import JsonlLog
    files = _expand(cfg)
    if not files:
        raise UsageError("no source file to trace")
    done = JsonlLog(cfg.out + ".done.jsonl", key="file")
    if os.path.exists(cfg.out):  # drop records of a file whose tracing was interrupted
        with open(cfg.out, encoding="utf-8") as f:
            keep = [line for line in f if line.endswith("\n") and json.loads(line)["file"] in done.done]
        with open(cfg.out, "w", encoding="utf-8") as f:
            f.writelines(keep)
    envs: dict[str, object] = {}  # one prover per backend, reused across files
    total = sum(r["steps"] for r in done.rows)
    try:
        with open(cfg.out, "a", encoding="utf-8") as out, tqdm(files, desc="trace", unit="file",
                                                               file=sys.stderr, disable=None) as bar:
            for name, path in bar:
                if name in done.done:
                    continue
                # a .v file in a project is traced in its project's load path (_CoqProject, dune)
                backend = backend_for(path, lean_project=cfg.lean_project or None)
                if (why := backend.missing()) is not None:
                    raise UsageError(f"tracing {name}: {why}")
                key = (backend.name, backend.coq_args)  # one prover per load path, reused across files
                if backend.name == "coq" and key not in envs:
                    for other in envs.values():  # files come library by library: one prover alive at a time
                        other.close()
                    envs.clear()
                    envs[key] = backend.make_env()
                t0 = time.monotonic()
                rows, stats = backend.trace_file(envs.get(key), path, name, cfg.tactic_timeout, cfg.file_timeout)
                stats["seconds"] = round(time.monotonic() - t0, 1)
                out.write("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows))
                out.flush()
                os.fsync(out.fileno())
                done.append({"file": name, "steps": len(rows), **stats})
                total += len(rows)
                bar.set_postfix(steps=total)
    finally:
        for env in envs.values():
            env.close()
        done.close()
    lemmas = sum(r.get("traced", 0) for r in done.rows)
    failures = sum(r.get("replay_failures", 0) + r.get("start_errors", 0) for r in done.rows)
    print(f"traced {total} steps of {lemmas} lemmas from {len(done.rows)} files "
          f"({failures} lemmas did not replay); wrote {cfg.out}")
    return 0

