"""The human proofs of the user's file, traced into steps, for the theorems below them.

Tactician and Rango win on library files by learning the project as it is checked: by the time a
theorem is reached, every proof above it is in the database. ``qstar prove`` does the same for
the file it proves: before the first search, every closed proof of the file (``Qed``) is replayed
step by step in the file's load path (``Backend.trace_file``: the state before, the step, the
state after), and before each open theorem the steps of the proofs *above it* join retrieval
(``Searcher.study``). A theorem never sees its own proof (it has none: it is open) nor a later
one: steps are handed over in file order, and with several workers only the steps above the
first open theorem are handed over (the theorems then run in any order).

The traced steps are cached on disk beside the file (``.qstar/``, keyed by the file's text, the
load path and Coq's version), so a second run on the same file starts its first search without
tracing again. ``bench`` does the same for an item whose header is its file above the theorem (the
library-files suite): the header is traced once per file (``build_text``, cached in qstar's cache
folder) and each item holds the steps of the proofs above its own theorem (``SuiteItem.project``),
which the search's policy reads as its own retrieval source (``proj``: ``agent.policies.mixed``).
``prove`` also traces the project files the file requires (``coq_env/requires.py``, ``Backend.required_files``: found
through its load path, each cached beside itself): their steps stand above every theorem of the
file. Not yet here: Q's use of the steps.
"""

from __future__ import annotations

import gzip
import hashlib
import json
import os
import sys
import time
from dataclasses import dataclass, field

from agent.env import Goal


@dataclass
class ProjectIndex:
    """The traced steps of a file's proofs, each with the position of its proof among the file's
    declarations."""

    rows: list[dict] = field(default_factory=list)  # {"decl": k, "theorem", "goals", "tactic"}
    order: list[str] = field(default_factory=list)  # every declaration's name, in file order
    seconds: float = 0.0  # tracing time (0 when read from the cache)
    cached: bool = False
    proofs: int = 0  # proofs whose steps replayed
    others: list[dict] = field(default_factory=list)  # rows of the project files the file requires
    other_files: list[str] = field(default_factory=list)
    # the rows' goals read once (every theorem's rows share them), built at the first ask
    _steps: list | None = field(default=None, init=False, repr=False, compare=False)
    _other_steps: list | None = field(default=None, init=False, repr=False, compare=False)

    def add_file(self, path: str, other: "ProjectIndex") -> None:
        """The steps of a project file this file requires: above every theorem of it."""
        self.others += [{**r, "decl": -1, "file": path} for r in other.rows]
        self._other_steps = None
        self.other_files.append(path)
        self.seconds += other.seconds
        self.cached = self.cached and other.cached

    def visible(self, at: int) -> list[tuple[tuple[Goal, ...], str, int]]:
        """What the theorem at declaration ``at`` may see: the required files' steps and those of
        the proofs above it in its own file."""
        if self._other_steps is None:
            self._other_steps = _pairs(self.others)
        return self._other_steps + self.between(0, at)

    def position(self, name: str, after: int = -1) -> int:
        """The file-order index of declaration ``name`` (the first after ``after``), or
        ``len(order)`` when the file has none by that name."""
        return _index_of(self.order, name, after)

    def between(self, start: int, end: int) -> list[tuple[tuple[Goal, ...], str, int]]:
        """The (goals, step, place) rows of the proofs of declarations ``start <= k < end``."""
        if self._steps is None:
            self._steps = _pairs(self.rows)
        return [p for r, p in zip(self.rows, self._steps) if start <= r["decl"] < end]

    def summary(self) -> dict:
        return {"steps": len(self.rows), "proofs": self.proofs, "tracing_seconds": round(self.seconds, 2),
                "cached": self.cached, "required_files": len(self.other_files), "required_steps": len(self.others)}


def _pairs(rows) -> list[tuple[tuple[Goal, ...], str, int]]:
    """(goals, step, place) rows: ``place`` is the step's index in its proof (the rows of a proof
    are consecutive, in order), which the project source's ranker reads."""
    out, proof, place = [], None, 0
    for r in rows:
        key = (r.get("file"), r["decl"], r["theorem"])
        place = place + 1 if key == proof else 0
        proof = key
        out.append((tuple(Goal.from_json(g) for g in r["goals"]), r["tactic"], place))
    return out


def build(backend, path: str, text: str, *, step_timeout: float = 10.0, file_timeout: float = 300.0) -> ProjectIndex:
    """The index of ``text`` (the user's file at ``path``), from the cache beside it or traced."""
    return _build(backend, text, os.path.join(os.path.dirname(os.path.abspath(path)), ".qstar"),
                  lambda env: backend.trace_file(env, path, os.path.basename(path), step_timeout, file_timeout))


def build_text(backend, text: str, *, step_timeout: float = 10.0, file_timeout: float = 300.0) -> ProjectIndex:
    """The index of a file's text that is not on disk (a bench item's header: its file above the
    theorem), traced from a copy in qstar's cache folder, where the index is cached too."""
    from agent.proc.cache import home
    folder = home() / "project-index"

    def trace(env):
        import tempfile
        os.makedirs(folder, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=folder, suffix=".v")
        try:
            with os.fdopen(fd, "w", encoding="utf-8") as f:
                f.write(text)
            return backend.trace_file(env, tmp, "header.v", step_timeout, file_timeout)
        finally:
            os.unlink(tmp)
    return _build(backend, text, str(folder), trace)


def closed_proofs(backend, text: str) -> int:
    """How many proofs of ``text`` end in ``Qed`` or ``Defined`` (0 where it does not parse): a text
    with none has nothing to trace."""
    try:
        return sum(1 for _, steps in backend.proof_scripts(text) if steps)
    except backend.parse_error:
        return 0


def _build(backend, text: str, folder: str, trace) -> ProjectIndex:
    try:
        order = [th.name for th, _ in backend.proof_scripts(text)]
    except backend.parse_error:
        return ProjectIndex()
    key = hashlib.sha256(json.dumps([text, list(backend.coq_args), _version()]).encode()).hexdigest()[:32]
    cache = os.path.join(folder, f"index-{key}.jsonl.gz")
    try:
        with gzip.open(cache, "rt", encoding="utf-8") as f:
            head = json.loads(f.readline())
            rows = [json.loads(ln) for ln in f if ln.strip()]
        return ProjectIndex(rows, order, 0.0, True, head.get("proofs", 0))
    except (OSError, ValueError, EOFError):
        pass
    t0 = time.monotonic()
    try:  # the index is an aid: a prover that fails here costs the search its steps, never the run
        env = backend.make_env()
        try:
            traced, stats = trace(env)
        finally:
            env.close()
    except Exception as e:  # noqa: BLE001 (any failure of the prover or the tracer)
        print(f"qstar: the file's proofs are not traced ({type(e).__name__}: {' '.join(str(e).split())[:200]}); "
              "its theorems are searched without them", file=sys.stderr)
        return ProjectIndex(order=order, seconds=time.monotonic() - t0)
    rows, at = [], -1
    last = None
    for r in traced:  # rows come in file order: match each proof to its declaration
        if r["theorem"] != last:
            at, last = _index_of(order, r["theorem"], at), r["theorem"]
        rows.append({"decl": at, "theorem": r["theorem"], "goals": r["goals"], "tactic": r["tactic"]})
    index = ProjectIndex(rows, order, time.monotonic() - t0, False, stats.get("traced", 0))
    _write(cache, index)
    return index


def _index_of(order: list[str], name: str, after: int) -> int:
    """The index of ``name`` in ``order`` after ``after`` (``len(order)``: none, never above any)."""
    for k in range(after + 1, len(order)):
        if order[k] == name:
            return k
    return len(order)


def _write(cache: str, index: ProjectIndex) -> None:
    """The cache, written whole or not at all (a folder the user cannot write to: said, skipped)."""
    try:
        os.makedirs(os.path.dirname(cache), exist_ok=True)
        tmp = f"{cache}.{os.getpid()}.tmp"
        with gzip.open(tmp, "wt", encoding="utf-8") as f:
            f.write(json.dumps({"proofs": index.proofs}) + "\n")
            for r in index.rows:
                f.write(json.dumps(r, ensure_ascii=False) + "\n")
        os.replace(tmp, cache)
    except OSError as e:
        print(f"qstar prove: the traced steps are not cached ({e}); the next run traces them again",
              file=sys.stderr)


def _version() -> str:
    from agent.backends import coq_version
    return coq_version()
