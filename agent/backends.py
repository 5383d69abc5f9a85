"""Which backend serves a file: chosen by extension (``.v`` Coq, ``.lean`` Lean 4)."""

from __future__ import annotations

import os
import shutil
from dataclasses import dataclass
from typing import Callable

from agent.env import ProofEnv, Theorem, Verdict


class UsageError(Exception):
    """Bad input from the user: reported as one line, exit status 2."""


@dataclass(frozen=True)
class Backend:
    name: str  # "coq" | "lean"
    open_theorems: Callable[[str], list[Theorem]]  # file text -> open theorems
    with_proofs: Callable[[str, dict[str, tuple[str, ...]]], str]  # write proofs into the text
    make_env: Callable[[], ProofEnv]
    check_proof: Callable[[Theorem, tuple[str, ...]], Verdict]
    check_file: Callable[[str, str | None], list[Verdict]]  # (path, reference) -> verdicts
    parse_error: type[Exception]  # what its file parser raises on text it cannot read
    missing: Callable[[], str | None]  # why the prover cannot run here, or None


def backend_for(path: str, *, lean_project: str | None = None, check_timeout: float = 300.0,
                coq_args: tuple[str, ...] = ()) -> Backend:
    ext = os.path.splitext(path)[1]
    if ext not in (".v", ".lean"):
        raise UsageError(f"unknown extension {ext or '(none)'!r} for {path}: expected .v or .lean")
    return backend_named("coq" if ext == ".v" else "lean", lean_project=lean_project,
                         check_timeout=check_timeout, coq_args=coq_args)


def backend_named(name: str, *, lean_project: str | None = None, check_timeout: float = 300.0,
                  coq_args: tuple[str, ...] = ()) -> Backend:
    # The prover runs in its own folder: make directory arguments (-R dir Lib) absolute.
    coq_args = tuple(os.path.abspath(a) if os.path.isdir(a) else a for a in coq_args)
    if name == "coq":
        from coq_env import files as cf
        from coq_env.check import check_file, check_proof
        from coq_env.env import CoqEnv, CoqEnvConfig
        from coq_env.idetop import find_idetop
        from coq_env.sentences import SentenceError
        return Backend(
            "coq", cf.open_theorems, cf.with_proofs,
            lambda: CoqEnv(CoqEnvConfig(args=coq_args)),
            lambda th, tac: check_proof(th, tac, timeout=check_timeout, coqc_args=coq_args),
            lambda p, ref: check_file(p, reference=ref, timeout=check_timeout, coqc_args=coq_args),
            SentenceError,
            lambda: None if find_idetop() and shutil.which("coqc") else
            "Coq not found: install it (apt-get install coq) or run scripts/setup.sh")
    if name == "lean":
        from lean_env import files as lf
        from lean_env.check import check_file, check_proof
        from lean_env.env import LeanEnv, LeanEnvConfig
        cfg = LeanEnvConfig(project_dir=lean_project) if lean_project else LeanEnvConfig()
        return Backend(
            "lean", lf.open_theorems, lf.with_proofs, lambda: LeanEnv(cfg),
            lambda th, tac: check_proof(th, tac, config=cfg, timeout=check_timeout),
            lambda p, ref: check_file(p, reference=ref, config=cfg, timeout=check_timeout),
            lf.LeanFileError,
            lambda: None if shutil.which(cfg.repl_command[0]) else
            f"Lean toolchain not found ({cfg.repl_command[0]!r} is not on PATH): install elan and "
            "build lean_project/ (see lean_project/README.md)")
    raise UsageError(f"unknown backend {name!r}: expected coq or lean")
