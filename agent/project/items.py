"""The steps of the human proofs above each bench item's theorem, for items whose header is their
file above the theorem (the library-files suite: Tactician and Graph2Tac are measured this way,
each theorem with every proof above it in its database).

Items of one file are traced once: the longest header of the file (every other header of the
file is a prefix of it) is replayed step by step (``agent.project.index.build_text``, cached), and
each item holds only the rows of the proofs its own header closes, so a theorem never sees its own
proof or a later one, whatever order the workers take the items in.
"""

from __future__ import annotations

import dataclasses
import sys
import time
from collections import defaultdict
from dataclasses import dataclass


@dataclass
class ProjectStats:
    """What tracing the items' files took, apart from search time."""

    files: int = 0  # files whose proofs were traced (or read from the cache)
    steps: int = 0  # steps traced over those files
    items: int = 0  # items that hold at least one step
    seconds: float = 0.0  # wall time of tracing (0 for files read from the cache)
    cached: int = 0  # files read from the cache


def with_project_steps(items: list, *, step_timeout: float = 10.0, file_timeout: float = 300.0) -> tuple[list, ProjectStats]:
    """``items`` with ``project`` set to the (goals, step) rows of the proofs above each theorem
    (Coq items whose header closes a proof; the others as they were)."""
    from tqdm import tqdm

    from agent.backends import backend_named
    from agent.project.index import build_text, closed_proofs
    stats = ProjectStats()
    groups: dict[str, list[int]] = defaultdict(list)
    b = None
    for i, it in enumerate(items):
        if it.theorem.backend != "coq":
            continue
        b = b or backend_named("coq")
        if closed_proofs(b, it.theorem.context):
            groups[it.source or it.theorem.context].append(i)
    if not groups:
        return items, stats
    out = list(items)
    t0 = time.monotonic()
    for idx in tqdm(groups.values(), desc="tracing the items' files", unit="file", file=sys.stderr, disable=None):
        idx.sort(key=lambda i: len(items[i].theorem.context))
        longest = items[idx[-1]].theorem.context
        if not all(longest.startswith(items[i].theorem.context) for i in idx):  # not cuts of one text
            for i in idx:
                _hand(out, i, _count(build_text(b, items[i].theorem.context, step_timeout=step_timeout,
                                                file_timeout=file_timeout), stats), b, stats)
            continue
        index = _count(build_text(b, longest, step_timeout=step_timeout, file_timeout=file_timeout), stats)
        for i in idx:
            _hand(out, i, index, b, stats)
    stats.seconds = round(time.monotonic() - t0, 2)
    print(f"project index: {stats.steps} steps of {stats.files} files for {stats.items} theorems "
          f"({stats.cached} files from the cache; {stats.seconds}s)", file=sys.stderr)
    return out, stats


def _count(index, stats: ProjectStats):
    stats.files += 1
    stats.cached += index.cached
    stats.steps += len(index.rows)
    return index


def _hand(out: list, i: int, index, backend, stats: ProjectStats) -> None:
    """Item ``i`` with the rows of the proofs its own header holds (the first ``n`` declarations)."""
    n = len(backend.proof_scripts(out[i].theorem.context))
    rows = tuple(index.between(0, n))
    if rows:
        stats.items += 1
        out[i] = dataclasses.replace(out[i], project=rows)
