"""``qstar prove FILE``: the open theorems of one file, in file order, through the same
per-theorem isolated runner as ``bench``, with nothing lost on the way.

A theorem is searched and checked in the context the finished file will give it: each earlier
open theorem carries the proof found for it, or is cut out when it has none, so no search and no
check sees an unproved lemma (when the file's own later text needs the cut lemma, the theorem is
searched in the file's original context instead, and the final check still refuses any proof that
depends on an Admitted lemma). The file's earlier closed lemmas and axioms join the automation's
candidates (``apply L.``, ``rewrite L.``, ``eapply L.``).

After every theorem the output file (the source with the proofs found so far) and the JSON
report are rewritten atomically, so a Ctrl-C, a kill or a crash after theorem k leaves theorems
1..k on disk, proved where they were proved; Ctrl-C (or SIGTERM, SIGHUP) then exits 128 + the
signal with a report that says the run was interrupted and by which signal. A theorem whose
search raises, or whose prover dies while loading it, is recorded as an internal error (apart
from a statement error: a statement that does not load) and the others go on; the run then exits
3 (agent.exits), and ``qstar prove`` on the written file tries the theorems still open again.

Nothing is reported or written as proved before a check of what is written passed: with one
worker each proof is checked in the context the written file gives it; with --workers N, where
each was searched without the other open theorems, the file with the proofs accepted so far plus
the new one is checked whole (from a temporary copy) before the new one is taken. A file
rewritten without CoqHammer's unused import is likewise checked before it replaces the output.
"""

from __future__ import annotations

import dataclasses
import json
import os
import shutil
import signal
import sys
import tempfile
import time
from dataclasses import dataclass, field
from typing import Annotated, Literal

import tyro

from agent.backends import UsageError, backend_for, read_source
from agent.search.searcher import SearchConfig


@dataclass
class ProveConfig:
    """Prove the open theorems (Admitted / sorry) of a .v or .lean file.

    The defaults are sized for a person waiting at a terminal: theorems in file order, one at a
    time, each with at most 64 expansions and 60 s of search (5 s per tactic; with CoqHammer
    installed its sauto family among the tactics, no external prover), and every proof passes the
    fresh-process final check (up to 300 s) before it is written. --workers N proves the open
    theorems of a long file N at a time, each without the other open theorems."""

    file: Annotated[tyro.conf.Positional[str], tyro.conf.arg(metavar="FILE")]
    """The .v or .lean file whose open theorems (Admitted / sorry) are to be proved."""
    output: str = ""
    """Where to write the file with proofs filled in (default: FILE with _proved before the extension)."""
    report: str = ""
    """Where to write the JSON report (default: OUTPUT with .report.json)."""
    project_index: Literal["on", "off"] = "on"
    """Coq: before the first search, the file's own proofs and those of the project files it
    requires are replayed into steps (cached in .qstar/ beside each file); each theorem's search
    proposes the steps of the proofs above it (the `proj` source) and retrieval and the generator
    learn them (agent/project/); off: none of it."""
    imports: str = "auto"
    """Libraries the prover may add after the file's own imports: auto (Coq: Lia, Lra, Psatz and
    Field, and CoqHammer's Tactics when --hammer is on; Lean: none, the file's imports bring
    Mathlib's tactics), none, or a comma-separated list of installed libraries. Search and check
    run with them; the output keeps the lines only when a proof was found."""
    search: SearchConfig = field(default_factory=lambda: SearchConfig(online="on"))
    """How each theorem is searched (online on: each proof found, once checked, joins retrieval
    and the generator for the theorems after it, as Tactician learns a file as it is checked)."""
    workers: int = 1
    """Theorems proved at once. 1: in file order, each with the proofs found before it available;
    N > 1: N at a time, each in the file's context without the other open theorems (a later
    theorem cannot use an earlier one proved in the same run), and the written file is checked
    whole at the end (a proof it refuses is taken out again and reported)."""
    lean_project: str = ""
    """Lake project with Mathlib and the REPL (Lean files only; default: lean_project/)."""
    coq_args: tyro.conf.UseAppendAction[list[str]] = field(default_factory=list)
    """Extra arguments for coqidetop and coqc, one per flag: --coq-args=-R --coq-args=dir --coq-args=Lib."""


def default_output(path: str) -> str:
    stem, ext = os.path.splitext(path)
    return f"{stem}_proved{ext}"  # coqc needs a file name that is a module identifier


@dataclass(frozen=True)
class _Item:
    id: str
    theorem: object
    bare: object = None  # the theorem in the file's original context (when the ordered one fails)
    lemmas: tuple[str, ...] = ()  # names its proof may apply
    project: tuple = ()  # (goals, step) rows of the file's proofs above it (agent.project)


def run_prove(cfg: ProveConfig) -> int:
    from tqdm import tqdm

    from agent.search.searcher import build_searcher, default_model_for, hammer_mode, procedures_for

    if cfg.workers < 1:
        raise UsageError("--workers must be at least 1")
    text = read_source(cfg.file)
    if cfg.imports != "auto" and cfg.search.hammer == "auto":
        cfg.search.hammer = "off"  # its tactics need its import, which only --imports auto adds
    backend = backend_for(cfg.file, lean_project=cfg.lean_project or None,
                          check_timeout=cfg.search.check_timeout, coq_args=tuple(cfg.coq_args))
    try:
        if not backend.open_theorems(text):  # the user's file parses as it is
            raise UsageError(f"no open theorem in {cfg.file} (nothing ends in "
                             + ("Admitted. or uses admit." if backend.name == "coq" else "sorry") + ")")
        if (why := backend.missing() or backend.unbuilt(text)) is not None:
            raise UsageError(why)  # before anything runs the file's imports
        line = backend.imports_for(cfg.imports, hammer_mode(cfg.search, backend) != "off",
                                   procedures_for(cfg.search, backend).fitting(text))
        line = _keeping_meaning(cfg, backend, text, line)
        # what search and check run on: the libraries loaded (not imported) after the file's own
        # imports; their Import goes right above each theorem (_in_order, _written)
        requires = backend.split_imports(line)[0]
    except backend.parse_error as e:
        raise UsageError(f"cannot parse {cfg.file}: {e}") from None
    except ValueError as e:
        raise UsageError(str(e)) from None
    # a library that would change how an earlier sentence checks at the top goes above each theorem
    placed = backend.place_imports(text, line) if backend.place_imports and requires else None
    source = backend.insert_imports(text, placed.top_of(requires) if placed else requires)
    theorems = backend.open_theorems(source)
    cfg.output = cfg.output or default_output(cfg.file)
    cfg.report = cfg.report or os.path.splitext(cfg.output)[0] + ".report.json"
    cfg.search.model = default_model_for(cfg.search.model, backend.name, cfg.search.device)
    print("qstar prove config: " + json.dumps(dataclasses.asdict(cfg)), file=sys.stderr)
    if backend.name == "coq":
        print(f"qstar prove load path: {backend.load_path}", file=sys.stderr)
    if placed is not None and placed.why:
        print(f"qstar prove: added imports {placed.why}", file=sys.stderr)
    searcher = build_searcher(cfg.search, batching=cfg.workers > 1)
    index = None
    if cfg.project_index == "on" and backend.name == "coq":
        from agent.project.index import build
        index = build(backend, cfg.file, text, step_timeout=cfg.search.tactic_timeout)
        for dep in backend.required_files(cfg.file, text, backend.coq_args):
            try:
                index.add_file(dep, build(backend, dep, read_source(dep), step_timeout=cfg.search.tactic_timeout))
            except (OSError, UsageError) as e:
                print(f"qstar prove: project index: {dep} not read ({e}); its proofs are left out", file=sys.stderr)
        others = (f" and {len(index.others)} steps of {len(index.other_files)} project files it requires"
                  if index.other_files else "")
        print(f"qstar prove: project index: {len(index.rows)} steps of {index.proofs} proofs of the file{others} "
              + ("(from the cache)" if index.cached else f"(traced in {index.seconds:.1f}s)"), file=sys.stderr)
    t0 = time.monotonic()
    records: dict[str, object] = {}
    options = {"lean_project": cfg.lean_project or None, "coq_args": backend.coq_args}
    interrupted = ""  # the signal that stopped the run
    proofs: dict[str, tuple[str, ...]] = {}
    texts = _Texts(text, source, line, placement=placed, index_summary=index.summary() if index else None)
    try:
        with tqdm(total=len(theorems), desc=f"proving {os.path.basename(cfg.file)}", unit="thm",
                  file=sys.stderr, disable=None) as bar:
            for rec in _prove_all(cfg, backend, texts, theorems, proofs, searcher, options, index):
                if cfg.workers > 1 and rec.status == "proved":
                    _check_whole(cfg, backend, texts, proofs, rec)
                records[rec.name] = rec
                if rec.status == "proved":
                    proofs[rec.name] = tuple(rec.proof)
                _write(cfg, backend, texts, theorems, records, time.monotonic() - t0, interrupted="")
                bar.update(1)
                bar.set_postfix(proved=len(proofs))
        texts = _without_unused_imports(cfg, backend, texts, records)
    except KeyboardInterrupt as e:
        from agent.proc.interrupt import signal_name
        interrupted = signal_name(e)
    finally:
        searcher.close()
    report = _write(cfg, backend, texts, theorems, records, time.monotonic() - t0, interrupted=interrupted)
    done = [records[th.name] for th in theorems if th.name in records]
    _print_table(done)
    s = report["summary"]
    if report["added_imports"]:
        print("added imports: " + " ".join(report["added_imports"]))
    print(f"proved {s['proved']}/{s['theorems']} in {s['seconds']}s"
          + (f" (interrupted by {interrupted} after {len(done)} theorems)" if interrupted else "")
          + f"; wrote {cfg.output} and {cfg.report}")
    if interrupted:
        return 128 + signal.Signals[interrupted].value
    from agent.exits import internal_errors
    return internal_errors(done, "prove", f"run qstar prove on {cfg.output} to try them again")


def _prove_all(cfg: ProveConfig, backend, texts: "_Texts", theorems, proofs: dict, searcher,
               options, index=None):
    """The records of the file's open theorems: in file order on one worker (each in the context
    the proofs found so far give it, and retrieval holding the steps of the file's proofs above
    it), or in completion order on ``cfg.workers`` (retrieval holding the steps above the first)."""
    from agent.bench.pool import Worker, item_deadline, run_items
    handed = 0  # declarations whose proofs' steps retrieval holds
    if index is not None and index.others and searcher.study is not None:
        searcher.study(index.visible(0))  # the required files' steps: above every theorem
    if cfg.workers == 1:
        worker = Worker(searcher, check_timeout=cfg.search.check_timeout, keep_tree=False, options=options)
        try:
            for th in theorems:
                item = _in_order(backend, texts, th, proofs)
                if index is not None:
                    at = index.position(th.name, after=handed - 1)
                    if searcher.study is not None:
                        searcher.study(index.between(handed, at))
                    handed = at + 1
                    item = _with_project(item, index, at)
                yield worker.prove(item)
        finally:
            worker.close()
        return
    if index is not None and theorems and searcher.study is not None:
        searcher.study(index.between(0, index.position(theorems[0].name)))
    items = [_in_order(backend, texts, th, {}) for th in theorems]
    if index is not None:  # each its own rows, whatever order the workers take them in
        at = -1
        for k, th in enumerate(theorems):
            at = index.position(th.name, after=at)
            items[k] = _with_project(items[k], index, at)
    for _, rec in run_items(items, searcher=searcher, check_timeout=cfg.search.check_timeout,
                            workers=cfg.workers, backend_options=options, item_deadline=item_deadline(cfg.search)):
        yield rec


def _with_project(item, index, at: int):
    """The item with the steps of the file's proofs above declaration ``at`` as its own source."""
    rows = tuple(index.visible(at))
    return dataclasses.replace(item, project=rows) if rows and dataclasses.is_dataclass(item) else item


def _keeping_meaning(cfg: ProveConfig, backend, text: str, line: str) -> str:
    """``line`` without the added imports that would change what a name or a notation of the
    file means (each one said on stderr): the statements searched and checked stay the user's."""
    lines = [ln for ln in line.splitlines() if ln.strip()]
    try:
        if not lines or not backend.meaning_changes(text, lines):
            return line
        changes = [backend.meaning_changes(text, [ln]) for ln in lines]
    except RuntimeError as e:  # coqtop could not read the file's imports with its load path
        raise UsageError(f"{cfg.file}: {e}; its load path is {backend.load_path or 'the default'}: check that "
                         "coqc compiles the file from the project's root") from None
    kept = []
    for ln, changed in zip(lines, changes):
        if changed:
            print(f"qstar prove: not adding {ln!r}: it changes the meaning of {', '.join(changed[:6])} "
                  f"in {cfg.file}", file=sys.stderr)
        else:
            kept.append(ln)
    return "\n".join(kept)


def _without_unused_imports(cfg: ProveConfig, backend, texts: "_Texts", records: dict) -> "_Texts":
    """The texts to write: only the added libraries the proofs seem to use, each proof's
    ``Import`` only above a theorem whose proof needs it, when that file passes the whole-file
    check (the proofs were found and checked with them all); otherwise the file as searched."""
    proofs = {r.name: tuple(r.proof) for r in records.values() if r.status == "proved"}
    if not proofs or not texts.line:
        return texts
    line, before = backend.trim_imports(texts.line, proofs)
    if line == texts.line and before == {n: backend.split_imports(line)[1] for n in proofs}:
        return texts
    requires = backend.split_imports(line)[0]
    top = texts.placement.top_of(requires) if texts.placement else requires
    candidate = dataclasses.replace(texts, source=backend.insert_imports(texts.text, top), line=line, before=before)
    verdicts = _check_text(cfg, backend, _written(backend, candidate, proofs))
    if all(verdicts[name].ok for name in proofs if name in verdicts) and set(proofs) <= set(verdicts):
        return candidate
    return texts


def _check_text(cfg: ProveConfig, backend, text: str) -> dict:
    """{theorem: Verdict} of the whole file ``text`` against the user's file, checked from a
    temporary copy (the output is replaced only by what passed)."""
    folder = tempfile.mkdtemp(prefix="qstar-check-")
    try:
        path = os.path.join(folder, os.path.basename(cfg.output))
        with open(path, "w", encoding="utf-8") as f:
            f.write(text)
        return {v.name: v for v in backend.check_file(path, cfg.file)}
    finally:
        shutil.rmtree(folder, ignore_errors=True)


def _check_whole(cfg: ProveConfig, backend, texts: "_Texts", proofs: dict, rec) -> None:
    """With several workers each proof was checked without the other open theorems: ``rec``'s
    proof is taken only if the file with the proofs accepted so far and it passes the
    whole-file check; otherwise ``rec`` becomes a failure that says why."""
    verdicts = _check_text(cfg, backend, _written(backend, texts, {**proofs, rec.name: tuple(rec.proof)}))
    v = verdicts.get(rec.name)
    if v is None or not v.ok:
        rec.status, rec.proof, rec.stop_reason = "failed", None, "rejected"
        rec.message = "the whole-file check refused it: " + (v.reason if v else "not found")[:300]


@dataclass(frozen=True)
class _Texts:
    """The user's file and what is made of it."""

    text: str  # the user's file
    source: str  # what search and check run on: the file, the added libraries loaded after its imports
    line: str  # the added imports, one sentence a line, as --imports names them
    before: dict | None = None  # {theorem: the Import above it}; None: the line's whole Import above each
    placement: object = None  # where each added library goes (coq_env.placement.Placement); None: the top
    index_summary: dict | None = None  # the project index's steps, proofs and tracing time (None: off)

    def above(self, import_line: str) -> str:
        """What goes right above a theorem that imports ``import_line``: the Requires of the libraries
        that could not go at the top, then the Import."""
        requires = self.placement.requires_above(import_line, self.line) if self.placement is not None else ""
        return "\n".join(x for x in (requires, import_line) if x)


def _in_order(backend, texts: _Texts, th, proofs: dict) -> _Item:
    """The theorem in the context its file gives it once the earlier theorems are settled, with
    the added imports' ``Import`` right above it (as the written file will have it)."""
    if backend.context_in_order is None:
        return _Item(th.name, th)
    source, line = texts.source, texts.line
    before = texts.above(backend.split_imports(line)[1])
    above = (lambda context: context.rstrip() + "\n" + before + "\n") if before else (lambda context: context)
    context = above(backend.context_in_order(source, proofs, th.name, before))
    ordered = dataclasses.replace(th, context=context)
    bare = dataclasses.replace(th, context=above(th.context))
    return _Item(th.name, ordered, bare if context != bare.context else None,
                 tuple(backend.usable_lemmas(context)))


def _written(backend, texts: _Texts, proofs: dict) -> str:
    """The file to write: the source (the added libraries loaded after the file's own imports)
    with the proofs, each proved theorem below the added ``Import``; the user's own text when
    there is no proof."""
    if not proofs:
        return texts.text
    before = ({n: texts.above(b) for n, b in texts.before.items()} if texts.before is not None
              else texts.above(backend.split_imports(texts.line)[1]))
    return backend.with_proofs(texts.source, proofs, before) if before else backend.with_proofs(texts.source, proofs)


def _write(cfg: ProveConfig, backend, texts: _Texts, theorems, records: dict,
           seconds: float, *, interrupted: str) -> dict:
    """Rewrite the output file and the report from the records so far, each atomically. The
    output is the source with the added imports (the context every proof was checked in) when
    there is a proof, the user's own text otherwise."""
    from agent.io import atomic_write
    done = [records[th.name] for th in theorems if th.name in records]
    proofs = {r.name: tuple(r.proof) for r in done if r.status == "proved"}
    atomic_write(cfg.output, _written(backend, texts, proofs))
    report = {
        "config": dataclasses.asdict(cfg),
        "backend": backend.name,
        "load_path": backend.load_path,
        "added_imports": _added(backend, texts) if proofs else [],
        "project_index": texts.index_summary,
        "fallbacks": backend.fallbacks(),  # what was skipped, and why (each also said on stderr)
        "imports_placement": texts.placement.why if texts.placement is not None else "",
        "summary": {"theorems": len(theorems), "attempted": len(done), "proved": len(proofs),
                    "failed": sum(r.status == "failed" for r in done),
                    "error": sum(r.status == "error" for r in done),  # the two kinds below
                    "statement_error": sum(r.stop_reason == "statement_error" for r in done),
                    "internal_error": sum(r.stop_reason == "internal_error" for r in done),
                    "interrupted": bool(interrupted), "signal": interrupted, "seconds": round(seconds, 2)},
        "theorems": [r.to_json() for r in done],
        "not_attempted": [th.name for th in theorems if th.name not in records],
    }
    atomic_write(cfg.report, json.dumps(report, indent=2, ensure_ascii=False) + "\n")
    return report


def _added(backend, texts: _Texts) -> list[str]:
    """The added sentences the written file has: the Requires, then each distinct Import."""
    requires, before = backend.split_imports(texts.line)
    top = texts.placement.top_of(requires) if texts.placement is not None else requires
    imports = [before] if texts.before is None else list(dict.fromkeys(texts.before.values()))
    above = [ln for b in imports for ln in texts.above(b).splitlines()]
    return list(dict.fromkeys(ln for ln in (*top.splitlines(), *above) if ln))


def _print_table(records) -> None:
    w = max([len(r.name) for r in records] + [7])
    print(f"{'theorem':<{w}}  {'status':<7} {'exp':>4} {'sec':>7}  detail")
    for r in records:
        detail = " ".join(r.proof) if r.proof else r.message
        print(f"{r.name:<{w}}  {r.status:<7} {r.expansions:>4} {r.seconds:>7.2f}  {detail[:80]}")
