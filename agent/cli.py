"""``qstar prove`` and ``qstar check``: the stable command-line interface.

Each command has one typed config, logged whole at the start of a run and stored in its report.
Bad input (missing file, unknown extension, unparsable file, nothing to prove) ends with one
line on stderr and exit status 2; nothing is written in that case.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import os
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

from agent.backends import UsageError, backend_for


@dataclass
class ProveConfig:
    """Settings of ``qstar prove``."""

    file: str = ""
    """The .v or .lean file whose open theorems (Admitted / sorry) are to be proved."""
    output: str = ""
    """Where to write the file with proofs filled in (default: FILE with _proved before the extension)."""
    report: str = ""
    """Where to write the JSON report (default: OUTPUT with .report.json)."""
    budget: int = 64
    """Node expansions per theorem."""
    timeout: float = 60.0
    """Wall-clock seconds of search per theorem."""
    tactic_timeout: float = 5.0
    """Wall-clock seconds per tactic."""
    check_timeout: float = 300.0
    """Wall-clock seconds for the fresh-process final check of one proof."""
    lean_project: str = ""
    """Lake project with Mathlib and the REPL (Lean files only; default: lean_project/)."""
    coq_args: list[str] = field(default_factory=list)
    """Extra arguments for coqidetop and coqc, e.g. -R dir Lib."""


@dataclass
class CheckConfig:
    """Settings of ``qstar check``."""

    file: str = ""
    """The file to verify."""
    reference: str = ""
    """The original file: every statement and everything outside proofs must be unchanged."""
    check_timeout: float = 600.0
    """Wall-clock seconds for the fresh-process check of the whole file."""
    lean_project: str = ""
    """Lake project with Mathlib (Lean files only; default: lean_project/)."""
    coq_args: list[str] = field(default_factory=list)
    """Extra arguments for coqc."""


def _read_source(path: str) -> str:
    if not os.path.exists(path):
        raise UsageError(f"no such file: {path}")
    if os.path.isdir(path):
        raise UsageError(f"{path} is a directory, not a .v or .lean file")
    try:
        return Path(path).read_text(encoding="utf-8")
    except UnicodeDecodeError:
        raise UsageError(f"{path} is not UTF-8 text") from None


def _default_output(path: str) -> str:
    stem, ext = os.path.splitext(path)
    return f"{stem}_proved{ext}"  # coqc needs a file name that is a module identifier


def run_prove(cfg: ProveConfig) -> int:
    from tqdm import tqdm

    from agent.atomic import atomic_write
    from agent.automation import AutomationPolicy
    from agent.prover import prove_theorem
    from agent.search import SearchBudget

    text = _read_source(cfg.file)
    backend = backend_for(cfg.file, lean_project=cfg.lean_project or None,
                          check_timeout=cfg.check_timeout, coq_args=tuple(cfg.coq_args))
    try:
        theorems = backend.open_theorems(text)
    except backend.parse_error as e:
        raise UsageError(f"cannot parse {cfg.file}: {e}") from None
    if not theorems:
        raise UsageError(f"no open theorem in {cfg.file} (nothing ends in "
                         + ("Admitted. or uses admit." if backend.name == "coq" else "sorry") + ")")
    if (why := backend.missing()) is not None:
        raise UsageError(why)
    cfg.output = cfg.output or _default_output(cfg.file)
    cfg.report = cfg.report or os.path.splitext(cfg.output)[0] + ".report.json"
    print("qstar prove config: " + json.dumps(dataclasses.asdict(cfg)), file=sys.stderr)

    policy = AutomationPolicy(backend.name)
    budget = SearchBudget(max_expansions=cfg.budget, max_seconds=cfg.timeout,
                          tactic_timeout=cfg.tactic_timeout)
    check = lambda th, tac: (lambda v: (v.ok, v.reason))(backend.check_proof(th, tac))  # noqa: E731
    records = []
    t0 = time.monotonic()
    env = backend.make_env()
    try:
        bar = tqdm(theorems, desc=f"proving {os.path.basename(cfg.file)}", unit="thm",
                   file=sys.stderr, disable=None)
        for th in bar:
            records.append(prove_theorem(env, th, policy=policy, check=check, budget=budget))
            bar.set_postfix(proved=sum(r.status == "proved" for r in records))
    finally:
        env.close()
    proofs = {r.name: tuple(r.proof) for r in records if r.status == "proved"}
    atomic_write(cfg.output, backend.with_proofs(text, proofs))
    report = {
        "config": dataclasses.asdict(cfg),
        "backend": backend.name,
        "summary": {"theorems": len(records), "proved": len(proofs),
                    "failed": sum(r.status == "failed" for r in records),
                    "error": sum(r.status == "error" for r in records),
                    "seconds": round(time.monotonic() - t0, 2)},
        "theorems": [r.to_json() for r in records],
    }
    atomic_write(cfg.report, json.dumps(report, indent=2, ensure_ascii=False) + "\n")
    _print_table(records)
    s = report["summary"]
    print(f"proved {s['proved']}/{s['theorems']} in {s['seconds']}s; "
          f"wrote {cfg.output} and {cfg.report}")
    return 0


def _print_table(records) -> None:
    w = max([len(r.name) for r in records] + [7])
    print(f"{'theorem':<{w}}  {'status':<7} {'exp':>4} {'sec':>7}  detail")
    for r in records:
        detail = " ".join(r.proof) if r.proof else r.message
        print(f"{r.name:<{w}}  {r.status:<7} {r.expansions:>4} {r.seconds:>7.2f}  {detail[:80]}")


def run_check(cfg: CheckConfig) -> int:
    text = _read_source(cfg.file)
    backend = backend_for(cfg.file, lean_project=cfg.lean_project or None,
                          check_timeout=cfg.check_timeout, coq_args=tuple(cfg.coq_args))
    if cfg.reference:
        _read_source(cfg.reference)
        if os.path.splitext(cfg.reference)[1] != os.path.splitext(cfg.file)[1]:
            raise UsageError("the reference must have the same extension as the file")
    try:
        backend.open_theorems(text)  # parse once, for a clean error on bad input
        if (why := backend.missing()) is not None:
            raise UsageError(why)
        verdicts = backend.check_file(cfg.file, cfg.reference or None)
    except backend.parse_error as e:
        raise UsageError(f"cannot parse {cfg.file}: {e}") from None
    if not verdicts:
        raise UsageError(f"no theorem in {cfg.file}")
    for v in verdicts:
        print(f"ok    {v.name}" if v.ok else f"FAIL  {v.name}: {v.reason}")
    bad = sum(not v.ok for v in verdicts)
    print(f"{len(verdicts) - bad}/{len(verdicts)} theorems soundly proved")
    return 0 if bad == 0 else 1


def _parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="qstar", description=__doc__.splitlines()[0])
    sub = p.add_subparsers(dest="command", required=True)
    pr = sub.add_parser("prove", help="prove the open theorems of a .v or .lean file")
    pr.add_argument("file")
    pr.add_argument("--output", default="", help=_doc(ProveConfig, "output"))
    pr.add_argument("--report", default="", help=_doc(ProveConfig, "report"))
    pr.add_argument("--budget", type=int, default=ProveConfig.budget, help=_doc(ProveConfig, "budget"))
    pr.add_argument("--timeout", type=float, default=ProveConfig.timeout, help=_doc(ProveConfig, "timeout"))
    pr.add_argument("--tactic-timeout", type=float, default=ProveConfig.tactic_timeout,
                    help=_doc(ProveConfig, "tactic_timeout"))
    pr.add_argument("--check-timeout", type=float, default=ProveConfig.check_timeout,
                    help=_doc(ProveConfig, "check_timeout"))
    pr.add_argument("--lean-project", default="", help=_doc(ProveConfig, "lean_project"))
    pr.add_argument("--coq-arg", action="append", default=[], dest="coq_args",
                    help=_doc(ProveConfig, "coq_args") + " (repeat once per argument)")
    ch = sub.add_parser("check", help="verify a file soundly (exit 0 only if every theorem is proved)")
    ch.add_argument("file")
    ch.add_argument("--reference", default="", help=_doc(CheckConfig, "reference"))
    ch.add_argument("--check-timeout", type=float, default=CheckConfig.check_timeout,
                    help=_doc(CheckConfig, "check_timeout"))
    ch.add_argument("--lean-project", default="", help=_doc(CheckConfig, "lean_project"))
    ch.add_argument("--coq-arg", action="append", default=[], dest="coq_args",
                    help=_doc(CheckConfig, "coq_args"))
    return p


def _doc(cls, name: str) -> str:
    """The one-line docstring under a dataclass field, for --help."""
    import ast
    import inspect
    tree = ast.parse(inspect.getsource(cls))
    body = tree.body[0].body
    for i, node in enumerate(body):
        if isinstance(node, ast.AnnAssign) and getattr(node.target, "id", None) == name:
            nxt = body[i + 1] if i + 1 < len(body) else None
            if isinstance(nxt, ast.Expr) and isinstance(nxt.value, ast.Constant):
                return str(nxt.value.value)
    return ""


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    fields = vars(args)
    command = fields.pop("command")
    try:
        if command == "prove":
            return run_prove(ProveConfig(**fields))
        return run_check(CheckConfig(**fields))
    except UsageError as e:
        print(f"qstar: error: {e}", file=sys.stderr)
        return 2
    except FileNotFoundError as e:  # a prover executable that is not installed
        print(f"qstar: error: {e}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("qstar: interrupted", file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main())
