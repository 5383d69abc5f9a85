"""Benchmark: the step generator offline, on the held-out (test) files of the traced corpus
(issue 36's done-when). All rows come from one run:

- step hits: the human step (normalised: bullets dropped, whitespace collapsed) among the top
  1 / 10 / 50 candidates of the generator, of retrieval (k-NN over the same training steps, as
  qstar's retrieval policy does it, 64 neighbours) and of the template policy (trained here on
  the same training steps unless --templates names a trained one); overall and per skeleton kind
  (the human step's tactic name);
- premise recall: for each held-out proof, the share of the globals its steps used that the
  premise index ranks in its top 10 / 100 from the proof's first state, against BM25 symbol
  overlap over the same premises;
- semantic hits: on a sample of held-out steps replayed in Coq, the share where some top-10
  candidate is accepted and leaves the same goals as the human step (or closes the proof as it
  does); with the kernel time of the human step, whose median is the yardstick of the
  generator's own time per state.

  python evals/generator_offline.py --corpus corpus/steps.jsonl --generator models/generator \\
      --out runs/generator_offline

Writes OUT/summary.json, OUT/table.md and OUT/semantic.jsonl (one row per sampled step, as it
goes; a rerun skips the steps done). No held-out file is trained on: the generator and the
template policy see the train split only (checked here against the generator's training log).
"""

from __future__ import annotations

import argparse
import json
import os
import random
import statistics
import sys
import time
from collections import defaultdict
from dataclasses import asdict, dataclass
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))


@dataclass
class OfflineConfig:
    corpus: str = "corpus/steps.jsonl"
    generator: str = "models/generator"
    templates: str = ""
    out: str = "runs/generator_offline"
    max_steps: int = 3000
    semantic: int = 300
    tactic_timeout: float = 5.0
    seed: int = 0


def _norm(s: str) -> str:
    from agent.generator.skeleton import normalize_step
    return normalize_step(s)


def _rank_of(human: str, cands: list[str]) -> int | None:
    h = _norm(human)
    for i, c in enumerate(cands):
        if _norm(c) == h:
            return i
    return None


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    for f, v in asdict(OfflineConfig()).items():
        ap.add_argument("--" + f.replace("_", "-"), type=type(v), default=v)
    cfg = OfflineConfig(**vars(ap.parse_args(argv)))
    from tqdm import tqdm

    from agent.env import Goal, ProofState
    from agent.generator.corpus import PremiseScope, read_rows
    from agent.generator.model import Generator, locals_of_stored, previous_steps, step_globals
    from agent.generator.skeleton import abstract, kind_of
    from agent.io import atomic_write
    from agent.policies.retrieval import KnnPolicy

    os.makedirs(cfg.out, exist_ok=True)
    log = json.load(open(os.path.join(cfg.generator, "train_log.json"), encoding="utf-8"))
    assert "test" not in log["config"]["splits"].split(","), "the generator was trained on test files"
    atomic_write(os.path.join(cfg.out, "config.json"), json.dumps(asdict(cfg), indent=1))
    train = read_rows(cfg.corpus, {"train"})
    test = read_rows(cfg.corpus, {"test"})
    print(f"{len(train)} training steps, {len(test)} held-out steps of "
          f"{len({r['file'] for r in test})} files", file=sys.stderr)
    gen = Generator.load(cfg.generator)
    premises = gen.premises.premises
    scope = PremiseScope(premises)
    where = {(p.file, p.name): p.offset for p in premises}
    retrieval = KnnPolicy([(tuple(Goal.from_json(g) for g in r["goals"][:1]), r["tactic"]) for r in train],
                          neighbours=64, max_candidates=50)
    templates = _templates(cfg, train)
    known = {p.name for p in premises} | {g for gs in gen.row_globals for g in gs}

    for r, prev in zip(test, previous_steps(test)):
        r["prev"] = prev
    rng = random.Random(cfg.seed)
    sample = test if len(test) <= cfg.max_steps else rng.sample(test, cfg.max_steps)
    methods = ("generator", "retrieval", "templates")
    hits = {m: {1: 0, 10: 0, 50: 0} for m in methods}
    per_kind: dict[str, dict[str, int]] = defaultdict(lambda: defaultdict(int))
    gen_seconds = []
    for r in tqdm(sample, desc="steps", unit="step", file=sys.stderr, disable=None):
        goals = r["goals"]
        state = ProofState(tuple(Goal.from_json(g) for g in goals))
        allowed = scope.allowed(r["file"], where.get((r["file"], r["theorem"]), 10 ** 9))
        t0 = time.perf_counter()
        g_c = [t for t, _ in gen.generate(goals, 50, allowed, r["file"], where.get((r["file"], r["theorem"]), 0),
                                          prev=r["prev"])]
        gen_seconds.append(time.perf_counter() - t0)
        cands = {"generator": g_c, "retrieval": [t for t, _ in retrieval(state)],
                 "templates": [t for t, _ in templates(state)] if templates else []}
        names = {n for n, _ in locals_of_stored(goals)}
        kind = kind_of(abstract(r["tactic"], names, step_globals(r, known, names)).skeleton)
        per_kind[kind]["steps"] += 1
        for m in methods:
            k = _rank_of(r["tactic"], cands[m])
            for cut in (1, 10, 50):
                hits[m][cut] += k is not None and k < cut
            per_kind[kind][m] += k is not None and k < 10

    recall = _premise_recall(gen, scope, where, test, known)
    semantic = _semantic(cfg, gen, retrieval, scope, where, test, rng)
    n = max(1, len(sample))
    kinds = sorted(per_kind.items(), key=lambda kv: -kv[1]["steps"])[:15]
    summary = {
        "steps": len(sample), "held_out_steps": len(test), "train_steps": len(train),
        "top": {m: {str(c): round(100 * hits[m][c] / n, 1) for c in (1, 10, 50)} for m in methods},
        "per_kind_top10": {k: {"steps": v["steps"], **{m: round(100 * v[m] / v["steps"], 1) for m in methods}}
                           for k, v in kinds},
        "premise_recall": recall, "semantic": semantic,
        "generator_ms_per_state_median": round(1000 * statistics.median(gen_seconds), 1) if gen_seconds else None,
    }
    atomic_write(os.path.join(cfg.out, "summary.json"), json.dumps(summary, indent=1))
    table = _table(summary)
    atomic_write(os.path.join(cfg.out, "table.md"), table)
    print(table)
    return 0


def _templates(cfg: OfflineConfig, train: list[dict]):
    from agent.backends import row_goals
    from agent.policies.template_policy import TemplateConfig, TemplateModel, has_template_model, train_templates
    folder = cfg.templates or os.path.join(cfg.out, "templates")
    if not has_template_model(folder):
        os.makedirs(folder, exist_ok=True)
        model, _ = train_templates([(row_goals(r), r["tactic"]) for r in train], TemplateConfig(),
                                   log_path=os.path.join(folder, "template_train_log.jsonl"))
        model.save(folder)
    model = TemplateModel.load(folder)
    model.cfg.top_templates, model.cfg.per_slot, model.cfg.max_candidates = 50, 3, 50
    return model


def _premise_recall(gen, scope, where, test, known) -> dict:
    from agent.generator.model import locals_of_stored, step_globals
    from agent.learned.premises import state_tokens
    proofs: dict[tuple[str, str], list[dict]] = defaultdict(list)
    for r in test:
        proofs[(r["file"], r["theorem"])].append(r)
    rows = {"learned": {10: [], 100: []}, "bm25": {10: [], 100: []}}
    for (file, thm), steps in proofs.items():
        steps.sort(key=lambda r: r["step"])
        used = set()
        for r in steps:
            names = {n for n, _ in locals_of_stored(r["goals"])}
            used |= step_globals(r, known, names)
        if not used:
            continue
        goals = steps[0]["goals"]
        offset = where.get((file, thm), 10 ** 9)
        allowed = scope.allowed(file, offset)
        learned = [n for n, _ in gen.rank_premises(goals, allowed, file, offset)]
        ov = gen.premises.bm25.scores(state_tokens(goals), allowed)
        bm = list(dict.fromkeys(gen.premises.premises[i].name for i, _ in sorted(ov.items(), key=lambda kv: -kv[1])))
        for k in (10, 100):
            rows["learned"][k].append(len(used & set(learned[:k])) / len(used))
            rows["bm25"][k].append(len(used & set(bm[:k])) / len(used))
    return {"proofs": len(rows["learned"][10]),
            **{f"{m}@{k}": round(100 * statistics.mean(v), 1) if v else None
               for m, d in rows.items() for k, v in d.items()}}


def _semantic(cfg, gen, retrieval, scope, where, test, rng) -> dict:
    """Replay sampled held-out steps in Coq and try each method's top 10 there."""
    path_out = os.path.join(cfg.out, "semantic.jsonl")
    done = {}
    if os.path.exists(path_out):
        for line in open(path_out, encoding="utf-8"):
            if line.strip():
                d = json.loads(line)
                done[(d["file"], d["theorem"], d["step"])] = d
    by_thm: dict[tuple[str, str], list[dict]] = defaultdict(list)
    for r in test:
        by_thm[(r["file"], r["theorem"])].append(r)
    keys = sorted(by_thm)
    rng.shuffle(keys)
    picked, count = [], 0
    for k in keys:  # one step per theorem, so the sample spreads over many proofs
        if count >= cfg.semantic:
            break
        steps = sorted(by_thm[k], key=lambda r: r["step"])
        picked.append(rng.choice(steps))
        count += 1
    picked.sort(key=lambda r: (r["file"], where.get((r["file"], r["theorem"]), 0)))  # contexts shared in turn
    envs: dict = {}
    from tqdm import tqdm
    with open(path_out, "a", encoding="utf-8") as out:
        for r in tqdm(picked, desc="semantic", unit="step", file=sys.stderr, disable=None):
            key = (r["file"], r["theorem"], r["step"])
            if key in done:
                continue
            row = _semantic_row(cfg, r, gen, retrieval, scope, where, envs)
            done[key] = row
            out.write(json.dumps(row) + "\n")
            out.flush()
    for env in envs.values():
        env.close()
    rows = [d for d in done.values() if d.get("replayed")]
    kernel = [d["human_seconds"] for d in rows]
    return {"sampled": len(picked), "replayed": len(rows),
            "generator_top10": sum(d["generator"] for d in rows), "retrieval_top10": sum(d["retrieval"] for d in rows),
            "human_tactic_ms_median": round(1000 * statistics.median(kernel), 1) if kernel else None}


def _semantic_row(cfg, r, gen, retrieval, scope, where, envs) -> dict:
    from agent.backends import backend_for
    from agent.env import Goal, Goals, ProofState
    from agent.generator.corpus import source_path
    base = {"file": r["file"], "theorem": r["theorem"], "step": r["step"], "replayed": False,
            "generator": False, "retrieval": False}
    path = source_path(r["file"])
    if path is None:
        return base
    backend = backend_for(path)
    scripts = {th.name: (th, s) for th, s in backend.proof_scripts(Path(path).read_text(encoding="utf-8"))}
    if r["theorem"] not in scripts:
        return base
    theorem, human = scripts[r["theorem"]]
    key = backend.coq_args
    if key not in envs:
        envs[key] = backend.make_env()
    env = envs[key]
    try:
        state = env.start(theorem)
        for tac in human[:r["step"]]:
            res = env.apply(state, tac, timeout=cfg.tactic_timeout)
            if not isinstance(res, Goals):
                return base
            state = res.state
        t0 = time.perf_counter()
        ref = env.apply(state, human[r["step"]], timeout=cfg.tactic_timeout)
        base["human_seconds"] = time.perf_counter() - t0
    except Exception as e:  # a replay that breaks is a sample not replayed, named
        base["error"] = f"{type(e).__name__}: {e}"[:200]
        return base
    want = _outcome(ref)
    if want is None:
        return base
    base["replayed"] = True
    offset = where.get((r["file"], r["theorem"]), 0)
    cands = {"generator": [t for t, _ in gen.generate(r["goals"], 10, scope.allowed(r["file"], offset), r["file"], offset,
                                                      prev=r["prev"])],
             "retrieval": [t for t, _ in retrieval(ProofState(tuple(Goal.from_json(g) for g in r["goals"])))][:10]}
    for m, ts in cands.items():
        for t in ts:
            if _outcome(env.apply(state, t, timeout=cfg.tactic_timeout)) == want:
                base[m] = True
                break
    return base


def _outcome(res):
    from agent.env import Goals, Proved
    if isinstance(res, Proved):
        return "proved"
    if isinstance(res, Goals):
        return json.dumps([g.to_json() for g in res.state.goals], sort_keys=True)
    return None


def _table(s: dict) -> str:
    lines = [f"Held-out library files: {s['steps']} steps sampled of {s['held_out_steps']} "
             f"(trained on {s['train_steps']})", "",
             "| candidates | top-1 | top-10 | top-50 |", "|---|---|---|---|"]
    for m, d in s["top"].items():
        lines.append(f"| {m} | {d['1']} % | {d['10']} % | {d['50']} % |")
    lines += ["", "| skeleton kind | steps | generator top-10 | retrieval top-10 | templates top-10 |",
              "|---|---|---|---|---|"]
    for k, d in s["per_kind_top10"].items():
        lines.append(f"| {k} | {d['steps']} | {d['generator']} % | {d['retrieval']} % | {d['templates']} % |")
    p = s["premise_recall"]
    lines += ["", f"Premise recall over {p['proofs']} held-out proofs: learned index @10 {p['learned@10']} %, "
              f"@100 {p['learned@100']} %; BM25 @10 {p['bm25@10']} %, @100 {p['bm25@100']} %."]
    se = s["semantic"]
    lines += [f"Semantic hits (top-10 accepted, same goals) on {se['replayed']} replayed of {se['sampled']} "
              f"sampled steps: generator {se['generator_top10']}, retrieval {se['retrieval_top10']}.",
              f"Generator: {s['generator_ms_per_state_median']} ms per state (50 candidates, median); "
              f"human step's kernel time: {se['human_tactic_ms_median']} ms (median)."]
    return "\n".join(lines) + "\n"


if __name__ == "__main__":
    sys.exit(main())
