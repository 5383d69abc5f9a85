"""Which of the file's steps to try first: a candidate's chance to be the step the user would
write here, from what is known about where it was taken.

The project source (``agent.project.policy``) finds the rows of the file's proofs nearest to the
current state; a step they took (renamed to this state's locals, or as written) is a candidate.
Tactician ranks such candidates by the nearest row's similarity alone. Half of the word-for-word
ceiling is lost that way (issue 45: the right step is among the file's steps for 21 % of the
held-out steps, first for 8.6 %), because similarity does not see what else tells a user's
steps apart: the step they took before it (``intros. induction n.`` recurs as a pair), where in
its proof a step stands (the first step of a proof is an ``intros`` more often than not), how
recently and how often the file used it, whether the goal has the same head symbol.

``ProjectRanker`` is a logistic model over ``FEATURES``: P(this candidate is the user's step).
It is calibrated (on the held-out library files, of the bundled ranker's top-10 candidates given
0.2-0.4, 36 % are the user's step; 0.4-0.7: 62 %), so its log is a log-prob beside the other
sources'. It is fitted by
``agent.project.rank_train`` on traced library files (``qstar train project-rank``) and stored as
one JSON file (``project_rank.json``: feature names, standardisation, weights).
"""

from __future__ import annotations

import json
import math
from dataclasses import asdict, dataclass, field

FEATURES = (
    "max_sim",  # cosine similarity of the nearest row that took it
    "sum_sim",  # summed over the neighbours that took it
    "log_neighbours",  # log(1 + how many of the neighbours took it)
    "log_rank",  # log(1 + the rank of its nearest row among the neighbours)
    "log_age",  # log(1 + rows since the latest neighbour that took it)
    "log_uses",  # log(1 + times the file's proofs took it as written)
    "same_prev",  # a row that took it came after the same step as this state
    "same_step",  # ... stood at the same place in its proof
    "both_first",  # ... was the first step of its proof, as this one is
    "same_head",  # ... had a conclusion with the same head symbol
    "same_goals",  # ... had as many goals
    "as_written",  # proposed as some row wrote it
    "renamed",  # proposed with the row's locals renamed to this state's
    "in_file",  # the text stands in the file's proofs
    "log_length",  # log(1 + its length in characters)
)


@dataclass
class Candidate:
    """What the neighbours say of one candidate step (accumulated over them)."""

    max_sim: float = 0.0
    sum_sim: float = 0.0
    neighbours: int = 0
    rank: int = 0  # of its nearest row
    latest: int = -1  # the latest row position that took it
    same_prev: bool = False
    same_step: bool = False
    both_first: bool = False
    same_head: bool = False
    same_goals: bool = False
    as_written: bool = False
    renamed: bool = False

    def add(self, rank: int, sim: float, pos: int, *, written: bool, same_prev: bool, same_step: bool,
            both_first: bool, same_head: bool, same_goals: bool) -> None:
        if not self.neighbours:
            self.rank = rank
        self.neighbours += 1
        self.max_sim = max(self.max_sim, sim)
        self.sum_sim += sim
        self.latest = max(self.latest, pos)
        self.same_prev |= same_prev
        self.same_step |= same_step
        self.both_first |= both_first
        self.same_head |= same_head
        self.same_goals |= same_goals
        if written:
            self.as_written = True
        else:
            self.renamed = True

    def features(self, text: str, rows: int, uses: int) -> list[float]:
        """The values of ``FEATURES`` for this candidate, ``text``, in a database of ``rows`` rows
        where the file's proofs took it ``uses`` times as written."""
        return [self.max_sim, self.sum_sim, math.log1p(self.neighbours), math.log1p(self.rank),
                math.log1p(max(0, rows - self.latest)), math.log1p(uses), float(self.same_prev),
                float(self.same_step), float(self.both_first), float(self.same_head), float(self.same_goals),
                float(self.as_written), float(self.renamed), float(uses > 0), math.log1p(len(text))]


@dataclass
class ProjectRanker:
    """P(candidate is the user's step) = sigmoid(bias + weights . (features - mean) / scale)."""

    features: list[str] = field(default_factory=lambda: list(FEATURES))
    mean: list[float] = field(default_factory=lambda: [0.0] * len(FEATURES))
    scale: list[float] = field(default_factory=lambda: [1.0] * len(FEATURES))
    weights: list[float] = field(default_factory=lambda: [0.0] * len(FEATURES))
    bias: float = 0.0
    trained_on: dict = field(default_factory=dict)  # what it was fitted on, and its fit figures

    def log_prob(self, x: list[float]) -> float:
        z = self.bias + sum(w * (v - m) / s for w, v, m, s in zip(self.weights, x, self.mean, self.scale))
        # log sigmoid(z), stable on both sides
        return -math.log1p(math.exp(-z)) if z >= 0 else z - math.log1p(math.exp(z))

    def save(self, path: str) -> None:
        from agent.io import atomic_write
        atomic_write(path, json.dumps(asdict(self), indent=1) + "\n")

    @classmethod
    def load(cls, path: str) -> "ProjectRanker":
        """A ranker file; a file of other features (an older or newer qstar) is a one-line error."""
        from agent.backends import UsageError
        try:
            with open(path, encoding="utf-8") as f:
                r = cls(**json.load(f))
        except (OSError, ValueError, TypeError) as e:
            raise UsageError(f"{path}: not a project ranker ({type(e).__name__}: {e})") from None
        if tuple(r.features) != FEATURES or not (len(r.mean) == len(r.scale) == len(r.weights) == len(FEATURES)):
            raise UsageError(f"{path}: a project ranker over other features ({len(r.features)}); "
                             "fit it again with `qstar train project-rank`")
        return r
