"""The composition root: the one module of ``agent`` that imports the backends.

A :class:`Backend` bundles what the rest of qstar needs from one prover: reading and writing
its files, a ``ProofEnv``, the sound final check, tracing human proofs, its library suite and
the tactic libraries a benchmark loads before each statement. Which backend serves a file is
chosen by extension (``.v`` Coq, ``.lean`` Lean 4); a suite names its backend per row.
"""

from __future__ import annotations

import dataclasses
import os
import shutil
from dataclasses import dataclass
from typing import Callable

from agent.env import Goal, ProofEnv, Theorem, Verdict


class UsageError(Exception):
    """Bad input from the user: reported as one line, exit status 2."""


@dataclass(frozen=True, kw_only=True)
class Backend:
    """Every field is named at construction (keyword-only): several are callables of the same
    type, and a reordered positional list would swap their behaviour without an error."""

    name: str  # "coq" | "lean"
    open_theorems: Callable[[str], list[Theorem]]  # file text -> open theorems
    with_proofs: Callable[[str, dict[str, tuple[str, ...]]], str]  # write proofs into the text
    make_env: Callable[[], ProofEnv]
    check_proof: Callable[[Theorem, tuple[str, ...]], Verdict]
    check_file: Callable[[str, str | None], list[Verdict]]  # (path, reference) -> verdicts
    parse_error: type[Exception]  # what its file parser raises on text it cannot read
    missing: Callable[[], str | None]  # why the prover cannot run here, or None
    # (env, path, display name, seconds per tactic) -> (trace rows, stats) of a file's proofs
    trace_file: Callable[[ProofEnv, str, str, float, float], tuple[list[dict], dict]]
    prelude: str = ""  # tactic libraries a benchmark loads before every header
    library_files: Callable[[str], list[tuple[str, str]]] | None = None  # split -> (name, path)
    library_source: Callable[[str], str] | None = None  # a library file's text by its name
    import_line: Callable[[str], str] = lambda imports: ""  # --imports -> the line to add ("" none)
    insert_imports: Callable[[str, str], str] = lambda text, line: text  # add it after the file's own
    # the added lines as (what loads the libraries, after the file's own imports; what imports
    # them, right above a theorem): nothing the user wrote before a theorem changes meaning
    split_imports: Callable[[str], tuple[str, str]] = lambda line: (line, "")
    # (added lines, proofs) -> (the lines the proofs use, {theorem: the Import above it})
    trim_imports: Callable[[str, dict], tuple[str, dict]] = lambda line, proofs: (line, {})
    added_imports: Callable[[str, str], list[str]] = lambda text, ref: []  # what a file adds to a reference
    # (file text, proofs found so far, theorem) -> its context when the file is proved in order
    context_in_order: Callable[[str, dict, str], str] | None = None
    usable_lemmas: Callable[[str], list[str]] = lambda context: []  # names a proof may apply
    # (name, statement, start) of the context's closed theorems, in file order
    lemma_statements: Callable[[str], list[tuple[str, str, int]]] = lambda context: []
    # what this process skipped and why, for a run's summary: {fallback: count}
    fallbacks: Callable[[], dict] = lambda: {}
    hammer_installed: Callable[[], bool] = lambda: False  # CoqHammer's tactics load here
    hammer_tactics: tuple[str, ...] = ()  # its cheap tactics (the sauto family)
    hammer_line: str = ""  # the import those tactics need
    hammer_suggest: Callable[[Theorem, float], tuple[str, ...]] | None = None  # (theorem, ATP limit) -> tactics
    procedures: Callable[[], object] = lambda: no_procedures()  # the decision procedures that run here
    unmet: Callable[[str], str | None] = lambda text: None  # why a file's proofs cannot be checked here
    # (file text, added lines) -> its names and notations the lines would give another meaning
    meaning_changes: Callable[[str, list[str]], list[str]] = lambda text, lines: []
    # file text -> every written tactic proof as (theorem, its steps), for qstar annotate
    # the user's project files a file (path, text) requires under a load path, dependency order
    required_files: Callable[[str, str, tuple], list[str]] = lambda path, text, coq_args: []
    proof_scripts: Callable[[str], list[tuple[Theorem, list[str]]]] = lambda text: []
    admit_proofs: Callable[[str, set[int]], str] = lambda text, indices: text  # those proofs left open
    coq_args: tuple[str, ...] = ()  # Coq's load path and flags, as every Coq process gets them
    load_path: str = ""  # where the file's load path came from (its project), said in reports
    # (file text, added import lines) -> where each added library goes (coq_env.placement.Placement);
    # None: all after the file's own imports
    place_imports: Callable[[str, str], object] | None = None
    # (bench theorem without its prelude, prelude) -> [(theorem, note)] to try when the prelude at the
    # top does not load (each library right above the theorem, then one left out at a time)
    placements: Callable[[Theorem, str], object] = lambda bare, prelude: iter(())
    # (file text) -> one line when the file's own imports do not load here (a module not built)
    unbuilt: Callable[[str], str | None] = lambda text: None

    def imports_for(self, imports: str, hammer: bool, procedures=None) -> str:
        """The line(s) ``--imports`` adds: ``import_line``, the hammer's import when its tactics
        are in the search, and the decision procedures' (``--imports auto`` only: a LIST is the
        user's exact choice)."""
        lines = [self.import_line(imports)]
        if imports == "auto":
            if hammer and self.hammer_line:
                lines.append(self.hammer_line)
            if procedures is not None:
                lines += procedures.lines()
        return "\n".join(ln for ln in lines if ln)



def _check_lean_context(theorem, tactics, check, drop):
    """``check`` on ``theorem`` in its context less the procedures' imports the proof does not use
    (``drop``), then, should that fail (a user's own statement needed one), in the whole context:
    both are the sound check of the original statement; the first is only cheaper."""
    body = (tactics,) if isinstance(tactics, str) else tuple(tactics)
    lean = dataclasses.replace(theorem, context=drop(theorem.context, body))
    if lean.context == theorem.context:
        return check(theorem)
    verdict = check(lean)
    return verdict if verdict.ok else check(theorem)


def no_procedures():
    """No decision procedure (coq_env.procedures.NONE)."""
    from coq_env.procedures import NONE
    return NONE


def read_source(path: str) -> str:
    """The text of a user's .v or .lean file; a missing, unreadable or non-UTF-8 file is bad
    input (UsageError)."""
    if not os.path.exists(path):
        raise UsageError(f"no such file: {path}")
    if os.path.isdir(path):
        raise UsageError(f"{path} is a directory, not a .v or .lean file")
    try:
        with open(path, encoding="utf-8") as f:
            return f.read()
    except UnicodeDecodeError:
        raise UsageError(f"{path} is not UTF-8 text") from None


def backend_for(path: str, *, lean_project: str | None = None, check_timeout: float = 300.0,
                coq_args: tuple[str, ...] = ()) -> Backend:
    """The backend for the file at ``path``; a Coq file's load path is its project's
    (``_CoqProject`` or dune, found upward from the file) followed by ``coq_args``."""
    ext = os.path.splitext(path)[1]
    if ext not in (".v", ".lean"):
        raise UsageError(f"unknown extension {ext or '(none)'!r} for {path}: expected .v or .lean")
    if ext == ".lean":
        return backend_named("lean", lean_project=lean_project, check_timeout=check_timeout)
    from coq_env.imports import imports_unbuilt
    from coq_env.project import ProjectError, find_load_path, unbuilt
    try:
        found = find_load_path(path)
    except ProjectError as e:
        raise UsageError(str(e)) from None
    backend = backend_named("coq", check_timeout=check_timeout, coq_args=found.args + tuple(coq_args))
    described = found.describe() + (f"; then --coq-args {' '.join(coq_args)}" if coq_args else "")
    return dataclasses.replace(backend, load_path=described, unbuilt=lambda text: unbuilt(
        imports_unbuilt(text, backend.coq_args), found))


def backend_named(name: str, *, lean_project: str | None = None, check_timeout: float = 300.0,
                  coq_args: tuple[str, ...] = ()) -> Backend:
    # The prover runs in its own folder: physical paths (-R DIR Lib's DIR, never Lib) made absolute
    from coq_env.project import absolute_paths
    coq_args = absolute_paths(coq_args, os.getcwd())
    if name == "coq":
        from coq_env import files as cf
        from coq_env.check import check_file, check_proof
        from coq_env.env import CoqEnv, CoqEnvConfig
        from coq_env.idetop import find_idetop
        from coq_env.sentences import SentenceError
        from coq_env.stdlib import PRELUDE, library_files, source_text
        from coq_env.check import added_imports
        from coq_env.files import skeleton
        from coq_env.imports import (import_line, imports_unbuilt, insert_imports, leading_imports, meaning_changes,
                                     split_line)
        from coq_env.requires import required_files
        from coq_env.trace import admit_proofs, proof_scripts, trace_file
        from coq_env import hammer, placement, procedures
        from coq_env.prelude import trimmed
        from coq_env.project import LoadPath, unbuilt
        return Backend(
            name="coq", open_theorems=cf.open_theorems, with_proofs=cf.with_proofs,
            make_env=lambda: CoqEnv(CoqEnvConfig(args=coq_args)),
            check_proof=lambda th, tac: _check_lean_context(
                th, tac, lambda t: check_proof(t, tac, timeout=check_timeout, coqc_args=coq_args),
                procedures.unused_dropped),
            check_file=lambda p, ref: check_file(p, reference=ref, timeout=check_timeout, coqc_args=coq_args),
            parse_error=SentenceError,
            missing=lambda: None if find_idetop() and shutil.which("coqc") else
            "Coq not found: install it (apt-get install coq) or run scripts/setup.sh",
            trace_file=trace_file, prelude=PRELUDE, library_files=library_files, library_source=source_text,
            import_line=import_line, insert_imports=insert_imports, split_imports=split_line,
            trim_imports=trimmed,
            added_imports=lambda text, ref: added_imports(text, ref)[0],
            context_in_order=cf.context_in_order, usable_lemmas=cf.usable_lemmas,
            lemma_statements=cf.lemma_statements,
            fallbacks=lambda: {"file_lemmas_unsplit": cf.unsplit_contexts()},
            hammer_installed=hammer.installed, hammer_tactics=hammer.SAUTO_TACTICS,
            hammer_line=hammer.TACTICS_LINE,
            hammer_suggest=lambda th, limit: hammer.suggest(th, limit=limit, coqc_args=coq_args,
                                                             drop=tuple(procedures.available().lines())),
            procedures=procedures.available, unmet=procedures.unmet,
            meaning_changes=lambda text, lines: meaning_changes(leading_imports(text), lines, skeleton(text),
                                                                coq_args=coq_args),
            proof_scripts=proof_scripts, admit_proofs=admit_proofs, required_files=required_files,
            place_imports=lambda text, line: placement.place(text, line, coq_args=coq_args, timeout=check_timeout),
            placements=placement.alternatives,
            unbuilt=lambda text: unbuilt(imports_unbuilt(text, coq_args), LoadPath()), coq_args=coq_args)
    if name == "lean":
        from lean_env import files as lf
        from lean_env.check import check_file, check_proof
        from lean_env.env import LeanEnv, LeanEnvConfig
        from lean_env.project import unbuilt as lean_unbuilt
        from lean_env.trace import trace_file
        cfg = LeanEnvConfig(project_dir=lean_project) if lean_project else LeanEnvConfig()
        return Backend(
            name="lean", open_theorems=lf.open_theorems, with_proofs=lf.with_proofs,
            make_env=lambda: LeanEnv(cfg),
            check_proof=lambda th, tac: check_proof(th, tac, config=cfg, timeout=check_timeout),
            check_file=lambda p, ref: check_file(p, reference=ref, config=cfg, timeout=check_timeout),
            parse_error=lf.LeanFileError,
            missing=lambda: None if shutil.which(cfg.repl_command[0]) else
            f"Lean toolchain not found ({cfg.repl_command[0]!r} is not on PATH): install elan and "
            "build lean_project/ (see lean_project/README.md)",
            trace_file=lambda env, path, name, timeout, file_timeout=0.0: trace_file(path, name, config=cfg),
            import_line=_lean_imports, proof_scripts=lf.proof_scripts, admit_proofs=lf.admit_proofs,
            unbuilt=lambda text: lean_unbuilt(cfg.project_dir, text))
    raise UsageError(f"unknown backend {name!r}: expected coq or lean")


def coq_user_contrib() -> str:
    """Coq's folder of installed libraries (``coqc -where``/user-contrib)."""
    from coq_env.stdlib import coq_where
    return os.path.join(coq_where(), "user-contrib")


def file_split(name: str) -> str:
    """train / valid / test of a traced file, by a stable hash of its name (the stdlib suite's
    rule, so the corpus and the stdlib suite agree on every stdlib file)."""
    from coq_env.stdlib import split_of
    return split_of(name)


def process_memory_mb(name: str) -> int:
    """MiB one prover process of this backend may hold before it is killed (Lean: the REPL's
    RSS limit, a Mathlib REPL being several GB); 0 where memory does not size the workers."""
    if name == "lean":
        from lean_env.env import LeanEnvConfig
        return LeanEnvConfig.rss_limit_mb
    return 0


def load_limit() -> float:
    """The longest a backend may take to load a theorem's context and statement, in seconds
    (Coq's context, or Lean's header and then the statement): for deadlines above a theorem's."""
    from coq_env.env import CoqEnvConfig
    from lean_env.env import LeanEnvConfig
    return max(CoqEnvConfig.load_timeout, LeanEnvConfig.header_timeout + LeanEnvConfig.command_timeout)


def coq_version() -> str:
    """``coqc --version``'s text (keys caches of what depends on the prover's version)."""
    from coq_env.imports import _coq_version
    return _coq_version()


def _lean_imports(imports: str) -> str:
    if imports not in ("auto", "none"):
        raise UsageError("--imports for Lean files: auto or none (a Lean file's own imports, at its top, "
                         "bring Mathlib's tactics)")
    return ""


def goals_of(stored, backend: str = "coq") -> tuple[Goal, ...]:
    """Goals as stored in a row or a search record: a list of ``Goal.to_json`` objects, or (rows
    written before goals were structured) rendered text, read once by the backend's parser."""
    if isinstance(stored, str):
        return _legacy_parser(backend)(stored)
    goals = []
    for g in stored:
        goals.append(Goal.from_json(g) if isinstance(g, dict) else _legacy_parser(backend)(g)[0])
    return tuple(goals)


def row_goals(row: dict, backend: str = "coq") -> tuple[Goal, ...]:
    """The goals of a data row: ``goals`` (structured) or, in older rows, ``state`` (text)."""
    return goals_of(row["goals"] if "goals" in row else row["state"], backend)


def _legacy_parser(backend: str):
    if backend == "lean":
        from lean_env.goals import parse_goal_list
        return parse_goal_list
    from coq_env.goals import parse_rendered
    return parse_rendered
