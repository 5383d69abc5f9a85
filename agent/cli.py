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

SEARCH_CHOICES = ("bfs", "bfs-norm", "value", "astar")
_CHOICES = {"search": SEARCH_CHOICES, "automation": ("mix", "off"), "decoding": ("sample", "beam"),
            "astar_g": ("logprob", "depth"), "mode": ("prob", "steps")}


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
    model: str = ""
    """Tactic model: a preset (see README), a hub id or a local folder; empty: automation only."""
    value_model: str = ""
    """Value model folder; 'policy' for the head saved with --model (default when it has one)."""
    search: str = "bfs"
    """Ordering: bfs (cumulative log-prob), bfs-norm (length-normalised), value, astar."""
    lam: float = 1.0
    """A* weight lambda in f = g + lambda * h."""
    astar_g: str = "logprob"
    """A* path cost g: logprob (-sum log p) or depth."""
    length_alpha: float = 1.0
    """bfs-norm exponent: priority = sum log p / depth^alpha."""
    samples: int = 8
    """Candidates the model proposes per state."""
    decoding: str = "sample"
    """sample or beam."""
    temperature: float = 1.0
    """Sampling temperature."""
    automation: str = "mix"
    """mix: add the automation tactics to the model's candidates; off: the model alone."""
    automation_weight: float = 0.1
    """Prior weight of automation candidates when mixed."""
    device: str = "auto"
    """auto (CUDA if available), cpu or cuda."""
    lean_project: str = ""
    """Lake project with Mathlib and the REPL (Lean files only; default: lean_project/)."""
    coq_args: list[str] = field(default_factory=list)
    """Extra arguments for coqidetop and coqc, e.g. -R dir Lib (repeat --coq-args per argument)."""


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


def build_search(cfg: ProveConfig, backend_name: str):
    """(policy, value, priority) from the prove config."""
    from agent import search as S
    from agent.automation import AutomationPolicy
    automation = AutomationPolicy(backend_name)
    policy, value, model_policy = automation, None, None
    if cfg.model:
        from agent.policy import MixedPolicy, PolicyConfig, TransformerPolicy
        from agent.prompts import PRESETS
        if not (cfg.model in PRESETS or os.path.isdir(cfg.model) or "/" in cfg.model):
            raise UsageError(f"--model {cfg.model!r}: not a folder, preset ({', '.join(PRESETS)}) or hub id")
        model_policy = TransformerPolicy.from_pretrained(
            cfg.model, device=cfg.device,
            config=PolicyConfig(samples=cfg.samples, decoding=cfg.decoding, temperature=cfg.temperature))
        policy = (MixedPolicy(model_policy, automation, automation_weight=cfg.automation_weight)
                  if cfg.automation == "mix" else model_policy)
    from agent.value import ValueModel, has_value_head
    if cfg.value_model and cfg.value_model != "policy":
        if not has_value_head(cfg.value_model):
            raise UsageError(f"--value-model {cfg.value_model}: no value_head.safetensors there")
        value = ValueModel.load(cfg.value_model, device=cfg.device)
    elif model_policy is not None and os.path.isdir(cfg.model) and has_value_head(cfg.model):
        value = ValueModel.load(cfg.model, trunk=model_policy.model, tokenizer=model_policy.tokenizer,
                                info=model_policy.info)
    elif cfg.value_model == "policy":
        raise UsageError("--value-model policy: the --model folder has no value head")
    heuristic = value.heuristic if value is not None else S.neg_log
    priority = {"bfs": lambda: S.by_logprob,
                "bfs-norm": lambda: S.normalized_logprob(cfg.length_alpha),
                "value": lambda: S.by_value(heuristic),
                "astar": lambda: S.astar(cfg.lam, g=cfg.astar_g, heuristic=heuristic)}[cfg.search]()
    if getattr(priority, "needs_value", False) and value is None:
        raise UsageError(f"--search {cfg.search} needs a value model (--value-model, or a --model "
                         "folder trained with `qstar train value`)")
    return policy, value, priority


def run_prove(cfg: ProveConfig) -> int:
    from tqdm import tqdm

    from agent.atomic import atomic_write
    from agent.prover import prove_theorem
    from agent.search import SearchBudget

    if cfg.search not in SEARCH_CHOICES:
        raise UsageError(f"--search must be one of {', '.join(SEARCH_CHOICES)}")
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
    policy, value, priority = build_search(cfg, backend.name)

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
            records.append(prove_theorem(env, th, policy=policy, check=check, budget=budget,
                                         priority=priority, value=value))
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


def run_train(what: str, cfg) -> int:
    if not os.path.isfile(cfg.data):
        raise UsageError(f"no such data file: {cfg.data}")
    if not cfg.out:
        raise UsageError("--out is required")
    print(f"qstar train {what} config: " + json.dumps(dataclasses.asdict(cfg)), file=sys.stderr)
    try:
        if what == "sft":
            from agent.sft import train_sft
            summary = train_sft(cfg)
        else:
            from agent.value_train import train_value
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
                prefix: str = "", flags: dict[str, str] | None = None) -> None:
    docs, hints = _field_docs(cls), typing.get_type_hints(cls)
    for f in dataclasses.fields(cls):
        typ = hints[f.name]
        if dataclasses.is_dataclass(typ):
            _add_fields(parser, typ, prefix=f.name + ".")
            continue
        dest = prefix + f.name
        if f.name in positional:
            parser.add_argument(dest, help=docs.get(f.name, ""))
            continue
        flag = (flags or {}).get(f.name, "--" + f.name.replace("_", "-"))
        default = f.default if f.default is not dataclasses.MISSING else f.default_factory()
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
    from agent.sft import SFTConfig
    from agent.value_train import ValueTrainConfig
    p = argparse.ArgumentParser(prog="qstar", description="Tactic-level theorem proving with a real kernel.")
    sub = p.add_subparsers(dest="command", required=True)
    _add_fields(sub.add_parser("prove", help="prove the open theorems of a .v or .lean file"),
                ProveConfig, positional=("file",), flags={"lam": "--lambda"})
    _add_fields(sub.add_parser("check", help="verify a file soundly (exit 0 only if every theorem is proved)"),
                CheckConfig, positional=("file",))
    train = sub.add_parser("train", help="train the policy (sft) or the value (value)")
    tsub = train.add_subparsers(dest="what", required=True)
    _add_fields(tsub.add_parser("sft", help="supervised fine-tuning on (state, tactic) rows"), SFTConfig)
    _add_fields(tsub.add_parser("value", help="value training on (state, target) rows"), ValueTrainConfig)
    return p


def main(argv: list[str] | None = None) -> int:
    ns = vars(_parser().parse_args(argv))
    command = ns.pop("command")
    try:
        if command == "prove":
            return run_prove(_build(ProveConfig, ns))
        if command == "check":
            return run_check(_build(CheckConfig, ns))
        from agent.sft import SFTConfig
        from agent.value_train import ValueTrainConfig
        what = ns.pop("what")
        return run_train(what, _build(SFTConfig if what == "sft" else ValueTrainConfig, ns))
    except (UsageError, FileNotFoundError) as e:  # bad input, or a prover that is not installed
        print(f"qstar: error: {e}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("qstar: interrupted", file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main())
