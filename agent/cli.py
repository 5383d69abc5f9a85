"""qstar's command line: ``prove``, ``check`` and ``train``.

Each command has one typed config whose fields (with their one-line docstrings) become the
flags; the config is logged whole at the start of a run and stored with its results. Bad input
(missing file, unknown extension, unparsable file, nothing to prove, bad data) ends with one
line on stderr and exit status 2; nothing is written in that case.
"""

from __future__ import annotations

import argparse
import ast
import dataclasses
import inspect
import json
import os
import sys
import time
import typing
from dataclasses import dataclass, field
from pathlib import Path

from agent.backends import UsageError, backend_for
from agent.search.searcher import SEARCH_CHOICES, SearchConfig

_CHOICES = {"order": SEARCH_CHOICES, "automation": ("mix", "off"), "decoding": ("sample", "beam"),
            "astar_g": ("logprob", "depth"), "mode": ("prob", "steps"), "preference": ("dpo", "weighted", "none")}
_FLAGS = {"lam": "--lambda", "order": "--search"}


@dataclass
class ProveConfig:
    """Settings of ``qstar prove``."""

    file: str = ""
    """The .v or .lean file whose open theorems (Admitted / sorry) are to be proved."""
    output: str = ""
    """Where to write the file with proofs filled in (default: FILE with _proved before the extension)."""
    report: str = ""
    """Where to write the JSON report (default: OUTPUT with .report.json)."""
    search: SearchConfig = field(default_factory=SearchConfig)
    """How each theorem is searched."""
    lean_project: str = ""
    """Lake project with Mathlib and the REPL (Lean files only; default: lean_project/)."""
    coq_args: list[str] = field(default_factory=list)
    """Extra arguments for coqidetop and coqc, e.g. -R dir Lib (repeat --coq-args=ARG per argument)."""


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
    """Extra arguments for coqc (repeat --coq-args per argument)."""


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

    from agent.io import atomic_write
    from agent.search.prover import prove_theorem
    from agent.search.searcher import build_searcher, default_model_for

    text = _read_source(cfg.file)
    backend = backend_for(cfg.file, lean_project=cfg.lean_project or None,
                          check_timeout=cfg.search.check_timeout, coq_args=tuple(cfg.coq_args))
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
    cfg.search.model = default_model_for(cfg.search.model, backend.name)
    print("qstar prove config: " + json.dumps(dataclasses.asdict(cfg)), file=sys.stderr)
    searcher = build_searcher(cfg.search)
    check = lambda th, tac: (lambda v: (v.ok, v.reason))(backend.check_proof(th, tac))  # noqa: E731
    records = []
    t0 = time.monotonic()
    env = backend.make_env()
    try:
        bar = tqdm(theorems, desc=f"proving {os.path.basename(cfg.file)}", unit="thm",
                   file=sys.stderr, disable=None)
        for th in bar:
            records.append(prove_theorem(env, th, policy=searcher.make_policy(backend.name, th.name),
                                         check=check, budget=searcher.budget,
                                         priority=searcher.priority, value=searcher.value))
            bar.set_postfix(proved=sum(r.status == "proved" for r in records))
    finally:
        env.close()
        searcher.close()
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


def run_train(what: str, cfg) -> int:
    if not os.path.isfile(cfg.data):
        raise UsageError(f"no such data file: {cfg.data}")
    if not cfg.out:
        raise UsageError("--out is required")
    print(f"qstar train {what} config: " + json.dumps(dataclasses.asdict(cfg)), file=sys.stderr)
    try:
        if what == "sft":
            from agent.learning.sft import train_sft
            summary = train_sft(cfg)
        elif what == "templates":
            from agent.policies.template_policy import run_train_templates
            summary = run_train_templates(cfg)
        else:
            from agent.learning.value_train import train_value
            summary = train_value(cfg)
    except ValueError as e:  # bad rows, named with file and line
        raise UsageError(str(e)) from None
    print(json.dumps(summary))
    print(f"wrote {cfg.out}")
    return 0


# -- flags from dataclass fields ------------------------------------------------------------

def _field_docs(cls) -> dict[str, str]:
    """The one-line docstring under each dataclass field."""
    body = ast.parse(inspect.getsource(cls)).body[0].body
    docs = {}
    for i, node in enumerate(body[:-1]):
        nxt = body[i + 1]
        if (isinstance(node, ast.AnnAssign) and isinstance(nxt, ast.Expr)
                and isinstance(nxt.value, ast.Constant)):
            docs[node.target.id] = str(nxt.value.value)
    return docs


def _add_fields(parser: argparse.ArgumentParser, cls, *, positional: tuple[str, ...] = (),
                prefix: str = "", flags: dict[str, str] | None = None, defaults=None) -> None:
    docs, hints = _field_docs(cls), typing.get_type_hints(cls)
    for f in dataclasses.fields(cls):
        typ = hints[f.name]
        if dataclasses.is_dataclass(typ):  # nested config: the parent's default instance wins
            _add_fields(parser, typ, prefix=f.name + ".", defaults=f.default_factory())
            continue
        dest = prefix + f.name
        if f.name in positional:
            nargs = "+" if typing.get_origin(typ) is list else None
            parser.add_argument(dest, nargs=nargs, help=docs.get(f.name, ""))
            continue
        flag = {**_FLAGS, **(flags or {})}.get(f.name, "--" + f.name.replace("_", "-"))
        default = (getattr(defaults, f.name) if defaults is not None else
                   f.default if f.default is not dataclasses.MISSING else f.default_factory())
        kw = dict(dest=dest, default=default, help=docs.get(f.name, ""))
        if typ is bool:
            parser.add_argument(flag, action="store_true", **kw)
        elif typing.get_origin(typ) is list:
            parser.add_argument(flag, action="append", **{**kw, "default": []})
        else:
            if f.name in _CHOICES:
                kw["choices"] = _CHOICES[f.name]
            parser.add_argument(flag, type=typ, **kw)


def _build(cls, ns: dict):
    hints = typing.get_type_hints(cls)
    kwargs = {}
    for f in dataclasses.fields(cls):
        if dataclasses.is_dataclass(hints[f.name]):
            sub = {k.split(".", 1)[1]: v for k, v in ns.items() if k.startswith(f.name + ".")}
            kwargs[f.name] = hints[f.name](**sub)
        elif f.name in ns:
            kwargs[f.name] = ns[f.name]
    return cls(**kwargs)


def _parser() -> argparse.ArgumentParser:
    from agent.learning.sft import SFTConfig
    from agent.learning.value_train import ValueTrainConfig
    p = argparse.ArgumentParser(prog="qstar", description="Tactic-level theorem proving with a real kernel.")
    sub = p.add_subparsers(dest="command", required=True)
    _add_fields(sub.add_parser("prove", help="prove the open theorems of a .v or .lean file"),
                ProveConfig, positional=("file",))
    _add_fields(sub.add_parser("check", help="verify a file soundly (exit 0 only if every theorem is proved)"),
                CheckConfig, positional=("file",))
    from agent.bench.bench import BenchConfig
    from agent.learning.iterate import IterateConfig
    from agent.learning.traces import TraceConfig
    _add_fields(sub.add_parser("trace", help="replay human proofs into (state, tactic) records"),
                TraceConfig, positional=("sources",))
    _add_fields(sub.add_parser("collect", help="search a theorem suite and store whole search records"),
                BenchConfig, positional=("suite",))
    _add_fields(sub.add_parser("bench", help="benchmark a theorem suite (JSON, markdown table, plot)"),
                BenchConfig, positional=("suite",))
    _add_fields(sub.add_parser("iterate", help="expert iteration: collect, train, evaluate, repeat"),
                IterateConfig)
    from coq_env.synthetic import SynthConfig
    _add_fields(sub.add_parser("synth", help="write the synthetic competition-algebra curriculum (Coq)"),
                SynthConfig)
    st = sub.add_parser("stdlib-suite", help="write the Coq stdlib suite (train/valid/test split by file)")
    st.add_argument("--out", required=True, help="Output JSONL.")
    train = sub.add_parser("train", help="train the policy (sft) or the value (value)")
    tsub = train.add_subparsers(dest="what", required=True)
    _add_fields(tsub.add_parser("sft", help="supervised fine-tuning on (state, tactic) rows"), SFTConfig)
    _add_fields(tsub.add_parser("value", help="value training on (state, target) rows"), ValueTrainConfig)
    from agent.policies.template_policy import TemplateTrainConfig
    _add_fields(tsub.add_parser("templates", help="template policy (tactic template + hypothesis arguments)"),
                TemplateTrainConfig)
    return p


def main(argv: list[str] | None = None) -> int:
    ns = vars(_parser().parse_args(argv))
    command = ns.pop("command")
    try:
        if command == "prove":
            return run_prove(_build(ProveConfig, ns))
        if command == "check":
            return run_check(_build(CheckConfig, ns))
        if command in ("collect", "bench"):
            from agent.bench.bench import BenchConfig, run_bench, run_collect
            return (run_bench if command == "bench" else run_collect)(_build(BenchConfig, ns))
        if command == "iterate":
            from agent.learning.iterate import IterateConfig, run_iterate
            return run_iterate(_build(IterateConfig, ns))
        if command == "synth":
            from coq_env.synthetic import SynthConfig, write_curriculum
            print(json.dumps(write_curriculum(_build(SynthConfig, ns))))
            return 0
        if command == "stdlib-suite":
            from coq_env.stdlib import write_stdlib_suite
            counts = write_stdlib_suite(ns["out"])
            print(f"wrote {ns['out']}: {json.dumps(counts)}")
            return 0
        if command == "trace":
            from agent.learning.traces import TraceConfig, run_trace
            return run_trace(_build(TraceConfig, ns))
        from agent.learning.sft import SFTConfig
        from agent.learning.value_train import ValueTrainConfig
        from agent.policies.template_policy import TemplateTrainConfig
        what = ns.pop("what")
        cls = {"sft": SFTConfig, "value": ValueTrainConfig, "templates": TemplateTrainConfig}[what]
        return run_train(what, _build(cls, ns))
    except (UsageError, FileNotFoundError) as e:  # bad input, or a prover that is not installed
        print(f"qstar: error: {e}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("qstar: interrupted", file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main())
