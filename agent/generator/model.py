"""The step generator: P(skeleton | state), then each hole filled by a pointer.

- Skeletons (``skeleton.abstract``) seen at least ``min_count`` times in the training steps form
  the vocabulary. P(skeleton | state) is a k-NN vote (Tactician's idea, over skeletons instead of
  whole tactics): the ``neighbours`` training states nearest to this one (the retrieval index's
  TF-IDF cosine) vote by similarity for their skeletons, smoothed by each skeleton's frequency.
- An ``L`` hole points at a local of the focused goal, scored by naive Bayes over the local's
  features crossed with the hole's role (skeleton's tactic, hole number): its recency, whether the
  conclusion mentions it, whether its type shares tokens with the conclusion, its type's head.
- A ``G`` hole points at a global: the values that neighbours with the same skeleton put in that
  hole, then the premise index's ranking for the state (``premises.PremiseIndex``).
- An ``N`` hole is a numeral of the goal or 0, 1, 2, scored by counts per role.

A beam composes the best fills of the best skeletons into full steps, each with the sum of its
log-probabilities. Everything is counted or fitted in minutes on two cores; the trained generator
is a folder (``save``/``load``).
"""

from __future__ import annotations

import gzip
import heapq
import json
import math
import os
import re
import threading
from collections import Counter, defaultdict
from dataclasses import asdict, dataclass

from agent.generator.skeleton import abstract, fill, holes, kind_of, short
from agent.learned.features import TOKEN, stored_goal_features
from agent.learned.knn import KnnIndex
from agent.learned.locks import FreshLocks
from agent.learned.premises import Premise, PremiseIndex

_NUM = re.compile(r"(?<![\w.])\d+(?![\w.])")
_IDENT = re.compile(r"[A-Za-z_][\w']*(?:\.[A-Za-z_][\w']*)*")


@dataclass
class GeneratorConfig:
    """Settings of the step generator's training and decoding (logged with every run)."""

    min_count: int = 2
    """A skeleton joins the vocabulary when this many training steps have it."""
    neighbours: int = 64
    """Training states that vote for skeletons and globals."""
    skeletons: int = 40
    """Skeletons expanded per state."""
    per_hole: int = 6
    """Candidate fills kept per hole."""
    beam: int = 12
    """Partial fills kept per skeleton while composing."""
    prior: float = 0.02
    """Weight of a skeleton's corpus frequency beside the neighbours' votes."""
    pointed: float = 0.1
    """Weight of the skeleton votes with every hole pointed from the state, beside the
    neighbours' own steps (re-pointed where their locals are missing)."""
    ranker_examples: int = 3000
    """Training steps the premise ranker is fitted on."""


def locals_of_stored(goals: list[dict]) -> list[tuple[str, str]]:
    """(name, type) of the focused goal's locals, oldest first."""
    if not goals:
        return []
    return [(n, h.get("type", "")) for h in goals[0].get("hyps", []) for n in h.get("names", [])]


def state_features(goals: list[dict], prev: str = "") -> Counter:
    """The retrieval index's bag of the focused goal (hypothesis types, conclusion tokens and
    bigrams), plus its local names (``n:``: a neighbour whose step names the same locals can be
    replayed as it is) and the tactic name of the step before (``p:``; ``p:`` alone at a proof's
    start): where a proof is, not only what its goal says."""
    if not goals:
        return Counter()
    feats = stored_goal_features(goals[0])
    feats.update("n:" + n for n, _ in locals_of_stored(goals))
    feats["p:" + (kind_of(prev) if prev else "")] += 1
    return feats


def previous_steps(rows: list[dict]) -> list[str]:
    """The tactic of the step before each row in its proof ("" for a first step); rows of a
    proof are consecutive in a trace."""
    out, last = [], None
    for r in rows:
        same = last is not None and (last["file"], last["theorem"]) == (r["file"], r["theorem"]) \
            and last["step"] == r["step"] - 1
        out.append(last["tactic"] if same else "")
        last = r
    return out


def step_globals(row: dict, known: set[str], local_names: set[str]) -> set[str]:
    """Short names of the globals a training step uses: from its glob references where the trace
    has them, else the identifiers of its text that the corpus knows as globals."""
    if row.get("globals") is not None:
        return {short(g) for g in row["globals"]}
    return {short(t) for t in _IDENT.findall(row["tactic"]) if short(t) in known and t not in local_names}


def _local_features(name: str, typ: str, rank: int, concl: str, concl_toks: set[str]) -> list[str]:
    toks = set(TOKEN.findall(typ))
    shared = len(toks & concl_toks)
    head = (TOKEN.findall(typ) or ["?"])[0]
    mentioned = re.search(r"(?<![\w.])" + re.escape(name) + r"(?![\w'])", concl) is not None
    return [f"r{min(rank, 5)}", f"c{int(mentioned)}",
            f"s{min(shared, 3)}", f"h{head}", f"n{name[:1]}{len(name) > 1}"]


class Generator(FreshLocks):
    LOCKS = {"lock": threading.RLock}

    def __init__(self, config: GeneratorConfig):
        self.config = config
        self.skeleton_counts: Counter = Counter()
        self.row_skeleton: list[str] = []  # per indexed row
        self.row_args: list[dict] = []
        self.row_file: list[str] = []
        self.row_globals: list[list[str]] = []
        self.row_prev: list[str] = []  # the step before each row in its proof
        self.local_nb: dict[str, list[float]] = {}  # feature -> [chosen, offered]
        self.num_nb: dict[str, list[float]] = {}
        self.knn = None
        self.premises: PremiseIndex | None = None
        self.row_goals: list[list[dict]] | None = None  # kept only when loaded to be saved again
        # worker threads generate while a checked proof (--online) or the user's proofs above a
        # theorem (`prove`'s project index) are added: one at a time
        self.lock = threading.RLock()

    # ---- training -------------------------------------------------------------------------
    @classmethod
    def train(cls, rows: list[dict], premises: list[Premise], config: GeneratorConfig,
              progress=None) -> "Generator":
        gen = cls(config)
        known = {p.name for p in premises}
        for r in rows:
            known.update(short(g) for g in r.get("globals") or ())
        abstracted, vecs, used = [], [], Counter()
        gen.row_prev = previous_steps(rows)
        for r, prev in zip(progress(rows) if progress else rows, gen.row_prev):
            goals = r["goals"]
            names = {n for n, _ in locals_of_stored(goals)}
            g = step_globals(r, known, names)
            a = abstract(r["tactic"], names, g)
            abstracted.append(a)
            used.update(short(v) for h, v in a.args if h[0] == "G")
            vecs.append(state_features(goals, prev))
            gen.skeleton_counts[a.skeleton] += 1
        keep = {s for s, c in gen.skeleton_counts.items() if c >= config.min_count}
        gen.skeleton_counts = Counter({s: c for s, c in gen.skeleton_counts.items() if s in keep})
        for r, a in zip(rows, abstracted):
            gen.row_skeleton.append(a.skeleton)
            gen.row_args.append(dict(a.args))
            gen.row_file.append(r["file"])
            gen.row_globals.append(sorted({short(v) for h, v in a.args if h[0] == "G"}))
            gen._count_pointers(r["goals"], a)
        gen.knn = KnnIndex(vecs, list(gen.row_skeleton))
        gen.premises = PremiseIndex(premises, used)
        gen._fit_ranker(rows)
        return gen

    def _count_pointers(self, goals: list[dict], a) -> None:
        locs = locals_of_stored(goals)
        concl = goals[0]["concl"] if goals else ""
        ctoks = set(TOKEN.findall(concl))
        kind = kind_of(a.skeleton)
        n = len(locs)
        for hole, value in a.args:
            role = f"{kind}/{hole}"
            if hole[0] == "L":
                for i, (name, typ) in enumerate(locs):
                    for f in _local_features(name, typ, n - 1 - i, concl, ctoks):
                        for key in (f, role + "|" + f):
                            c = self.local_nb.setdefault(key, [0.0, 0.0])
                            c[0] += name == value
                            c[1] += 1
            elif hole[0] == "N":
                in_goal = value in set(_NUM.findall(concl))
                for key in (f"v{value}", f"{role}|v{value}", f"g{int(in_goal)}", f"{role}|g{int(in_goal)}"):
                    c = self.num_nb.setdefault(key, [0.0, 0.0])
                    c[0] += 1
                    c[1] += 1

    def _votes(self, goals: list[dict], skip_file: str = "", prev: str = "") -> list[tuple[int, float]]:
        skip = (lambda i: self.row_file[i] == skip_file) if skip_file else None
        return self.knn.nearest_to(state_features(goals, prev), self.config.neighbours, skip=skip)

    def _fit_ranker(self, rows: list[dict]) -> None:
        import random
        rng = random.Random(0)
        with_globals = [i for i, g in enumerate(self.row_globals) if g]
        sample = rng.sample(with_globals, min(self.config.ranker_examples, len(with_globals)))
        allowed = set(range(len(self.premises.premises)))
        # where each theorem starts in its file: only the lemmas above it are "earlier in the same
        # file", as in search (every lemma of the file would make the feature noise)
        starts = {(p.file, p.name): p.offset for p in self.premises.premises}
        examples = []
        import numpy as np
        for i in sample:
            near = self._votes(rows[i]["goals"], skip_file=self.row_file[i], prev=self.row_prev[i])
            votes = self._global_votes(near)
            at = starts.get((rows[i]["file"], rows[i].get("theorem", "")), 10 ** 9)
            names, x = self.premises.candidates(rows[i]["goals"], votes, allowed, rows[i]["file"], at)
            used = set(self.row_globals[i])
            examples.append((x, np.array([n in used for n in names])))
        self.premises.fit(examples)

    def _global_votes(self, near: list[tuple[int, float]]) -> dict[str, float]:
        votes: dict[str, float] = defaultdict(float)
        for i, s in near:
            for g in self.row_globals[i]:
                votes[g] += s
        return votes

    def add(self, steps: list[tuple[list[dict], str]], file: str = "") -> None:
        """``_add`` under the generator's lock."""
        with self.lock:
            self._add(steps, file)

    def _add(self, steps: list[tuple[list[dict], str]], file: str = "") -> None:
        """Learning from a checked proof, as training learns from a corpus row: its steps join the
        k-NN index (the next states vote for their skeletons and fills), the skeleton counts, the
        local and numeral pointer statistics and the premises' usage counts. Online within a run
        (``--online on``) and between expert-iteration rounds. The premise ranker's weights stay."""
        known = set(self.premises.by_name)
        rows = []
        prev = ""
        for goals, tactic in steps:
            names = {n for n, _ in locals_of_stored(goals)}
            a = abstract(tactic, names, {short(t) for t in _IDENT.findall(tactic) if short(t) in known} - names)
            rows.append((state_features(goals, prev), a.skeleton))
            self.row_skeleton.append(a.skeleton)
            self.row_args.append(dict(a.args))
            self.row_file.append(file)
            used = sorted({short(v) for h, v in a.args if h[0] == "G"})
            self.row_globals.append(used)
            self.row_prev.append(prev)
            if self.row_goals is not None:
                self.row_goals.append(goals[:1])
            self.skeleton_counts[a.skeleton] += 1
            self._count_pointers(goals, a)
            self.premises.used.update(used)
            prev = tactic
        self.premises.total_used = max(1, sum(self.premises.used.values()))
        self.knn.add_features(rows)

    # ---- generation ------------------------------------------------------------------------
    def rank_premises(self, goals: list[dict], allowed: set[int], file: str = "", offset: int = 0,
                      near=None) -> list[tuple[str, float]]:
        near = self._votes(goals) if near is None else near
        names, x = self.premises.candidates(goals, self._global_votes(near), allowed, file, offset)
        return self.premises.rank(names, x)

    def generate(self, goals: list[dict], k: int = 50, allowed: set[int] | None = None, file: str = "",
                 offset: int = 0, prev: str = "") -> list[tuple[str, float]]:
        """``_generate`` under the generator's lock."""
        with self.lock:
            return self._generate(goals, k, allowed, file, offset, prev)

    def _generate(self, goals: list[dict], k: int = 50, allowed: set[int] | None = None, file: str = "",
                  offset: int = 0, prev: str = "") -> list[tuple[str, float]]:
        """Up to ``k`` distinct steps for the state (``prev``: the step that led to it, "" at a
        proof's start), with log-scores, best first."""
        if not goals:
            return []
        cfg = self.config
        near = self._votes(goals, prev=prev)
        allowed = allowed if allowed is not None else set(range(len(self.premises.premises)))
        locs = locals_of_stored(goals)
        here = {n for n, _ in locs}
        concl = goals[0]["concl"]
        premises: list = []
        if any(h[0] == "G" for i, _ in near for h in self.row_args[i]):
            premises = self.rank_premises(goals, allowed, file, offset, near)[:cfg.per_hole * 3]
        mass: dict[str, float] = defaultdict(float)
        # 1. each neighbour's step, re-pointed: its locals that this state lacks are filled anew
        for i, s in near:
            skel, args = self.row_skeleton[i], self.row_args[i]
            stale = [h for h, v in args.items() if h[0] == "L" and v not in here]
            if not stale:
                mass[fill(skel, args)] += s
                continue
            fixed = {h: v for h, v in args.items() if h not in stale}
            for full, lp in self._fill(skel, stale, goals, locs, concl, near, premises, fixed)[:3]:
                mass[fill(skel, full)] += s * math.exp(lp)
        # 2. the skeletons the neighbours vote for, every hole pointed from this state
        votes: dict[str, float] = defaultdict(float)
        for i, s in near:
            if self.row_skeleton[i] in self.skeleton_counts:
                votes[self.row_skeleton[i]] += s
        total = sum(s for _, s in near) or 1.0
        for sk, c in self.skeleton_counts.most_common(cfg.skeletons):
            votes[sk] += cfg.prior * c / (sum(self.skeleton_counts.values()) or 1) * total
        z = sum(votes.values()) or 1.0
        for skel, v in heapq.nlargest(cfg.skeletons, votes.items(), key=lambda kv: kv[1]):
            for args, lp in self._fill(skel, holes(skel), goals, locs, concl, near, premises):
                mass[fill(skel, args)] += cfg.pointed * total * (v / z) * math.exp(lp)
        z = sum(mass.values()) or 1.0
        return [(t, math.log(m / z)) for t, m in heapq.nlargest(k, mass.items(), key=lambda kv: kv[1]) if m > 0]

    def _fill(self, skel, hs, goals, locs, concl, near, premises, fixed=None) -> list[tuple[dict, float]]:
        """The best fills of holes ``hs`` (the others as ``fixed``), with their log-probabilities."""
        cfg = self.config
        kind = kind_of(skel)
        beams: list[tuple[float, dict]] = [(0.0, dict(fixed or {}))]
        for h in hs:
            options = self._options(skel, kind, h, goals, locs, concl, near, premises)
            nxt = []
            for lp, args in beams:
                for value, olp in options:
                    if h[0] == "L" and value in {a for k_, a in args.items() if k_[0] == "L"}:
                        continue
                    nxt.append((lp + olp, {**args, h: value}))
            beams = heapq.nlargest(cfg.beam, nxt, key=lambda t: t[0])
            if not beams:
                return []
        return [(args, lp) for lp, args in beams]

    def _options(self, skel, kind, h, goals, locs, concl, near, premises) -> list[tuple[str, float]]:
        cfg = self.config
        role = f"{kind}/{h}"
        if h[0] == "L":
            ctoks = set(TOKEN.findall(concl))
            n = len(locs)
            scored = []
            for i, (name, typ) in enumerate(locs):
                s = 0.0
                for f in _local_features(name, typ, n - 1 - i, concl, ctoks):
                    for key in (f, role + "|" + f):
                        c = self.local_nb.get(key)
                        if c:
                            s += math.log((c[0] + 0.5) / (c[1] - c[0] + 0.5))
                scored.append((name, s))
            return _mixed(_normalised(scored), self._neighbour_values(skel, h, near, {n for n, _ in locs}),
                          cfg.per_hole)
        if h[0] == "N":
            nums = set(_NUM.findall(concl)) | {"0", "1", "2"}
            in_goal = set(_NUM.findall(concl))
            scored = []
            for v in nums:
                s = 0.0
                for key in (f"v{v}", f"{role}|v{v}", f"g{int(v in in_goal)}", f"{role}|g{int(v in in_goal)}"):
                    s += math.log(1 + self.num_nb.get(key, [0.0])[0])
                scored.append((v, s))
            return _mixed(_normalised(scored), self._neighbour_values(skel, h, near, nums), cfg.per_hole)
        scored = {g: math.log(p) for g, p in self._neighbour_values(skel, h, near, None).items()}
        for g, lp in premises:
            scored.setdefault(g, lp - 2.0)
        return heapq.nlargest(cfg.per_hole, scored.items(), key=lambda t: t[1])

    def _neighbour_values(self, skel, h, near, allowed) -> dict[str, float]:
        """What the neighbours with this skeleton put in hole ``h`` (those ``allowed`` only), as
        a distribution: the step that worked in a similar state, re-pointed where it can be."""
        same: dict[str, float] = defaultdict(float)
        for i, s in near:
            if self.row_skeleton[i] == skel and h in self.row_args[i]:
                v = self.row_args[i][h]
                if allowed is None or v in allowed:
                    same[v] += s
        tot = sum(same.values())
        return {v: s / tot for v, s in same.items()} if tot > 0 else {}

    # ---- storage ----------------------------------------------------------------------------
    def save(self, folder: str, rows_goals: list[list[dict]]) -> None:
        """Write the generator to ``folder`` (its files replaced whole)."""
        from agent.io import atomic_write
        os.makedirs(folder, exist_ok=True)
        atomic_write(os.path.join(folder, "generator.json"), json.dumps({
            "config": asdict(self.config), "skeleton_counts": self.skeleton_counts,
            "local_nb": self.local_nb, "num_nb": self.num_nb,
            "ranker": {"weights": list(self.premises.weights), "bias": self.premises.bias},
            "used": self.premises.used}))
        _write_gz(os.path.join(folder, "rows.jsonl.gz"),
                  ({"goals": g[:1], "skeleton": s, "args": a, "file": f, "prev": p}
                   for g, s, a, f, p in zip(rows_goals, self.row_skeleton, self.row_args, self.row_file,
                                            self.row_prev)))
        _write_gz(os.path.join(folder, "premises.jsonl.gz"), (asdict(p) for p in self.premises.premises))

    @classmethod
    def load(cls, folder: str, keep_goals: bool = False) -> "Generator":
        """The generator ``save`` wrote; ``keep_goals``: keep each row's goals, so that it can be
        saved again after ``add`` (expert iteration), at the memory they take."""
        import numpy as np

        meta = json.loads(open(os.path.join(folder, "generator.json"), encoding="utf-8").read())
        gen = cls(GeneratorConfig(**meta["config"]))
        gen.skeleton_counts = Counter(meta["skeleton_counts"])
        gen.local_nb, gen.num_nb = meta["local_nb"], meta["num_nb"]
        vecs = []
        gen.row_goals = [] if keep_goals else None
        with gzip.open(os.path.join(folder, "rows.jsonl.gz"), "rt", encoding="utf-8") as f:
            for line in f:
                r = json.loads(line)
                vecs.append(state_features(r["goals"], r.get("prev", "")))
                if keep_goals:
                    gen.row_goals.append(r["goals"])
                gen.row_prev.append(r.get("prev", ""))
                gen.row_skeleton.append(r["skeleton"])
                gen.row_args.append(r["args"])
                gen.row_file.append(r["file"])
                gen.row_globals.append(sorted({short(v) for h, v in r["args"].items() if h[0] == "G"}))
        gen.knn = KnnIndex(vecs, list(gen.row_skeleton))
        with gzip.open(os.path.join(folder, "premises.jsonl.gz"), "rt", encoding="utf-8") as f:
            premises = [Premise(**json.loads(line)) for line in f]
        gen.premises = PremiseIndex(premises, Counter(meta["used"]))
        gen.premises.weights = np.array(meta["ranker"]["weights"])
        gen.premises.bias = meta["ranker"]["bias"]
        return gen


def _normalised(scored: list[tuple[str, float]]) -> list[tuple[str, float]]:
    if not scored:
        return []
    m = max(s for _, s in scored)
    z = m + math.log(sum(math.exp(s - m) for _, s in scored))
    return [(v, s - z) for v, s in scored]


def _mixed(model: list[tuple[str, float]], neighbours: dict[str, float], k: int) -> list[tuple[str, float]]:
    """Half the learned pointer's distribution, half the neighbours' (when they have one)."""
    if not neighbours:
        return heapq.nlargest(k, model, key=lambda t: t[1])
    p = {v: 0.5 * math.exp(lp) for v, lp in model}
    for v, q in neighbours.items():
        p[v] = p.get(v, 0.0) + 0.5 * q
    return heapq.nlargest(k, ((v, math.log(x)) for v, x in p.items() if x > 0), key=lambda t: t[1])


def _write_gz(path: str, records) -> None:
    tmp = path + ".tmp"
    with gzip.open(tmp, "wt", encoding="utf-8") as f:
        for r in records:
            f.write(json.dumps(r, ensure_ascii=False) + "\n")
    os.replace(tmp, path)
