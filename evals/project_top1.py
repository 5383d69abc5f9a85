"""Tactician's protocol on the held-out library files (issue 45): for every step of every traced
proof of a test-split file, is the human step among the first k candidates when the database holds
the steps of the proofs above it in its file (never its own proof's)? Rows: the project source
(``agent.project.policy.ProjectPolicy``: the file's steps alone, locals renamed to the state's)
ranked by similarity as it was before its ranker (8 neighbours), and ranked by its ranker
(``agent.project.rank``: the bundled model's ``project_rank.json``, or ``--ranker``; the state's
path is the steps of its proof before it),
the same source proposing steps word for word (no renaming, states compared with their names),
and the bundled model's retrieval database (its corpus, no file steps), each alone; and the
ceiling of any source that proposes the file's steps as written: the step stands in an earlier
proof of the file.

A step counts as matched when it equals the human step up to whitespace. Every proof of each file
is scored, the file's first proof included (its database is empty: a miss for the file's own
sources, as for Tactician).

With ``--required`` (traced corpora holding the files the held-out files require), three more rows:
the project source whose database also holds the steps of every file of the same library the file
requires (``coq_env.requires``, in dependency order, as `qstar prove`'s project index holds them
and as Tactician's database holds a file's dependencies), by similarity and ranked, and that
database's word-for-word ceiling.

With ``--generator DIR`` (a step generator trained on the corpus's train split, `qstar train
generator`), two more rows: the generator as trained, and the same generator having learned the
steps of the file's proofs above (``Learners.study``, as `qstar prove` feeds it the project index),
a fresh copy for each file.

  python evals/project_top1.py [--corpus corpus/test.jsonl] [--out runs/project_top1.json]
                               [--required corpus/required.jsonl,corpus/valid.jsonl]
                               [--generator models/generator] [--ranker FILE]
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from collections import defaultdict
from dataclasses import asdict, dataclass

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


@dataclass
class Top1Config:
    corpus: str = "corpus/test.jsonl"
    """Traced steps of the held-out files (`SPLIT=test OUT=corpus/test.jsonl bash scripts/corpus.sh`)."""
    out: str = "runs/project_top1.json"
    ks: str = "1,10"
    """The k of top-k, comma-separated."""
    required: str = ""
    """Comma-separated traced corpora holding the required files' steps ("": no such rows)."""
    generator: str = ""
    """A trained step generator's folder ("": no generator rows)."""
    ranker: str = ""
    """The project source's ranker (``qstar train project-rank``); "": the bundled model's."""


CEILING = "ceiling: the step stands in an earlier proof of the file"
REQUIRED = "project + required files (renamed)"
GEN, GEN_STUDIED = "generator (corpus)", "generator + the file's proofs above"
CEILING_REQUIRED = "ceiling: ... or in a file it requires"
RANKED, REQUIRED_RANKED = "project (renamed, ranked)", "project + required files (renamed, ranked)"


def _required_rows(files: list[str], corpora: list[str]) -> dict[str, list]:
    """{held-out file: the (goals, tactic) steps of the files of its library it requires, in
    dependency order}; a required file no corpus traced adds nothing."""
    import subprocess

    from agent.env import Goal
    from coq_env.requires import required_files
    contrib = subprocess.run(["coqc", "-where"], capture_output=True, text=True, check=True).stdout.strip()
    contrib = os.path.join(contrib, "user-contrib")
    wanted: dict[str, list[str]] = {}
    for f in files:
        lib, path = f.split("/")[0], os.path.join(contrib, f)
        text = open(path, encoding="utf-8").read() if os.path.isfile(path) else ""
        wanted[f] = [os.path.relpath(r, contrib)
                     for r in required_files(path, text, ("-R", os.path.join(contrib, lib), lib))]
    need = {r for rs in wanted.values() for r in rs}
    steps: dict[str, list] = defaultdict(list)
    for corpus in corpora:
        with open(corpus, encoding="utf-8") as fh:
            for line in fh:
                r = json.loads(line)
                if r["file"] in need and r["goals"]:
                    steps[r["file"]].append((tuple(Goal.from_json(g) for g in r["goals"]), r["tactic"], r["step"]))
    return {f: [s for r in rs for s in steps.get(r, ())] for f, rs in wanted.items()}


def _norm(t: str) -> str:
    return " ".join(t.split())


class _Verbatim:
    """The file's steps as written, states compared as printed (Tactician's k-NN, unrenamed)."""

    def __init__(self, rows):
        from agent.policies.retrieval import KnnPolicy
        self.knn = KnnPolicy([r[:2] for r in rows], neighbours=8, max_candidates=10, max_df=0.5)

    def __call__(self, state):
        best = self.knn.nearest(state.goals, 8)
        out: dict[str, float] = {}
        for i, s in best:
            out.setdefault(self.knn.tactics[i], s)
        return sorted(out.items(), key=lambda kv: -kv[1])


def main(argv=None) -> int:
    from tqdm import tqdm

    from agent.env import Goal, ProofState
    from agent.policies.retrieval import KnnPolicy
    from agent.project.policy import ProjectPolicy
    from agent.project.rank import ProjectRanker
    from agent.search.searcher import BUNDLED_MODEL
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    for k, v in asdict(Top1Config()).items():
        p.add_argument("--" + k.replace("_", "-"), type=type(v), default=v)
    cfg = Top1Config(**vars(p.parse_args(argv)))
    if not os.path.exists(cfg.corpus):
        print(f"project_top1: no corpus at {cfg.corpus} (SPLIT=test OUT={cfg.corpus} bash scripts/corpus.sh)",
              file=sys.stderr)
        return 2
    ks = [int(k) for k in cfg.ks.split(",")]
    by_file: dict[str, list[dict]] = defaultdict(list)
    with open(cfg.corpus, encoding="utf-8") as f:
        for line in f:
            r = json.loads(line)
            by_file[r["file"]].append(r)
    corpus_knn = KnnPolicy.load(os.path.join(BUNDLED_MODEL, "knn.jsonl.gz"))
    ranker = ProjectRanker.load(cfg.ranker or os.path.join(BUNDLED_MODEL, "project_rank.json"))
    sources = {"project (renamed)": lambda rows: ProjectPolicy(rows, neighbours=8),
               "project (word for word)": _Verbatim,
               RANKED: lambda rows: ProjectPolicy(rows, ranker=ranker)}
    required = _required_rows(sorted(by_file), cfg.required.split(",")) if cfg.required else {}
    extra = [REQUIRED, REQUIRED_RANKED, CEILING_REQUIRED] if cfg.required else []
    base_gen = None
    if cfg.generator:
        import pickle

        from agent.generator.model import Generator
        from agent.search.learners import Learners
        base_gen = Generator.load(cfg.generator)
        frozen = pickle.dumps(base_gen)
        extra += [GEN, GEN_STUDIED]
    hits = {name: defaultdict(int) for name in [*sources, "corpus retrieval (bundled)", CEILING, *extra]}
    req_steps = 0
    steps = 0
    for name, rows in tqdm(sorted(by_file.items()), desc="files", unit="file", file=sys.stderr, disable=None):
        above: list = []
        theorem = None
        proof: list = []
        policies: dict = {}
        written: set[str] = set()  # the step texts of the database
        base = required.get(name, [])
        req_steps += len(base)
        base_written = {_norm(p[1]) for p in base}
        learners = Learners(generator=pickle.loads(frozen)) if base_gen is not None else None
        prev = ""
        for r in rows + [None]:
            if r is None or r["theorem"] != theorem:  # a proof ended: it joins the database
                above += proof
                if learners is not None and proof:
                    learners.study([p[:2] for p in proof])  # as `prove` feeds it the steps above
                prev = ""
                written |= {_norm(p[1]) for p in proof}
                proof = []
                policies = {k: cls(above) for k, cls in sources.items()} if above else {}
                if cfg.required and (above or base):
                    policies[REQUIRED] = ProjectPolicy(base + above, neighbours=8)
                    policies[REQUIRED_RANKED] = ProjectPolicy(base + above, ranker=ranker)
                if r is None:
                    break
                theorem = r["theorem"]
            goals = tuple(Goal.from_json(g) for g in r["goals"])
            path = tuple(p[1] for p in proof)  # the steps of this proof before this one
            proof.append((goals, r["tactic"], r["step"]))
            if not goals:
                continue
            steps += 1
            state = ProofState(goals, path=path)
            want = _norm(r["tactic"])
            got = {k: [_norm(t) for t, _ in pol(state)] for k, pol in policies.items()}
            got["corpus retrieval (bundled)"] = [_norm(t) for t, _ in corpus_knn(state)]
            got[CEILING] = [want] if want in written else []
            if base_gen is not None:
                own = r["theorem"].rsplit(".", 1)[-1]
                for row, gen in ((GEN, base_gen), (GEN_STUDIED, learners.generator)):
                    allowed = set(range(gen.premises.trained)) - set(gen.premises.by_name.get(own, ()))
                    got[row] = [_norm(t) for t, _ in gen.generate(r["goals"][:1], max(ks), allowed, prev=prev)]
            prev = r["tactic"]
            if cfg.required:
                got[CEILING_REQUIRED] = [want] if want in written or want in base_written else []
            for src, cands in got.items():
                for k in ks:
                    hits[src][k] += want in cands[:k]
    table = {src: {f"top{k}": round(h[k] / max(steps, 1), 4) for k in ks} for src, h in hits.items()}
    out = {"config": asdict(cfg), "steps": steps, "files": len(by_file), "table": table,
           "required_steps": req_steps}
    os.makedirs(os.path.dirname(os.path.abspath(cfg.out)), exist_ok=True)
    with open(cfg.out, "w", encoding="utf-8") as f:
        json.dump(out, f, indent=1)
    print(f"{steps} steps of {len(by_file)} held-out files" + (f"; {req_steps} steps of the files they require" if cfg.required else "") + "\n")
    print("| source | " + " | ".join(f"top-{k}" for k in ks) + " |")
    print("| --- |" + " --- |" * len(ks))
    for src, row in table.items():
        print(f"| {src} | " + " | ".join(f"{100 * row[f'top{k}']:.1f} %" for k in ks) + " |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
