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
from dataclasses import dataclass

IDENT = re.compile(r"(?<![\w'.])[A-Za-z_][\w']*(?![\w'])")
_HYP = re.compile(r"^([^\s:⊢][^:]*?) : (.*)$")
SLOT = "⟨{}⟩"
_SLOT = re.compile(r"⟨(\d+)⟩")


@dataclass(frozen=True)
class Local:
    name: str
    type: str
    rank: int  # 0 = the last hypothesis (the most recent), 1 = the one before, ...
    in_goal: bool  # the name occurs in the conclusion


def focused_goal(state: str) -> tuple[list[tuple[str, str]], str]:
    """(hypotheses as (name, type), conclusion) of the first goal of a pretty-printed state."""
    goal = state.split("\n\n", 1)[0]
    hyps: list[tuple[str, str]] = []
    concl: list[str] = []
    seen_turnstile = False
    for line in goal.split("\n"):
        if seen_turnstile:
            concl.append(line)
        elif line.startswith("⊢"):
            seen_turnstile = True
            concl.append(line[1:].strip())
        else:
            m = _HYP.match(line)
            if m:
                for name in m.group(1).replace(",", " ").split():
                    hyps.append((name, m.group(2)))
            elif hyps:  # a type printed over several lines
                hyps[-1] = (hyps[-1][0], hyps[-1][1] + " " + line.strip())
    return hyps, "\n".join(concl)


def locals_of(state: str) -> list[Local]:
    hyps, concl = focused_goal(state)
    concl_names = set(IDENT.findall(concl))
    n = len(hyps)
    return [Local(name, typ, n - 1 - i, name in concl_names) for i, (name, typ) in enumerate(hyps)]


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
