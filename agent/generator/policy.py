"""The step generator as a candidate source of search (``gen`` in the mixed policy).

A state's candidates are ``Generator.generate`` for its focused goal, the step that led to it
being the last tactic of its path. Premises are every premise the generator knows; the names of
the lemmas stated earlier in the user's file (the search's ``lemmas``) join them, so a global
hole can point at them (their statements are not known here: they rank by name and usage).
"""

from __future__ import annotations

import os

from agent.env import ProofState
from agent.generator.premises import Premise

GENERATOR_DIR = "generator"  # the subfolder of a --model folder that holds a trained generator


def has_generator(folder: str) -> bool:
    return os.path.isfile(os.path.join(folder, "generator.json"))


class GeneratorPolicy:
    def __init__(self, generator, *, candidates: int = 16, lemmas: tuple[str, ...] = ()):
        self.gen, self.k = generator, candidates
        known = self.gen.premises
        self.allowed = set(range(len(known.premises)))
        for name in lemmas:
            if name not in known.by_name:
                self.allowed.add(known.add(Premise(name, "", "", 0)))

    def __call__(self, state: ProofState) -> list[tuple[str, float]]:
        goals = [g.to_json() for g in state.goals[:1]]
        prev = state.path[-1] if state.path else ""
        return self.gen.generate(goals, self.k, self.allowed, prev=prev)
