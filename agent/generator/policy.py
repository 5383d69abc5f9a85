"""The step generator as a candidate source of search (``gen`` in the mixed policy).

A state's candidates are ``Generator.generate`` for its focused goal, the step that led to it
being the last tactic of its path. Premises are every premise the generator knows, and the
lemmas stated earlier in the theorem's own file join them with their statements, as lemmas of
the same file above the theorem: the premise ranker's same-file feature (trained on the corpus,
where a step's premise is often a lemma a little above it) and BM25 overlap with their
statements rank them, as Graph2Tac's growing definitions table and Tactician's file-local
learning do. Names of ``lemmas`` the context does not state join by name only.
"""

from __future__ import annotations

import contextlib

import os

from agent.env import ProofState
from agent.learned.premises import Premise

GENERATOR_DIR = "generator"  # the subfolder of a --model folder that holds a trained generator


def has_generator(folder: str) -> bool:
    return os.path.isfile(os.path.join(folder, "generator.json"))


HERE = "<this file>"  # the file of the theorem being proved, as its premises name it


class GeneratorPolicy:
    def __init__(self, generator, *, candidates: int = 16, lemmas: tuple[str, ...] = (),
                 stated: list[tuple[str, str, int]] | None = None, offset: int = 0, theorem: str = ""):
        """``stated``: (name, statement, start) of the lemmas above the theorem in its file;
        ``offset``: where the theorem starts in it (its context's length); ``theorem``: its name,
        never offered as its own premise (the corpus index may state it: a held-out file's
        theorems are in the premises of the environment a user has installed)."""
        self.gen, self.k = generator, candidates
        with getattr(generator, "lock", contextlib.nullcontext()):  # other threads add and generate
            self._allow(lemmas, stated, offset, theorem)

    def _allow(self, lemmas, stated, offset: int, theorem: str) -> None:
        known = self.gen.premises
        # the index's own premises and this theorem's: another file's lemmas, added for its own
        # theorems earlier in the run, are not "above" this one
        self.allowed = set(range(known.trained))
        here = set()
        for name, statement, start in stated or ():
            self.allowed.add(known.add(Premise(name, statement, HERE, start)))
            here.add(name)
        for name in lemmas:
            if name not in known.by_name and name not in here:
                self.allowed.add(known.add(Premise(name, "", "", 0)))
        self.offset = offset if stated else 0
        own = theorem.split(":")[-1].rsplit(".", 1)[-1]  # a suite id ("F.v:name") or a qualified name
        self.allowed -= {i for i in known.by_name.get(own, ()) if known.premises[i].file != HERE}

    def __call__(self, state: ProofState) -> list[tuple[str, float]]:
        goals = [g.to_json() for g in state.goals[:1]]
        prev = state.path[-1] if state.path else ""
        return self.gen.generate(goals, self.k, self.allowed, file=HERE if self.offset else "",
                                 offset=self.offset, prev=prev)
