"""qstar's command line, on tyro: one typed config per command.

Every command's flags, defaults, choices and help come from its dataclass (a field's one-line
docstring is its help); required fields have no default and are required. The config is logged
whole at the start of a run and stored with its results. Bad input (missing file, unknown
extension, unparsable file, nothing to prove, bad data) ends with one line on stderr and exit
status 2; nothing is written in that case. Ctrl-C, SIGTERM and SIGHUP stop a run alike (the work done is
kept) and exit with 128 + the signal's number (130, 143, 129). A run in which some theorem hit an
internal error exits 3 (agent/exits.py: every status, the same in every command).
"""

from __future__ import annotations

import dataclasses
import json
import os
import sys
from dataclasses import dataclass, field
from typing import Annotated, Union

import tyro

from agent.exits import INTERNAL_ERROR, OK, REJECTED, SUMMARY, USAGE

from agent.annotate.command import AnnotateConfig
from agent.backends import UsageError, backend_for, read_source
from agent.bench.bench import BenchConfig
from agent.prove.command import ProveConfig
from agent.learning.iterate import IterateConfig
from agent.learning.sft import SFTConfig
from agent.generator.train import GeneratorTrainConfig
from agent.project.rank_train import ProjectRankTrainConfig
from agent.learning.leandojo import ImportLeanDojoConfig, RowStatsConfig
from agent.learning.traces import TraceConfig
from agent.learning.value_train import ValueTrainConfig
from agent.policies.template_policy import TemplateTrainConfig
from agent.learning.qv_train import QVTrainConfig
from coq_env.synthetic import SynthConfig


@dataclass
class CheckConfig:
    """Verify a file soundly (exit 0 only if every theorem is proved)."""

    file: Annotated[tyro.conf.Positional[str], tyro.conf.arg(metavar="FILE")]
    """The .v or .lean file to verify."""
    reference: str = ""
    """The original file: every statement and everything outside proofs must be unchanged."""
    check_timeout: float = 300.0
    """Wall-clock seconds for the fresh-process check (the same default as prove's)."""
    lean_project: str = ""
    """Lake project with Mathlib (Lean files only; default: lean_project/)."""
    coq_args: tyro.conf.UseAppendAction[list[str]] = field(default_factory=list)
    """Extra arguments for coqc, one per flag: --coq-args=-R --coq-args=dir --coq-args=Lib."""


@dataclass
class CollectConfig(BenchConfig):
    """Search a theorem suite and store whole search trees (records.jsonl) for training."""


@dataclass
class ModelConfig:
    """Show a model folder's parts (retrieval, templates, Q, V, generator, network), their sizes and
    what trained each (its manifest.json)."""

    folder: Annotated[tyro.conf.Positional[str], tyro.conf.arg(metavar="FOLDER")] = "default"
    """A model folder, or default (the bundled model)."""


@dataclass
class StdlibSuiteConfig:
    """Write the Coq stdlib suite (train/valid/test split by file)."""

    out: str
    """Output JSONL: one row per Qed-proved lemma."""
    max_per_file: int = 0
    """At most this many lemmas of each file (0: all)."""


@dataclass
class Train:
    """Train the policy (sft), the value (value), the template policy (templates), Q(s, a) and
    V(s) over goal features from search records (qv), or, on a traced corpus, the step generator
    (generator) or the ranker of the file's own steps (project-rank)."""

    what: Union[Annotated[SFTConfig, tyro.conf.subcommand("sft")],
                Annotated[ValueTrainConfig, tyro.conf.subcommand("value")],
                Annotated[TemplateTrainConfig, tyro.conf.subcommand("templates")],
                Annotated[QVTrainConfig, tyro.conf.subcommand("qv")],
                Annotated[GeneratorTrainConfig, tyro.conf.subcommand("generator")],
                Annotated[ProjectRankTrainConfig, tyro.conf.subcommand("project-rank")]]


@dataclass
class Data:
    """Training data: import-leandojo (LeanDojo's benchmark as qstar's rows), stats (count rows)."""

    what: Union[Annotated[ImportLeanDojoConfig, tyro.conf.subcommand("import-leandojo")],
                Annotated[RowStatsConfig, tyro.conf.subcommand("stats")]]


Command = Union[
    Annotated[ProveConfig, tyro.conf.subcommand("prove")],
    Annotated[CheckConfig, tyro.conf.subcommand("check")],
    Annotated[AnnotateConfig, tyro.conf.subcommand("annotate")],
    Annotated[BenchConfig, tyro.conf.subcommand(
        "bench", description="Benchmark a theorem suite (results.jsonl, summary table, plot).")],
    Annotated[CollectConfig, tyro.conf.subcommand("collect")],
    Annotated[TraceConfig, tyro.conf.subcommand("trace")],
    Annotated[Train, tyro.conf.subcommand("train")],
    Annotated[IterateConfig, tyro.conf.subcommand("iterate")],
    Annotated[SynthConfig, tyro.conf.subcommand("synth")],
    Annotated[StdlibSuiteConfig, tyro.conf.subcommand("stdlib-suite")],
    Annotated[Data, tyro.conf.subcommand("data")],
    Annotated[ModelConfig, tyro.conf.subcommand("model")],
]


def run_check(cfg: CheckConfig) -> int:
    text = read_source(cfg.file)
    backend = backend_for(cfg.file, lean_project=cfg.lean_project or None,
                          check_timeout=cfg.check_timeout, coq_args=tuple(cfg.coq_args))
    if cfg.reference:
        read_source(cfg.reference)
        if os.path.splitext(cfg.reference)[1] != os.path.splitext(cfg.file)[1]:
            raise UsageError("the reference must have the same extension as the file")
    try:
        backend.open_theorems(text)  # parse once, for a clean error on bad input
        # the user's own imports must load (a module not built is one line, not a FAIL each);
        # the reference's when there is one (the file's additions are the reference check's)
        own = read_source(cfg.reference) if cfg.reference else text
        if (why := backend.missing() or backend.unbuilt(own) or backend.unmet(text)) is not None:
            raise UsageError(why)
        verdicts = backend.check_file(cfg.file, cfg.reference or None)
    except backend.parse_error as e:
        raise UsageError(f"cannot parse {cfg.file}: {e}") from None
    if not verdicts:
        raise UsageError(f"no theorem in {cfg.file}")
    if cfg.reference:
        for line in backend.added_imports(text, read_source(cfg.reference)):
            print(f"added {line}")
    for v in verdicts:
        print(f"ok    {v.name}" if v.ok else f"FAIL  {v.name}: {v.reason}")
    bad = sum(not v.ok for v in verdicts)
    print(f"{len(verdicts) - bad}/{len(verdicts)} theorems soundly proved")
    return OK if bad == 0 else REJECTED


def run_train(cfg) -> int:
    if isinstance(cfg, GeneratorTrainConfig):
        from agent.generator.train import run_train_generator
        print("qstar train generator config: " + json.dumps(dataclasses.asdict(cfg)), file=sys.stderr)
        return run_train_generator(cfg)
    if isinstance(cfg, ProjectRankTrainConfig):
        from agent.project.rank_train import run_train_project_rank
        print("qstar train project-rank config: " + json.dumps(dataclasses.asdict(cfg)), file=sys.stderr)
        return run_train_project_rank(cfg)
    what = {SFTConfig: "sft", ValueTrainConfig: "value", TemplateTrainConfig: "templates",
            QVTrainConfig: "qv"}[type(cfg)]
    for path in (cfg.records if what == "qv" else [cfg.data]):
        if not os.path.isfile(path):
            raise UsageError(f"no such data file: {path}")
    print(f"qstar train {what} config: " + json.dumps(dataclasses.asdict(cfg)), file=sys.stderr)
    try:
        if what == "sft":
            from agent.learning.sft import train_sft
            summary = train_sft(cfg)
        elif what == "qv":
            from agent.learning.qv_train import train_qv
            summary = train_qv(cfg)
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


def dispatch(cfg) -> int:
    if (search := getattr(cfg, "search", None)) is not None:
        from agent.search.searcher import procedure_names
        try:
            procedure_names(search.procedures)  # a bad --procedures fails before any work
        except ValueError as e:
            raise UsageError(str(e)) from None
    if isinstance(cfg, ProveConfig):
        from agent.prove.command import run_prove
        return run_prove(cfg)
    if isinstance(cfg, CheckConfig):
        return run_check(cfg)
    if isinstance(cfg, AnnotateConfig):
        from agent.annotate.command import run_annotate
        return run_annotate(cfg)
    if isinstance(cfg, BenchConfig):
        from agent.bench.bench import run_bench, run_collect
        return (run_collect if isinstance(cfg, CollectConfig) else run_bench)(cfg)
    if isinstance(cfg, TraceConfig):
        from agent.learning.traces import run_trace
        return run_trace(cfg)
    if isinstance(cfg, Train):
        return run_train(cfg.what)
    if isinstance(cfg, IterateConfig):
        from agent.learning.iterate import run_iterate
        return run_iterate(cfg)
    if isinstance(cfg, SynthConfig):
        from coq_env.synthetic import write_curriculum
        print(json.dumps(write_curriculum(cfg)))
        return 0
    if isinstance(cfg, Data):
        from agent.learning.leandojo import run_import, run_stats
        return run_import(cfg.what) if isinstance(cfg.what, ImportLeanDojoConfig) else run_stats(cfg.what)
    if isinstance(cfg, ModelConfig):
        from agent.model_folder import table
        from agent.search.searcher import resolve_model
        folder = resolve_model(cfg.folder)
        if not os.path.isdir(folder):
            raise UsageError(f"no such model folder: {cfg.folder}")
        print(table(folder))
        return 0
    if isinstance(cfg, StdlibSuiteConfig):
        from coq_env.stdlib import write_stdlib_suite
        counts = write_stdlib_suite(cfg.out, max_per_file=cfg.max_per_file)
        print(f"wrote {cfg.out}: {json.dumps(counts)}")
        return 0
    raise TypeError(f"no command for {type(cfg).__name__}")


def main(argv: list[str] | None = None) -> int:
    cfg = tyro.cli(Command, args=argv, prog="qstar",
                   description="Tactic-level theorem proving with a real kernel in the loop. " + SUMMARY + ".",
                   config=(tyro.conf.OmitSubcommandPrefixes, tyro.conf.OmitArgPrefixes))
    from agent.proc.interrupt import exit_status, signal_name, stop_signals
    try:
        with stop_signals():  # SIGTERM and SIGHUP stop a run as Ctrl-C does
            return dispatch(cfg)
    except UsageError as e:  # bad input, or a prover that is not installed
        print(f"qstar: error: {e}", file=sys.stderr)
        return USAGE
    except KeyboardInterrupt as e:
        print(f"qstar: interrupted by {signal_name(e)}", file=sys.stderr)
        return exit_status(e)
    except Exception as e:  # a bug or an unforeseen failure: one line, never a traceback
        if os.environ.get("QSTAR_TRACEBACK"):
            raise
        what = " ".join(str(e).split())[:300]
        print(f"qstar: internal error: {type(e).__name__}: {what} (QSTAR_TRACEBACK=1 shows where; "
              "please report it)", file=sys.stderr)
        return INTERNAL_ERROR


if __name__ == "__main__":
    sys.exit(main())
