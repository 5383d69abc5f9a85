"""The automation policy: a fixed, ordered list of candidate tactics per backend.

No model: every state gets the same list (plus ``induction``/``destruct`` on the variables of
the first goal), with a Zipf prior over the order as log-probs, so closing tactics are tried and
ranked first. A learned policy (issue 3) has the same signature and can be mixed with this one.

The file's own lemmas (those stated and closed above the theorem) join the list as ``apply L.``,
``eapply L.`` and, for an equation or an iff, ``rewrite L.`` / ``rewrite <- L.``: with their
statements (``ranked``, the default), per state the lemmas whose statements share the focused
goal's rarer symbols (BM25, as CoqHammer's and the generator's premise selection score overlap)
come first, then the most recent ones; without statements (``recent``), the most recent ones.
"""

from __future__ import annotations

import math

from agent.env import ProofState
from agent.policies.competition import competition_steps

COQ_TACTICS = (
    "reflexivity.", "assumption.", "trivial.", "easy.", "lia.", "lra.", "nia.", "nra.", "ring.",
    "field.", "congruence.", "discriminate.", "tauto.", "auto.", "intuition.", "firstorder.",
    "intros.", "split.", "simpl.", "subst.", "constructor.", "left.", "right.", "eauto.",
    "exfalso.",
)

LEAN_TACTICS = (
    "rfl", "decide", "omega", "norm_num", "simp", "linarith", "nlinarith", "positivity", "ring",
    "ring_nf", "field_simp", "aesop", "tauto", "simp_all", "assumption", "intro", "intros",
    "constructor", "exact?", "norm_num at *", "push_cast",
)

_INDUCTIVE_TYPES = ("nat", "ℕ", "Nat", "list", "List", "positive", "N", "Z", "ℤ", "Int")


def _zipf(n: int) -> list[float]:
    h = sum(1.0 / (i + 1) for i in range(n))
    return [math.log(1.0 / ((i + 1) * h)) for i in range(n)]


class AutomationPolicy:
    """Candidate tactics for a state, best first, with prior log-probs."""

    def __init__(self, backend: str, *, tactics: tuple[str, ...] | None = None,
                 case_splits: bool = True, lemmas: tuple[str, ...] = (), max_lemmas: int = 8,
                 extra: tuple[str, ...] = (), statements: dict[str, str] | None = None,
                 ranked: int = 5, competition: bool = True):
        """``lemmas``: the file's lemmas a proof may use, most recent first; ``statements``: their
        statements (name -> text), which rank them per state: the ``ranked`` best by overlap with
        the goal, then the most recent, ``max_lemmas`` in all."""
        if backend not in ("coq", "lean"):
            raise ValueError(f"unknown backend {backend!r}")
        self.backend = backend
        self.tactics = (tactics or (COQ_TACTICS if backend == "coq" else LEAN_TACTICS)) + tuple(extra)
        self.case_splits = case_splits
        self.competition = competition  # agent.policies.competition's families (Coq)
        self.lemmas = tuple(lemmas[:max_lemmas])  # the file's earlier lemmas, most recent first
        self._ranker = None
        if statements:
            from agent.policies.file_lemmas import FileLemmas
            self._ranker = FileLemmas(tuple(lemmas), statements, ranked=ranked, limit=max_lemmas)

    def __call__(self, state: ProofState) -> list[tuple[str, float]]:
        tactics = list(self.tactics)
        if self.competition and self.backend == "coq" and state.goals:  # where the goal calls for them
            tactics[5:5] = [step for _, step in competition_steps(state.goals[0])]
        if self.case_splits and state.goals:
            for name, hyp in state.goals[0].locals():
                if not hyp.body and hyp.type.split(" ", 1)[0] in _INDUCTIVE_TYPES:
                    if self.backend == "coq":
                        tactics += [f"induction {name}.", f"destruct {name}."]
                    else:
                        tactics += [f"induction {name}", f"cases {name}"]
        if self._ranker is not None and state.goals:
            tactics += self._ranker.tactics(state.goals[0], self.backend)
        else:
            for name in self.lemmas:  # the file's own lemmas, as Tactician and CoqHammer users expect
                tactics += ([f"apply {name}.", f"rewrite {name}.", f"eapply {name}."] if self.backend == "coq"
                            else [f"apply {name}", f"rw [{name}]", f"exact {name}"])
        tactics = list(dict.fromkeys(tactics))
        return list(zip(tactics, _zipf(len(tactics))))

