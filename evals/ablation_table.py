"""Print the ablation table of evals/ablation.sh: per suite and variant, proved / attempted,
statement errors, seconds, and how many theorems it proves that the suite's `full` variant does
not (and the reverse; named when there are few), so two runs proving the same number of
different theorems show.

  python evals/ablation_table.py [RUN_DIR]
"""

from __future__ import annotations

import os
import sys

VARIANTS = ("automation", "no-net", "full", "full-repeat", "full-beam", "tpl-seed0", "tpl-seed1")


def _rows(folder: str) -> dict[str, dict]:
    from agent.io import read_jsonl
    return {r["id"]: r for r in read_jsonl(os.path.join(folder, "results.jsonl"))}


def table(run: str) -> str:
    lines = ["| suite | variant | proved / attempted | statement errors | seconds (sum over theorems) | vs full: gains | vs full: losses |",
             "| --- | --- | --- | --- | --- | --- | --- |"]
    for suite in ("stdlib", "minif2f"):
        found = [v for v in VARIANTS if os.path.isfile(os.path.join(run, suite, v, "results.jsonl"))]
        ref = _rows(os.path.join(run, suite, "full")) if "full" in found else {}
        ref_proved = {i for i, r in ref.items() if r["status"] == "proved"}
        for v in found:
            rows = _rows(os.path.join(run, suite, v))
            proved = {i for i, r in rows.items() if r["status"] == "proved"}
            errors = sum(r["stop_reason"] == "statement_error" for r in rows.values())
            secs = sum(r["seconds"] for r in rows.values())
            lines.append(f"| {suite} | {v} | {len(proved)} / {len(rows)} | {errors} | {secs:.0f} | "
                         f"{_names(proved - ref_proved) if ref else ''} | {_names(ref_proved - proved) if ref else ''} |")
    return "\n".join(lines)


def _names(ids: set[str], most: int = 3) -> str:
    """How many, and their names when there are few."""
    if not ids:
        return "0"
    names = sorted(i.rsplit(":", 1)[-1] for i in ids)
    return f"{len(ids)}: {', '.join(names)}" if len(ids) <= most else str(len(ids))


if __name__ == "__main__":
    print(table(sys.argv[1] if len(sys.argv) > 1 else "runs/ablation"))
