"""``qstar bench`` and ``qstar collect``: a theorem suite through the search, with a pool of
kernel processes sharing one batched model.

bench writes, in its output folder: ``config.json`` (the whole config), ``results.jsonl`` (one
line per theorem, append-only), ``summary.json`` and ``summary.md`` (a table), and
``plot.png``. collect writes ``config.json`` and ``records.jsonl``, whose lines also hold the
whole search tree, for training. Both resume where they stopped with ``--resume``: a theorem
already in the log is not run again, and a line torn by a kill is cut off.

A statement that does not load (e.g. it needs a library that is not installed) is reported as
"statement error", apart from "not proved"; a theorem whose run raised (a bug, a lost worker) is
an "internal error": every count is printed, the exit status is 3 (agent.exits) when any internal
error happened, and ``--resume`` runs those theorems again. Ctrl-C, SIGTERM and SIGHUP keep every
finished row, write the summary with the signal that stopped the run, and exit 128 + signal.
"""

from __future__ import annotations

import dataclasses
import json
import os
import sys
import time
from dataclasses import dataclass, field
from typing import Annotated, Literal

import tyro

from agent.backends import UsageError
from agent.bench.pool import item_deadline, run_items
from agent.bench.suites import load_suite
from agent.io import JsonlLog
from agent.search.searcher import SearchConfig, build_searcher, check_search, default_model_for


@dataclass
class BenchConfig:
    """Search a theorem suite: bench writes results and a table, collect whole search trees."""

    suite: Annotated[tyro.conf.Positional[str], tyro.conf.arg(metavar="SUITE")]
    """Suite JSONL ({name, split, header, formal_statement}), e.g. ../shared/data/minif2f-rocq-valid.jsonl."""
    out: str
    """Output folder (config.json, the JSONL log, summaries)."""
    split: str = ""
    """Only theorems of this split (empty: all)."""
    half: Literal["", "iterate", "eval"] = ""
    """Only the theorems of this half of the suite, by a fixed hash of the name (iterate: expert
    iteration may search them; eval: held out); empty: all."""
    limit: int = 0
    """At most this many theorems (0: all), in suite order."""
    spread: bool = False
    """With --limit: theorems evenly spaced over the split, not its first ones."""
    workers: int = 0
    """Kernel worker processes (0: one per core; for Lean, no more than memory holds at one REPL's
    RSS limit each; with --cluster ray, one per CPU of the cluster)."""
    cluster: str = "local"
    """Where the workers run: local (a pool on this machine), ray (a Ray runtime on this machine,
    joined or started), or a Ray cluster's address (ray://HOST:PORT through Ray Client, or the
    head's HOST:PORT): kernel workers as actors on its nodes, one model actor, this process
    writing the log (pip install 'qstar[ray]')."""
    prelude: str = "auto"
    """Text put before every header: tactic libraries (auto: Lia/Lra/Psatz for Coq, CoqHammer's
    Tactics when --hammer is on, and nsatz's and Coq.Interval's when --procedures is on; none for
    Lean)."""
    project_index: Literal["on", "off"] = "on"
    """Coq: where an item's header is its file above the theorem (the library-files suite), the
    steps of the human proofs in it are traced before the first search (once per file, cached in
    qstar's cache folder) and the theorem's search proposes them (agent.project); off: the header
    is context only."""
    resume: bool = False
    """Continue an earlier run in the same folder (its log is kept; theorems in it are not run again)."""
    search: SearchConfig = field(default_factory=SearchConfig)
    """How each theorem is searched."""


def _prelude(cfg: BenchConfig, backend: str, statement: str = "") -> str:
    if cfg.prelude != "auto":
        return cfg.prelude + ("\n" if cfg.prelude and not cfg.prelude.endswith("\n") else "")
    from agent.backends import backend_named
    from agent.search.searcher import hammer_mode, procedures_for
    b = backend_named(backend)
    lines = procedures_for(cfg.search, b).fitting(statement).lines()  # nsatz's, and interval's where it may apply
    if hammer_mode(cfg.search, b) != "off":  # the sauto family and hammer's reconstructions need it
        lines.insert(0, b.hammer_line)
    return b.prelude + "".join(ln + "\n" for ln in lines)


def bench_items(cfg: BenchConfig) -> list:
    """The suite items a bench or collect with ``cfg`` works on, prelude included.

    Each item keeps its theorem without the prelude too (``bare``): a stdlib file that the
    prelude's libraries load themselves (NZDiv.v, required by Lia) cannot be replayed beside
    its compiled twin, whose names clash with the replay's; and a library loaded at the top can
    change how an earlier proof of the file checks (its hints join ``auto with *``). Such a theorem
    gets its libraries placed one by one (``coq_env.placement.alternatives``: right above the
    theorem, then one left out at a time: the record's ``prelude_placed``), and only when none loads
    is it searched in its file's own context (``prelude_dropped``).
    """
    items = load_suite(cfg.suite, split=cfg.split, limit=cfg.limit, spread=cfg.spread, half=cfg.half)
    if not items:
        raise UsageError(f"no theorem in {cfg.suite}" + (f" with split {cfg.split!r}" if cfg.split else ""))
    preludes = [_prelude(cfg, it.theorem.backend, it.theorem.statement) for it in items]
    return [dataclasses.replace(it, theorem=dataclasses.replace(it.theorem, context=_around(it.theorem, p)),
                                bare=it.theorem, prelude=p) if p else it
            for it, p in zip(items, preludes)]


def _around(theorem, prelude: str) -> str:
    """``theorem``'s context with the prelude's libraries loaded before it and imported after it
    (Coq: ``coq_env.imports.split_line``), so no sentence of the context changes meaning."""
    from agent.backends import backend_named
    requires, before = backend_named(theorem.backend).split_imports(prelude)
    requires = requires + "\n" if requires and not requires.endswith("\n") else requires
    return requires + theorem.context + ("\n" + before + "\n" if before else "")


def check_cluster(cluster: str) -> None:
    if cluster not in ("local", "ray") and not cluster.startswith("ray://") and ":" not in cluster:
        raise UsageError(f"--cluster {cluster!r}: local, ray, ray://HOST:PORT or a head's HOST:PORT")


def _with_defaults(conf: dict, defaults: dict) -> dict:
    """``conf`` with an option it lacks (a run from before the option existed) at its default,
    and without ``resume``: two configs of the same run compare equal."""
    out = {}
    for k in set(conf) | set(defaults):
        if k == "resume":
            continue
        v = conf.get(k, defaults.get(k))
        out[k] = _with_defaults(v, defaults.get(k) or {}) if isinstance(v, dict) else v
    return out


def _start(cfg: BenchConfig, log_name: str, *, always_resume: bool):
    check_cluster(cfg.cluster)
    items = bench_items(cfg)
    backend = items[0].theorem.backend
    from agent.backends import backend_named
    b = backend_named(backend)
    # a Lean project not built is one line before any work (a Coq suite's rows load one by one:
    # a statement that does not load is that row's statement error)
    built = b.unbuilt("\n".join(it.theorem.context for it in items)) if backend == "lean" else None
    if (why := b.missing() or built) is not None:
        raise UsageError(why)
    cfg.search.model = default_model_for(cfg.search.model, backend, cfg.search.device)
    os.makedirs(cfg.out, exist_ok=True)
    conf_path = os.path.join(cfg.out, "config.json")
    log_path = os.path.join(cfg.out, log_name)
    conf = dataclasses.asdict(cfg)
    if os.path.exists(log_path):
        if not (cfg.resume or always_resume):
            raise UsageError(f"{log_path} exists: pass --resume to continue that run, or another --out")
        old = json.loads(open(conf_path, encoding="utf-8").read()) if os.path.exists(conf_path) else {}
        defaults = dataclasses.asdict(BenchConfig(suite=cfg.suite, out=cfg.out))
        if _with_defaults(old, defaults) != _with_defaults(conf, defaults):
            raise UsageError(f"{cfg.out} holds a run with another config; use another --out")
    from agent.io import atomic_write
    atomic_write(conf_path, json.dumps(conf, indent=2) + "\n")
    print(f"qstar config: {json.dumps(conf)}", file=sys.stderr)
    if cfg.project_index == "on":  # traced before the first search, its time apart from search time
        from agent.project.items import with_project_steps
        items, stats = with_project_steps(items, step_timeout=cfg.search.tactic_timeout)
        atomic_write(os.path.join(cfg.out, "project_index.json"), json.dumps(dataclasses.asdict(stats)) + "\n")
    return items, JsonlLog(log_path, retry=lambda r: r.get("stop_reason") == "internal_error")


def default_workers(items) -> int:
    """Workers when --workers is not given: one per core; for Lean, no more than memory holds at
    one REPL's RSS limit each (a Mathlib REPL is several GB), the choice said on stderr."""
    cores = os.cpu_count() or 1
    if not any(it.theorem.backend == "lean" for it in items):
        return cores
    from agent.backends import process_memory_mb
    per = process_memory_mb("lean")
    avail = available_mb()
    n = max(1, min(cores, int(avail // per))) if avail else 1
    print(f"qstar: {n} Lean worker{'s' if n > 1 else ''}: {avail / 1024:.0f} GiB of memory available, "
          f"{per / 1024:.0f} GiB per REPL (its RSS limit), {cores} cores; --workers sets another",
          file=sys.stderr)
    return n


def available_mb() -> float:
    """MemAvailable of /proc/meminfo in MiB (0 where it cannot be read)."""
    try:
        with open("/proc/meminfo", encoding="ascii") as f:
            for line in f:
                if line.startswith("MemAvailable:"):
                    return int(line.split()[1]) / 1024
    except (OSError, ValueError, IndexError):
        pass
    return 0.0


def run_pool(cfg: BenchConfig, *, log_name: str, keep_tree: bool, always_resume: bool, desc: str,
             skip: frozenset = frozenset(), stopped: list | None = None) -> list[dict]:
    """Run the suite's theorems not in the log yet (nor in ``skip``); the log's rows of the suite.
    With ``stopped`` (a list), an interrupt (Ctrl-C, SIGTERM, SIGHUP) ends the run early: the
    rows so far are returned and the interrupt is appended to ``stopped``; without, it
    propagates once the pool and log are closed."""
    from tqdm import tqdm
    items, log = _start(cfg, log_name, always_resume=always_resume)
    items = [it for it in items if it.id not in skip]
    todo = [it for it in items if it.id not in log.done]
    if cfg.cluster == "local":
        searcher = build_searcher(cfg.search, batching=True)
        results = run_items(todo, searcher=searcher, check_timeout=cfg.search.check_timeout,
                            workers=cfg.workers or default_workers(items), keep_tree=keep_tree,
                            item_deadline=item_deadline(cfg.search))
        close = searcher.close
    else:
        from agent.bench.ray_pool import import_ray, run_items_ray
        import_ray()
        check_search(cfg.search)
        results = run_items_ray(todo, search_cfg=cfg.search, cluster=cfg.cluster, workers=cfg.workers,
                                check_timeout=cfg.search.check_timeout, keep_tree=keep_tree)
        close = results.close
    try:
        with tqdm(total=len(items), initial=len(items) - len(todo), desc=desc, unit="thm",
                  file=sys.stderr, disable=None) as bar:
            for it, rec in results:
                log.append({"id": it.id, "split": it.split, **rec.to_json(),
                            **({"project_steps": len(it.project)} if getattr(it, "project", ()) else {})})
                bar.update(1)
                bar.set_postfix(proved=sum(r["status"] == "proved" for r in log.rows))
    except KeyboardInterrupt as e:
        if stopped is None:
            raise
        stopped.append(e)
    finally:
        close()
        log.close()
    wanted = {it.id for it in items}
    return [r for r in log.rows if r["id"] in wanted]


def summarize(rows: list[dict]) -> dict:
    n = len(rows)
    proved = sum(r["status"] == "proved" for r in rows)
    stmt = sum(r.get("stop_reason") == "statement_error" for r in rows)
    internal = sum(r.get("stop_reason") == "internal_error" for r in rows)
    failed = n - proved - stmt - internal
    loadable = n - stmt
    return {"theorems": n, "proved": proved, "not_proved": failed, "statement_error": stmt,
            "internal_error": internal, "rate": proved / n if n else 0.0,
            "rate_loadable": proved / loadable if loadable else 0.0,
            # the prelude's libraries placed above the theorem (some maybe left out), or dropped
            "prelude_placed": sum(bool(r.get("prelude_placed")) for r in rows),
            "prelude_dropped": sum(bool(r.get("prelude_dropped")) for r in rows),
            # the human proofs above the theorem in its file, proposed by the search (agent.project)
            "with_project_steps": sum(bool(r.get("project_steps")) for r in rows),
            "proofs_with_project_step": sum(any("proj" in s for s in (r.get("proof_sources") or []))
                                            for r in rows if r["status"] == "proved"),
            "search_seconds": round(sum(r.get("seconds", 0.0) for r in rows), 1),
            "expansions": sum(r.get("expansions", 0) for r in rows)}


def counts_line(s: dict) -> str:
    """Every status's count, for the closing line of bench and collect."""
    line = (f"proved {s['proved']}/{s['theorems']} ({100 * s['rate']:.1f}%), not proved {s['not_proved']}, "
            f"statement errors {s['statement_error']}, internal errors {s['internal_error']}")
    if s.get("prelude_placed") or s.get("prelude_dropped"):
        line += (f"; prelude placed above the theorem {s.get('prelude_placed', 0)}, "
                 f"searched without it {s.get('prelude_dropped', 0)}")
    if (s.get("fallbacks") or {}).get("file_lemmas_unsplit"):
        line += (f"; {s['fallbacks']['file_lemmas_unsplit']} contexts could not be split: their file's lemmas "
                 "were not offered")
    if s.get("with_project_steps"):
        line += (f"; {s['with_project_steps']} searched with their file's proofs above them, "
                 f"{s.get('proofs_with_project_step', 0)} proofs use one of their steps")
    return line


def write_summary(cfg: BenchConfig, rows: list[dict], *, interrupted: str = "") -> dict:
    from agent.io import atomic_write
    s = summarize(rows)
    s["interrupted"] = interrupted
    if cfg.cluster == "local":  # what the workers (threads of this process) skipped, and why
        from agent.backends import backend_named
        s["fallbacks"] = backend_named("coq").fallbacks()
    traced = os.path.join(cfg.out, "project_index.json")  # the last start's tracing (agent.project)
    if os.path.exists(traced):
        s["project_index"] = json.loads(open(traced, encoding="utf-8").read())
    atomic_write(os.path.join(cfg.out, "summary.json"), json.dumps({"config": dataclasses.asdict(cfg),
                                                                   "summary": s}, indent=2) + "\n")
    lines = ["| suite | split | model | search | budget | theorems | proved | rate | not proved "
             "| statement errors | internal errors | interrupted |",
             "| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |",
             f"| {os.path.basename(cfg.suite)} | {cfg.split or 'all'} | {cfg.search.model or 'automation'} | "
             f"{cfg.search.ordering} | {cfg.search.budget} exp / {cfg.search.timeout:.0f}s | {s['theorems']} | "
             f"{s['proved']} | {100 * s['rate']:.1f}% | {s['not_proved']} | {s['statement_error']} | "
             f"{s['internal_error']} | {interrupted or 'no'} |", "",
             "| theorem | status | expansions | seconds | proof or reason |", "| --- | --- | --- | --- | --- |"]
    for r in rows:
        detail = " ".join(r["proof"]) if r.get("proof") else r.get("message", "")
        lines.append(f"| {r['id']} | {r['status']} | {r.get('expansions', 0)} | {r.get('seconds', 0):.1f} | "
                     f"{detail[:100].replace('|', '/')} |")
    atomic_write(os.path.join(cfg.out, "summary.md"), "\n".join(lines) + "\n")
    plot_bench(rows, os.path.join(cfg.out, "plot.png"), title=os.path.basename(cfg.suite))
    return s


def plot_bench(rows: list[dict], path: str, *, title: str) -> bool:
    """Proved theorems against cumulative search time, and outcome counts. False if no matplotlib."""
    try:
        import matplotlib
        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        return False
    s = summarize(rows)
    fig, (a, b) = plt.subplots(1, 2, figsize=(10, 4))
    t, cum, xs, ys = 0.0, 0, [0.0], [0]
    for r in sorted(rows, key=lambda r: r.get("seconds", 0.0)):
        t += r.get("seconds", 0.0)
        cum += r["status"] == "proved"
        xs.append(t)
        ys.append(cum)
    a.plot(xs, ys)
    a.set_xlabel("cumulative search seconds (fastest first)")
    a.set_ylabel("theorems proved")
    a.set_title(f"{title}: {s['proved']}/{s['theorems']} proved")
    b.bar(["proved", "not proved", "statement error", "internal error"],
          [s["proved"], s["not_proved"], s["statement_error"], s["internal_error"]],
          color=["tab:green", "tab:gray", "tab:red", "tab:purple"])
    b.set_title("outcomes")
    fig.tight_layout()
    fig.savefig(path, dpi=100)
    plt.close(fig)
    return True


def _status(rows: list, stopped: list, command: str) -> int:
    """128 + the signal that stopped the run; else 3 (agent.exits) when any theorem hit an internal error."""
    from agent.exits import internal_errors
    from agent.proc.interrupt import exit_status, signal_name
    if stopped:
        print(f"qstar: interrupted by {signal_name(stopped[0])}; the rows so far are kept "
              "(--resume continues)", file=sys.stderr)
        return exit_status(stopped[0])
    return internal_errors(rows, command)


def run_bench(cfg: BenchConfig) -> int:
    from agent.proc.interrupt import signal_name
    t0 = time.monotonic()
    stopped: list = []
    rows = run_pool(cfg, log_name="results.jsonl", keep_tree=False, always_resume=False, desc="bench",
                    stopped=stopped)
    s = write_summary(cfg, rows, interrupted=signal_name(stopped[0]) if stopped else "")
    print(f"{counts_line(s)}, in {time.monotonic() - t0:.0f}s; wrote {cfg.out}/summary.md")
    return _status(rows, stopped, "bench")


def run_collect(cfg: BenchConfig) -> int:
    stopped: list = []
    rows = run_pool(cfg, log_name="records.jsonl", keep_tree=True, always_resume=False, desc="collect",
                    stopped=stopped)
    from agent.proc.interrupt import signal_name
    # the same summary.json / summary.md as bench: what was searched, and the signal that stopped it
    s = write_summary(cfg, rows, interrupted=signal_name(stopped[0]) if stopped else "")
    print(f"collected {s['theorems']} search records: {counts_line(s)}; wrote {cfg.out}/records.jsonl")
    return _status(rows, stopped, "collect")
