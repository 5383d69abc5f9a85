"""The candidate sources that learn from proofs, in one room: retrieval's database, the step
generator and the user's own proofs above a theorem (the ``proj`` source).

A run loads them once (``Learners.load``: from the flags or the model folder); what it learns
from the user's project goes in through ``study``: the human proofs above each theorem, traced
(``agent.project``), and, with ``--online on``, every proof the run finds once it is checked (as
Tactician learns a file while it is checked). Retrieval and the generator take them into their
indexes (skeletons, fills, premise usage), each under its own lock, since worker threads search
while a proof is added. ``for_theorem`` then hands each source what it may see for one theorem:
the generator the lemmas stated above it (never the theorem itself, never one below it), the
project source the steps of the proofs above it. Nothing below this module learns from proofs
by another path: the searcher, the prover, bench and iterate go through here.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable


@dataclass
class TheoremSources:
    """What the learned sources propose for one theorem (each None when off)."""

    retrieval: Callable | None = None
    generator: Callable | None = None
    project: Callable | None = None


@dataclass
class Learners:
    retrieval: object | None = None  # a KnnPolicy (agent.policies.retrieval)
    generator: object | None = None  # a Generator (agent.generator.model)
    generator_candidates: int = 16
    project_weight: float = 1.0
    ranker: object | None = None  # the project source's ranker (agent.project.rank)

    @classmethod
    def load(cls, cfg, folder: str) -> "Learners":
        """The parts ``cfg`` (a SearchConfig) names, or the model ``folder``'s (one-line errors
        for a flag naming no such part)."""
        from agent.model_folder import load_part
        knn = load_part("retrieval", cfg.retrieval, folder, f"--retrieval {cfg.retrieval}: no such file")
        gen = load_part("generator", cfg.generator, folder,
                        f"--generator {cfg.generator}: no generator there (`qstar train generator` writes one)")
        ranker = load_part("project_rank", cfg.project_rank, folder)
        return cls(knn, gen, cfg.generator_candidates, cfg.project_weight, ranker)

    @property
    def learns(self) -> bool:
        """Whether any source here learns from checked steps."""
        return self.retrieval is not None or self.generator is not None

    def study(self, steps: list, *, file: str = "") -> None:
        """[(goals, tactic)] of a checked proof (the user's, or found; a project index's rows carry
        each step's place in its proof too) join every learning source; ``file``: where the
        generator says its rows came from."""
        steps = [(s[0], s[1]) for s in steps]
        if self.retrieval is not None:
            self.retrieval.add(steps)
        if self.generator is not None:
            self.generator.add([([g.to_json() for g in goals[:1]], t) for goals, t in steps], file=file)

    def study_records(self, paths: list[str]) -> int:
        """``study`` every checked proof of these search records (bench, collect, iterate), its
        path's steps in order; returns the number of steps learned."""
        from agent.backends import goals_of
        from agent.search.labels import proof_path, read_records
        added = 0
        for path in paths:
            for rec in read_records(path):
                if rec.get("status") != "proved" or not rec.get("tree"):
                    continue
                steps = [(goals_of(node["goals"]), tactic) for node, tactic in proof_path(rec["tree"])]
                self.study(steps, file=f"found:{rec.get('name', '')}")
                added += len(steps)
        return added

    def for_theorem(self, backend: str, theorem: str, *, lemmas: tuple[str, ...] = (),
                    stated: list | None = None, context: str = "", project: tuple = ()) -> TheoremSources:
        """The sources for ``theorem``: ``lemmas``, the names usable above it; ``stated``, (name,
        statement, start) of the lemmas stated above it in ``context`` (its file above it);
        ``project``, the (goals, step) rows of the human proofs above it."""
        generator = proj = None
        if self.generator is not None and backend == "coq":
            from agent.generator.policy import GeneratorPolicy
            generator = GeneratorPolicy(self.generator, candidates=self.generator_candidates, lemmas=lemmas,
                                        stated=stated, offset=len(context), theorem=theorem)
        if project and self.project_weight > 0:
            from agent.project.policy import ProjectPolicy
            proj = ProjectPolicy(project, ranker=self.ranker)
        return TheoremSources(self.retrieval, generator, proj)
