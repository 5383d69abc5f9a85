"""The lemmas stated above a theorem in its own file, ranked for a proof state.

51 of 84 library-file theorems qstar missed (outside measure) have a human proof that uses a lemma
stated earlier in the file, and the most recent lemmas are not always the ones a proof uses. Per
state, the lemmas whose statements share the focused goal's rarer symbols come first (BM25 over
the statements, the overlap the generator's premise index and CoqHammer's selection use), the
most recent ones after them; each becomes ``apply``/``eapply`` and, when its statement is an
equation or an iff, ``rewrite``/``rewrite <-`` (which cannot apply otherwise).
"""

from __future__ import annotations

import re

from agent.learned.premises import Bm25, Premise, premise_tokens, state_tokens

_EQUATION = re.compile(r"<->|(?<![<>:=!])=(?![=>])")
_VERNAC = {"Lemma", "Theorem", "Fact", "Remark", "Corollary", "Proposition", "Property", "Example",
           "Definition", "Instance", "Program", "Global", "Local"}


def rewrites(statement: str) -> bool:
    """The statement's conclusion can be rewritten with: it holds ``=`` or ``<->`` (not ``<=``,
    ``>=``, ``<>``, ``=>`` or ``:=``)."""
    body = statement.split(":", 1)[-1] if statement.lstrip().split(" ", 1)[0] in _VERNAC else statement
    return bool(_EQUATION.search(body))


class FileLemmas:
    def __init__(self, lemmas: tuple[str, ...], statements: dict[str, str], *, ranked: int = 5,
                 limit: int = 8):
        """``lemmas``: the names a proof may use, most recent first; ``statements``: name -> text."""
        self.recent = lemmas
        self.named = [n for n in lemmas if statements.get(n)]
        self.bm25 = Bm25([premise_tokens(Premise(n, statements[n], "", 0)) for n in self.named])
        self.equation = {n: rewrites(statements[n]) for n in self.named}
        self.ranked, self.limit = ranked, limit

    def choose(self, goal) -> list[str]:
        """The lemmas for a goal (``agent.env.Goal``): the best by overlap, then the most recent."""
        scores = self.bm25.scores(state_tokens([goal.to_json()])) if self.named else {}
        best = [self.named[i] for i, s in sorted(scores.items(), key=lambda kv: (-kv[1], kv[0])) if s > 0]
        return list(dict.fromkeys(best[:self.ranked] + list(self.recent)))[:self.limit]

    def tactics(self, goal, backend: str) -> list[str]:
        out = []
        for name in self.choose(goal):
            if backend == "coq":
                out += [f"apply {name}.", f"eapply {name}."]
                if self.equation.get(name, True):  # unknown statement: try it
                    out += [f"rewrite {name}.", f"rewrite <- {name}."]
            else:
                out += [f"apply {name}", f"rw [{name}]", f"exact {name}"]
        return out
