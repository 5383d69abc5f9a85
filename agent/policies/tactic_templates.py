"""Tactic templates: a tactic with its local names (hypotheses, variables of the focused goal)
replaced by numbered slots, so that ``rewrite H0.`` seen in one proof can be ``rewrite Hxy.``
in another. Global names (lemmas, constants) stay as they are: which lemma to apply is exactly
what the template model learns.

Proverbot9001 splits a tactic into a stem and hypothesis arguments in the same way; here the
template keeps the whole tactic text around the slots (``destruct ⟨0⟩ as [? ?].``), which covers
compound tactics (``rewrite ⟨0⟩ in ⟨1⟩; lia.``) with no grammar.
"""

from __future__ import annotations

import re

from agent.learned.features import IDENT

SLOT = "⟨{}⟩"
_SLOT = re.compile(r"⟨(\d+)⟩")


def abstract(tactic: str, names: set[str]) -> tuple[str, list[str]]:
    """(template, the local names its slots stand for, in slot order)."""
    args: list[str] = []

    def sub(m: re.Match) -> str:
        name = m.group(0)
        if name not in names:
            return name
        if name not in args:
            args.append(name)
        return SLOT.format(args.index(name))

    return IDENT.sub(sub, tactic), args


def slots(template: str) -> int:
    return len(set(_SLOT.findall(template)))


def instantiate(template: str, args: list[str] | tuple[str, ...]) -> str:
    return _SLOT.sub(lambda m: args[int(m.group(1))], template)


def stem(template: str) -> str:
    """The first word of a template: the tactic's name (``rewrite``, ``apply``, ...)."""
    m = re.match(r"[-+*{}\s]*([A-Za-z_][\w']*)", template)
    return m.group(1) if m else template[:8]
