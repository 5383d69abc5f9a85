"""Where the test suite's seconds go (issue 48, measure first): read the output of
``bash scripts/test.sh --durations=0`` and print per test file the seconds summed over its tests
(call + setup + teardown, both xdist workers together) and what real processes its tests start
(read from the file's source), then the slowest tests.

  bash scripts/test.sh --durations=0 > runs/suite.log; python evals/test_durations.py runs/suite.log [TOP]
"""

from __future__ import annotations

import os
import re
import sys
from collections import defaultdict

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
_LINE = re.compile(r"^([0-9.]+)s (call|setup|teardown)\s+(tests/[\w/]+\.py)::(.+?)\s*$")
# what a test file's source shows it starts (the real processes behind its seconds)
_STARTS = [(r"\bray\b|@ray|xdist_group", "a Ray cluster"), (r"\bqstar\(", "the qstar CLI"),
           (r"coqc|requires_coq|CoqEnv|coqidetop", "Coq (coqidetop / coqc)"),
           (r"requires_hammer|hammer", "CoqHammer (E, CVC4)"), (r"torch|train", "training (torch)"),
           (r"coq_makefile|\"make\"|dune", "make / dune")]


def starts(test_file: str) -> str:
    try:
        text = open(os.path.join(ROOT, test_file), encoding="utf-8").read()
    except OSError:
        return ""
    return ", ".join(what for pattern, what in _STARTS if re.search(pattern, text))


def main(argv: list[str]) -> int:
    if not argv:
        print(__doc__, file=sys.stderr)
        return 2
    top = int(argv[1]) if len(argv) > 1 else 20
    per_file: dict[str, float] = defaultdict(float)
    tests: dict[str, float] = defaultdict(float)
    with open(argv[0], encoding="utf-8", errors="replace") as f:
        for ln in f:
            m = _LINE.match(ln)
            if m:
                per_file[m.group(3)] += float(m.group(1))
                tests[f"{m.group(3)}::{m.group(4)}"] += float(m.group(1))
    if not per_file:
        print(f"test_durations: no --durations lines in {argv[0]}", file=sys.stderr)
        return 2
    total = sum(per_file.values())
    print(f"{len(tests)} tests with a duration, {total:.0f} s summed over both workers\n")
    print("| test file | seconds | share | starts |")
    print("| --- | --- | --- | --- |")
    for name, s in sorted(per_file.items(), key=lambda kv: -kv[1]):
        print(f"| {name} | {s:.1f} | {100 * s / total:.1f} % | {starts(name)} |")
    print(f"\n| slowest {top} tests | seconds |")
    print("| --- | --- |")
    for name, s in sorted(tests.items(), key=lambda kv: -kv[1])[:top]:
        print(f"| {name} | {s:.1f} |")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
