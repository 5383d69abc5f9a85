"""Expert iteration: search, keep what the kernel accepts, train on it, search again.

Two learners (``--learner``):
- ``features`` (the default, made for CPUs): each round searches the pool's statements that no
  round has proved yet (the train suite, e.g. miniF2F's iterate half, plus ``--curriculum``),
  with every proof joining the retrieval database the moment the final check accepts it
  (online); then trains on all records so far Q(s, a) and V(s) over goal features (``qstar train
  qv``, seconds) and the template policy, and rebuilds the retrieval database (the ``init``
  folder's rows plus every found proof) and, when there is one (``--search.generator DIR`` or the
  init folder's ``generator/``), the step generator: the corpus-trained one plus every proof
  found so far, learned as corpus rows are (``train_generator_round``), in the round's model folder. Round 0 searches with the ``init`` folder (retrieval and
  templates ranked by their own scores, row ``init`` of the table).
- ``lm``: the transformer policy and its value head, trained by SFT (for GPUs; below).

Folder layout of a run (everything resumable; a finished stage is never run twice):

    OUT/config.json              the whole IterateConfig
    OUT/baseline/                automation-only search on the held-out split (bench output)
    OUT/round_K/collect/         search records on the train split (model K-1; automation for K=0)
    OUT/round_K/data/            sft.jsonl, value.jsonl, pairs.jsonl, weighted.jsonl (all data so far)
    OUT/round_K/model/           model K: policy + value head (safetensors + qstar.json)
    OUT/round_K/eval/            model K on the held-out split, same budget as the baseline
    OUT/rounds.jsonl, rounds.md, rounds.png   one row per round: proved, attempted, rate, time, data sizes

Round K trains model K on everything so far: the human traces (if given) plus every search
record of rounds 0..K, starting from model K-1 (round 0 starts from ``init``). The policy is
trained by SFT plus the preference loss on kernel-rejected tactics; the value head is then
trained on the policy's trunk; and the model folder gets a k-NN retrieval database of every
(state, tactic) of human and found proofs so far (``agent.policies.retrieval``) and a template policy trained on
the same rows (``agent.policies.template_policy``), which search unites with the model's and the
automation's candidates.
"""

from __future__ import annotations

import dataclasses
import json
import os
import sys
import time
from dataclasses import dataclass, field
from typing import Literal

from agent.backends import UsageError
from agent.bench.bench import BenchConfig, run_pool, summarize, write_summary
from agent.generator.policy import GENERATOR_DIR
from agent.io import read_jsonl, write_jsonl
from agent.search.labels import read_records
from agent.search.searcher import SearchConfig
from agent.learning.trainloop import LoopConfig


@dataclass
class IterateConfig:
    """Expert iteration: collect with model k-1, train model k on every kernel-checked proof so
    far, evaluate, repeat."""

    out: str
    """Run folder (created; an existing one is resumed)."""
    train_suite: str
    """Suite JSONL whose theorems the search collects data on."""
    eval_suite: str
    """Suite JSONL of held-out theorems."""
    rounds: int = 2
    """Rounds after round 0."""
    learner: Literal["features", "lm"] = "features"
    """features: Q, V over goal features, templates and online retrieval (CPU minutes); lm: the
    transformer policy and value head by SFT (GPU)."""
    train_half: Literal["", "iterate", "eval"] = ""
    """Only this half of train_suite (by a fixed hash of the name); e.g. iterate, with
    --eval-half eval on the same suite."""
    eval_half: Literal["", "iterate", "eval"] = ""
    """Only this half of eval_suite; eval is never searched in training when --train-half is iterate."""
    curriculum: str = ""
    """Another suite JSONL joining the pool every round searches (features learner; e.g. the
    statements of `qstar synth`)."""
    train_split: str = "train"
    """Split of train_suite to collect on."""
    train_limit: int = 0
    """At most this many training theorems (0: all)."""
    eval_split: str = ""
    """Split of eval_suite (empty: all)."""
    eval_limit: int = 0
    """At most this many held-out theorems (0: all)."""
    spread: bool = False
    """With the limits: theorems evenly spaced over each split, not its first ones."""
    traces: str = ""
    """Human traces (qstar trace output) added to every round's SFT and value data."""
    init: str = "tiny-causal"
    """lm: model of round 0's training start (tiny-causal / tiny-seq2seq, a preset or a folder).
    features: a folder whose retrieval database and template policy round 0 searches with and
    every round's database starts from (default: the bundled model)."""
    width: int = 128
    """Hidden width of a tiny model."""
    layers: int = 2
    """Layers of a tiny model."""
    max_state_chars: int = 256
    """States are cut to this many characters for the model (conclusion and nearest hypotheses kept)."""
    sft_steps: int = 400
    """Optimiser steps of policy training per round."""
    value_steps: int = 200
    """Optimiser steps of value training per round."""
    lr: float = 1e-3
    """Learning rate of both."""
    batch_size: int = 16
    """Rows per optimiser step."""
    proof_weight: int = 1
    """Copies of every found-proof step in the policy's training rows (traced steps count once).
    Found proofs are a few hundred steps beside tens of thousands of traced ones; without weight
    a round hardly sees what the last search taught it."""
    template_epochs: int = 8
    """Passes of the template policy's training per round (0: no template policy)."""
    preference: str = "dpo"
    """dpo (pairs of proof tactic vs kernel-rejected tactic), weighted (Q-SFT-style), or none."""
    gamma: float = 0.9
    """Value target of a state d steps from the end of a proof: gamma^d."""
    workers: int = 0
    """Kernel worker processes (0: one per core; with --cluster ray, one per CPU of the cluster)."""
    cluster: str = "local"
    """Where each round's searches run: local, ray, or a Ray cluster's address (see qstar bench
    --cluster); training runs in this process."""
    prelude: str = "auto"
    """Text put before every header (auto: Lia/Lra/Psatz for Coq)."""
    search: SearchConfig = field(default_factory=lambda: SearchConfig(model="none", ordering="astar",
                                                                     astar_lambda=0.5, budget=32))
    """Search settings of every collect and eval (the model is set per round)."""


def _bench_cfg(cfg: IterateConfig, out: str, suite: str, split: str, limit: int, model: str,
               order: str, half: str = "", **search) -> BenchConfig:
    if cfg.learner == "features" and cfg.search.generator != "none":
        search.setdefault("generator", "")  # each round's model folder carries its generator (if any)
    search = dataclasses.replace(cfg.search, model=model or "none", ordering=order, **search)
    return BenchConfig(suite=suite, out=out, split=split, half=half, limit=limit, spread=cfg.spread,
                       workers=cfg.workers, cluster=cfg.cluster, prelude=cfg.prelude, resume=True,
                       search=search)


def build_data(cfg: IterateConfig, round_dir: str, record_files: list[str]) -> dict:
    from agent.learning.data import dedup, from_records, from_traces
    traced, found, value, pairs, weighted = [], [], [], [], []
    if cfg.traces:
        s, v = from_traces(read_jsonl(cfg.traces, allow_empty=True), gamma=cfg.gamma)
        traced += s
        value += v
    for f in record_files:
        s, v, p, w = from_records(read_records(f), gamma=cfg.gamma)
        found += s
        value += v
        pairs += p
        weighted += w
    data = os.path.join(round_dir, "data")
    os.makedirs(data, exist_ok=True)
    found = dedup(found)
    policy_rows = dedup(traced + found + (weighted if cfg.preference == "weighted" else []))
    sizes = {"sft": len(policy_rows), "found_steps": len(found), "value": len(dedup(value)),
             "pairs": len(dedup(pairs))}
    policy_rows += found * (max(cfg.proof_weight, 1) - 1)  # the rows are unique; copies weight them
    write_jsonl(os.path.join(data, "sft.jsonl"), policy_rows)
    write_jsonl(os.path.join(data, "value.jsonl"), dedup(value))
    write_jsonl(os.path.join(data, "pairs.jsonl"), dedup(pairs))
    return sizes


def train_round(cfg: IterateConfig, round_dir: str, start: str) -> str:
    from agent.learning.sft import SFTConfig, train_sft
    from agent.learning.value_train import ValueTrainConfig, train_value
    from agent.learning.data import dedup
    from agent.policies.retrieval import KnnPolicy
    from agent.search.searcher import KNN_FILE
    model = os.path.join(round_dir, "model")
    data = os.path.join(round_dir, "data")
    from agent.policies.template_policy import META_FILE, TemplateConfig, train_templates
    if os.path.isfile(os.path.join(model, "value_head.json")) and os.path.isfile(os.path.join(model, KNN_FILE)) \
            and (cfg.template_epochs == 0 or os.path.isfile(os.path.join(model, META_FILE))):
        return model  # trained already (resume)
    loop = LoopConfig(max_steps=cfg.sft_steps, lr=cfg.lr, batch_size=cfg.batch_size)
    pairs = os.path.join(data, "pairs.jsonl")
    use_pairs = cfg.preference == "dpo" and os.path.getsize(pairs) > 0
    if os.path.getsize(os.path.join(data, "sft.jsonl")) == 0:
        raise UsageError("no training data: give --traces or a train suite the search can prove some of")
    train_sft(SFTConfig(data=os.path.join(data, "sft.jsonl"), out=model, init=start, width=cfg.width,
                        layers=cfg.layers, max_state_chars=cfg.max_state_chars,
                        pairs=pairs if use_pairs else "", loop=loop, device=cfg.search.device))
    # The retrieval database: every (state, tactic) of human and found proofs so far.
    from agent.backends import row_goals
    rows = read_jsonl(os.path.join(data, "sft.jsonl"), allow_empty=True)
    goals = {id(r): row_goals(r) for r in rows}  # each row's goals read once, for both models
    if cfg.template_epochs:  # the template policy, trained anew on the same rows each round
        tpl, _ = train_templates([(goals[id(r)], r["tactic"]) for r in rows],
                                 TemplateConfig(epochs=cfg.template_epochs),
                                 log_path=os.path.join(model, "template_train_log.jsonl"))
        tpl.save(model)
    unique = [(goals[id(r)], r["tactic"]) for r in dedup(rows)]  # weight copies are no neighbours
    KnnPolicy.save_rows(os.path.join(model, KNN_FILE), unique)
    carry_untrained(start, model)
    if os.path.getsize(os.path.join(data, "value.jsonl")) > 0:
        train_value(ValueTrainConfig(data=os.path.join(data, "value.jsonl"), out=model, init=model,
                                     device=cfg.search.device, max_state_chars=cfg.max_state_chars,
                                     loop=dataclasses.replace(loop, max_steps=cfg.value_steps)))
    return model


_PHASE = [""]  # the run_pool call in progress ("round 1 collect"), named when a signal stops the run


def _run(bench_cfg: BenchConfig, **kw) -> list[dict]:
    _PHASE[0] = kw["desc"]
    return run_pool(bench_cfg, **kw)


def run_iterate(cfg: IterateConfig) -> int:
    """Run the rounds; a signal (Ctrl-C, SIGTERM, SIGHUP) stops them with every finished round and
    record kept, ``stopped.json`` and ``rounds.md`` naming the signal and the phase it stopped,
    and the same command resumes from there."""
    from agent.io import atomic_write
    stale = os.path.join(cfg.out, "stopped.json")
    try:
        status = _run_iterate(cfg)
    except KeyboardInterrupt as e:
        from agent.proc.interrupt import signal_name
        note = {"signal": signal_name(e), "during": _PHASE[0],
                "resume": "run the same command again: finished rounds and records are kept"}
        if os.path.isdir(cfg.out):
            atomic_write(stale, json.dumps(note) + "\n")
            md = os.path.join(cfg.out, "rounds.md")
            old = open(md, encoding="utf-8").read() if os.path.isfile(md) else ""
            atomic_write(md, old + f"\nStopped by {note['signal']} during {note['during'] or 'set-up'}; "
                         f"{note['resume']}.\n")
        raise
    if os.path.exists(stale):
        os.remove(stale)  # this run finished: the folder no longer says it was stopped
    return status


def _run_iterate(cfg: IterateConfig) -> int:
    from agent.io import atomic_write
    for what, path in (("--traces", cfg.traces), ("--train-suite", cfg.train_suite), ("--eval-suite", cfg.eval_suite)):
        if path and not os.path.isfile(path):
            raise UsageError(f"{what}: no such file: {path}")
    os.makedirs(cfg.out, exist_ok=True)
    conf_path = os.path.join(cfg.out, "config.json")
    conf = dataclasses.asdict(cfg)
    if os.path.exists(conf_path):
        defaults = IterateConfig(out=cfg.out, train_suite=cfg.train_suite, eval_suite=cfg.eval_suite)
        old = {**dataclasses.asdict(defaults),  # a setting added since: its default
               **json.loads(open(conf_path, encoding="utf-8").read())}
        if {k: v for k, v in old.items() if k != "rounds"} != {k: v for k, v in conf.items() if k != "rounds"}:
            raise UsageError(f"{cfg.out} holds a run with another config; use another --out")
    atomic_write(conf_path, json.dumps(conf, indent=2) + "\n")
    print(f"qstar iterate config: {json.dumps(conf)}", file=sys.stderr)

    rows = []
    t0 = time.monotonic()
    base = _bench_cfg(cfg, os.path.join(cfg.out, "baseline"), cfg.eval_suite, cfg.eval_split,
                      cfg.eval_limit, "", "bfs", cfg.eval_half,
                      **({"goal_args": "off"} if cfg.learner == "features" else {}))
    s = write_summary(base, _run(base, log_name="results.jsonl", keep_tree=False,
                                     always_resume=True, desc="baseline"))
    rows.append({"round": "automation", **_row(s, _first_seconds(base.out, time.monotonic() - t0))})
    if cfg.learner == "features":
        return _iterate_features(cfg, rows)
    record_files: list[str] = []
    model = ""
    for k in range(cfg.rounds + 1):
        rdir = os.path.join(cfg.out, f"round_{k}")
        t1 = time.monotonic()
        order = cfg.search.ordering if model else "bfs"  # automation has no value head
        col = _bench_cfg(cfg, os.path.join(rdir, "collect"), cfg.train_suite, cfg.train_split,
                         cfg.train_limit, model, order)
        collected = summarize(_run(col, log_name="records.jsonl", keep_tree=True,
                                       always_resume=True, desc=f"round {k} collect"))
        record_files.append(os.path.join(rdir, "collect", "records.jsonl"))
        _PHASE[0] = f"round {k} training"
        sizes = build_data(cfg, rdir, record_files)
        model = train_round(cfg, rdir, model or cfg.init)
        ev = _bench_cfg(cfg, os.path.join(rdir, "eval"), cfg.eval_suite, cfg.eval_split,
                        cfg.eval_limit, model, cfg.search.ordering)
        s = write_summary(ev, _run(ev, log_name="results.jsonl", keep_tree=False,
                                       always_resume=True, desc=f"round {k} eval"))
        rows.append({"round": k, **_row(s, time.monotonic() - t1), "collect_proved": collected["proved"],
                     "collect_attempted": collected["theorems"], **{f"data_{a}": b for a, b in sizes.items()}})
        _write_rounds(cfg.out, rows)
    print(open(os.path.join(cfg.out, "rounds.md"), encoding="utf-8").read())
    return _internal_errors(cfg.out)


def _internal_errors(out: str) -> int:
    """3 (agent.exits), said on stderr, when a theorem of any run in the folder hit an internal
    error (a rerun with the same --out retries them: every run in it resumes); else 0."""
    from agent.exits import internal_errors
    rows = []
    for d, _, files in os.walk(out):
        for name in ("results.jsonl", "records.jsonl"):
            if name in files:
                rows += _stop_reasons(os.path.join(d, name))
    return internal_errors(rows, "iterate", "run the same command again to retry them")


def _stop_reasons(path: str) -> list[dict]:
    """The internal errors among a run's log lines (read as text: a collect line holds a whole
    search tree, and a line's stop reason is written by json.dumps as matched here)."""
    with open(path, encoding="utf-8") as f:
        return [{"stop_reason": "internal_error"} for line in f if '"stop_reason": "internal_error"' in line]


def _init_folder(cfg: IterateConfig) -> str:
    from agent.search.searcher import KNN_FILE, resolve_model
    init = resolve_model("default" if cfg.init in ("tiny-causal", "default", "auto") else cfg.init)
    if not os.path.isfile(os.path.join(init, KNN_FILE)):
        raise UsageError(f"--init {init}: the features learner needs a folder with a retrieval database ({KNN_FILE})")
    return init


def _iterate_features(cfg: IterateConfig, rows: list[dict]) -> int:
    init = _init_folder(cfg)
    t1 = time.monotonic()
    ev = _bench_cfg(cfg, os.path.join(cfg.out, "init_eval"), cfg.eval_suite, cfg.eval_split, cfg.eval_limit,
                    _no_lm(cfg, init), "bfs", cfg.eval_half)
    s = write_summary(ev, _run(ev, log_name="results.jsonl", keep_tree=False, always_resume=True,
                                   desc="init eval"))
    rows.append({"round": "init", **_row(s, _first_seconds(ev.out, time.monotonic() - t1))})
    _write_rounds(cfg.out, rows)
    pool = [(cfg.train_suite, cfg.train_split, cfg.train_limit, cfg.train_half, "collect")]
    if cfg.curriculum:
        pool.append((cfg.curriculum, "", 0, "", "collect_curriculum"))
    record_files: list[str] = []
    proved: set[tuple[str, str]] = set()  # (pool part, theorem id) proved by some round
    model = _no_lm(cfg, init)
    for k in range(cfg.rounds + 1):
        rdir = os.path.join(cfg.out, f"round_{k}")
        t1 = time.monotonic()
        order = cfg.search.ordering if k else "bfs"  # round 0's init has no V
        attempted = found = 0
        for suite, split, limit, half, name in pool:
            col = _bench_cfg(cfg, os.path.join(rdir, name), suite, split, limit, model, order, half, online="on")
            skip = frozenset(i for part, i in proved if part == name)
            got = _run(col, log_name="records.jsonl", keep_tree=True, always_resume=True,
                           desc=f"round {k} {name}", skip=skip)
            record_files.append(os.path.join(rdir, name, "records.jsonl"))
            attempted += len(got)
            for r in got:
                if r["status"] == "proved":
                    proved.add((name, r["id"]))
                    found += 1
        _PHASE[0] = f"round {k} training"
        model = train_features_round(cfg, rdir, init, record_files)
        ev = _bench_cfg(cfg, os.path.join(rdir, "eval"), cfg.eval_suite, cfg.eval_split, cfg.eval_limit, model,
                        cfg.search.ordering, cfg.eval_half)
        s = write_summary(ev, _run(ev, log_name="results.jsonl", keep_tree=False, always_resume=True,
                                       desc=f"round {k} eval"))
        metrics = json.loads(open(os.path.join(model, "qv_metrics.json"), encoding="utf-8").read())
        rows.append({"round": k, **_row(s, _first_seconds(rdir, time.monotonic() - t1)), "collect_proved": found,
                     "collect_attempted": attempted, "pool_proved_total": len(proved),
                     "data_q_rows": metrics.get("q_pos", 0) + metrics.get("q_neg", 0),
                     "data_value": metrics.get("v_pos", 0) + metrics.get("v_neg", 0),
                     "v_auc_held_out": metrics.get("v_auc_held_out"), "q_auc_held_out": metrics.get("q_auc_held_out")})
        _write_rounds(cfg.out, rows)
    print(open(os.path.join(cfg.out, "rounds.md"), encoding="utf-8").read())
    return _internal_errors(cfg.out)


def _first_seconds(rdir: str, seconds: float) -> float:
    """A round's wall time as its first run measured it (a resumed run that finds the round done
    takes seconds, not the round's time)."""
    from agent.io import atomic_write
    path = os.path.join(rdir, "seconds.json")
    if os.path.isfile(path):
        return json.loads(open(path, encoding="utf-8").read())["seconds"]
    atomic_write(path, json.dumps({"seconds": round(seconds, 1)}) + "\n")
    return seconds


def _no_lm(cfg: IterateConfig, init: str) -> str:
    """A folder with the init's retrieval database and template policy and no network (the
    features learner never runs an LM): round 0 searches with it."""
    import shutil

    from agent.policies.template_policy import META_FILE, MODEL_FILE
    from agent.search.searcher import KNN_FILE
    out = os.path.join(cfg.out, "init_model")
    if not os.path.isfile(os.path.join(out, KNN_FILE)):
        os.makedirs(out, exist_ok=True)
        base = base_generator(cfg, init)
        if base:
            shutil.rmtree(os.path.join(out, GENERATOR_DIR), ignore_errors=True)
            shutil.copytree(base, os.path.join(out, GENERATOR_DIR))
        carry_untrained(init, out)
        for f in (META_FILE, MODEL_FILE, KNN_FILE):  # the database last: it marks the copy done
            if os.path.isfile(os.path.join(init, f)):
                shutil.copyfile(os.path.join(init, f), os.path.join(out, f + ".tmp"))
                os.replace(os.path.join(out, f + ".tmp"), os.path.join(out, f))
    return out


def carry_untrained(init: str, model: str) -> list[str]:
    """Copy the parts of ``init`` that no round trains (the ranker of the file's own steps) into
    the round's ``model`` folder, so a round's model ranks a project as its init did; returns the
    parts copied."""
    import shutil

    from agent.model_folder import PARTS
    done: list[str] = []
    if not init or not os.path.isdir(init):
        return done
    for kind in ("project_rank",):
        for f in PARTS[kind].files:
            if os.path.isfile(os.path.join(init, f)):
                shutil.copyfile(os.path.join(init, f), os.path.join(model, f + ".tmp"))
                os.replace(os.path.join(model, f + ".tmp"), os.path.join(model, f))
                done.append(kind)
    return done


def base_generator(cfg: IterateConfig, init: str) -> str:
    """The step generator every round starts from: ``--search.generator`` when it names one, else
    the init folder's ``generator/``; "" for none (or ``--search.generator none``)."""
    from agent.generator.policy import has_generator
    if cfg.search.generator == "none":
        return ""
    if cfg.search.generator:
        if not has_generator(cfg.search.generator):
            raise UsageError(f"--search.generator {cfg.search.generator}: no generator there "
                             "(`qstar train generator` writes one)")
        return cfg.search.generator
    return os.path.join(init, GENERATOR_DIR) if has_generator(os.path.join(init, GENERATOR_DIR)) else ""


def train_generator_round(base: str, out: str, record_files: list[str]) -> int:
    """The round's generator: the base generator (trained on the corpus) plus every checked proof
    of every round so far, learned as a run learns the user's proofs (``Learners.study_records``);
    written to ``out``. Returns the number of proof steps added."""
    from agent.generator.model import Generator
    from agent.search.learners import Learners
    gen = Generator.load(base, keep_goals=True)
    added = Learners(generator=gen).study_records(record_files)
    gen.save(out, gen.row_goals)
    return added


def train_features_round(cfg: IterateConfig, rdir: str, init: str, record_files: list[str]) -> str:
    """Model k of the features learner: Q and V on every record so far, the retrieval database
    (init's rows + every found proof's steps) and the template policy retrained on the same rows."""
    import gzip

    from agent.backends import goals_of
    from agent.learning.data import dedup, from_records
    from agent.learning.qv_train import QVTrainConfig, train_qv
    from agent.policies.qscore import has_q
    from agent.policies.retrieval import KnnPolicy
    from agent.policies.template_policy import META_FILE, TemplateConfig, train_templates
    from agent.search.searcher import KNN_FILE
    model = os.path.join(rdir, "model")
    if has_q(model) and os.path.isfile(os.path.join(model, KNN_FILE)) and os.path.isfile(os.path.join(model, "qv_metrics.json")) \
            and os.path.isfile(os.path.join(model, "manifest.json")):
        return model  # trained already (resume)
    os.makedirs(model, exist_ok=True)
    with gzip.open(os.path.join(init, KNN_FILE), "rt", encoding="utf-8") as f:
        base = [json.loads(line) for line in f if line.strip()]
    found = []
    for path in record_files:
        sft, _, _, _ = from_records(read_records(path), gamma=cfg.gamma)
        found += sft
    found = dedup([{"goals": r["goals"][:1], "tactic": r["tactic"]} for r in found])
    rows = [(goals_of(r["goals"]), r["tactic"]) for r in base + found]
    if cfg.template_epochs:
        weighted = rows + [(goals_of(r["goals"]), r["tactic"]) for r in found] * (max(cfg.proof_weight, 1) - 1)
        tpl, _ = train_templates(weighted, TemplateConfig(epochs=cfg.template_epochs),
                                 log_path=os.path.join(model, "template_train_log.jsonl"))
        tpl.save(model)
    else:
        import shutil
        for f in (META_FILE, "template_model.safetensors"):
            if os.path.isfile(os.path.join(init, f)):
                shutil.copyfile(os.path.join(init, f), os.path.join(model, f))
    train_qv(QVTrainConfig(records=record_files, out=model))
    base = base_generator(cfg, init)
    if base:
        train_generator_round(base, os.path.join(model, GENERATOR_DIR), record_files)
    KnnPolicy.save_rows(os.path.join(model, KNN_FILE), rows)
    from agent.model_folder import describe, trained_by, write_manifest
    how = trained_by(f"qstar iterate --learner features ({os.path.basename(rdir)}, --out {cfg.out})",
                     [init, *([base] if base else []), *record_files])
    carried = {k: describe(init)["parts"][k]["trained_by"] for k in carry_untrained(init, model)}
    write_manifest(model, {**carried, **{part: how for part in ("retrieval", "templates", "q", "v", "generator")
                                         if part != "generator" or base}})  # last: it marks the round trained
    return model


def _row(s: dict, seconds: float) -> dict:
    return {"proved": s["proved"], "attempted": s["theorems"], "rate": round(s["rate"], 4),
            "statement_errors": s["statement_error"], "seconds": round(seconds, 1)}


def _write_rounds(out: str, rows: list[dict]) -> None:
    from agent.io import atomic_write
    write_jsonl(os.path.join(out, "rounds.jsonl"), rows)
    features = any("pool_proved_total" in r for r in rows) or any(r["round"] == "init" for r in rows)
    if features:
        lines = ["| round | eval proved | attempted | rate | statement errors | pool searched | pool proved (round) | "
                 "pool proved (all rounds) | Q rows | V rows | Q AUC (held out) | V AUC (held out) | seconds |",
                 "| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |"]
        for r in rows:
            lines.append(f"| {r['round']} | {r['proved']} | {r['attempted']} | {100 * r['rate']:.1f}% | "
                         f"{r['statement_errors']} | {r.get('collect_attempted', '')} | {r.get('collect_proved', '')} | "
                         f"{r.get('pool_proved_total', '')} | {r.get('data_q_rows', '')} | {r.get('data_value', '')} | "
                         f"{r.get('q_auc_held_out', '')} | {r.get('v_auc_held_out', '')} | {r['seconds']} |")
    else:
        lines = ["| round | proved | attempted | rate | statement errors | train proved | SFT rows | value rows | pairs | seconds |",
                 "| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |"]
    for r in ([] if features else rows):
        lines.append(f"| {r['round']} | {r['proved']} | {r['attempted']} | {100 * r['rate']:.1f}% | "
                     f"{r['statement_errors']} | {r.get('collect_proved', '')} | {r.get('data_sft', '')} | "
                     f"{r.get('data_value', '')} | {r.get('data_pairs', '')} | {r['seconds']} |")
    atomic_write(os.path.join(out, "rounds.md"), "\n".join(lines) + "\n")
    try:
        import matplotlib
        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        return
    fig, ax = plt.subplots(figsize=(6, 4))
    model_rows = [r for r in rows if r["round"] not in ("automation", "init")]
    ax.plot([r["round"] for r in model_rows], [100 * r["rate"] for r in model_rows], "o-", label="model round k")
    base = next((r for r in rows if r["round"] == "automation"), None)
    if base:
        ax.axhline(100 * base["rate"], linestyle="--", color="gray", label="automation only")
    init = next((r for r in rows if r["round"] == "init"), None)
    if init:
        ax.axhline(100 * init["rate"], linestyle=":", color="tab:orange", label="init (sources' own scores)")
    ax.set_xticks([r["round"] for r in model_rows])
    ax.set_xlabel("round")
    ax.set_ylabel("held-out proved (%)")
    ax.legend()
    fig.tight_layout()
    fig.savefig(os.path.join(out, "rounds.png"), dpi=100)
    plt.close(fig)
