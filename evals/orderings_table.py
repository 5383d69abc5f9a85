"""Print the table of evals/orderings.sh (per ordering and suite: proved / attempted, the theorems
it proves that bfs does not and the reverse, expansions and seconds summed over theorems) and
plot it (RUN/orderings.png). Also writes RUN/table.json.

  python evals/orderings_table.py [RUN_DIR]
"""

from __future__ import annotations

import json
import os
import sys

ORDERINGS = ("bfs", "bfs-norm", "value", "astar", "mcts")
SUITES = {"stdlib": "stdlib test 120", "minif2f": "miniF2F-rocq valid, eval half"}


def _rows(folder: str) -> dict[str, dict]:
    from agent.io import read_jsonl
    return {r["id"]: r for r in read_jsonl(os.path.join(folder, "results.jsonl"))}


def _names(ids: set[str], most: int = 3) -> str:
    return f"{len(ids)}: {', '.join(sorted(ids))}" if 0 < len(ids) <= most else str(len(ids))


def table(run: str) -> tuple[str, list[dict]]:
    lines = ["| suite | ordering | proved / attempted | vs bfs: gains | vs bfs: losses | expansions (sum) | "
             "seconds (sum) |", "| --- | --- | --- | --- | --- | --- | --- |"]
    out = []
    for suite, label in SUITES.items():
        found = {o: _rows(os.path.join(run, suite, o)) for o in ORDERINGS
                 if os.path.isfile(os.path.join(run, suite, o, "results.jsonl"))}
        ref = {i for i, r in found.get("bfs", {}).items() if r["status"] == "proved"}
        for o, rows in found.items():
            proved = {i for i, r in rows.items() if r["status"] == "proved"}
            row = {"suite": suite, "ordering": o, "proved": len(proved), "attempted": len(rows),
                   "expansions": sum(r.get("expansions", 0) for r in rows.values()),
                   "seconds": round(sum(r["seconds"] for r in rows.values()), 1),
                   "gains_vs_bfs": sorted(proved - ref), "losses_vs_bfs": sorted(ref - proved)}
            out.append(row)
            lines.append(f"| {label} | {o} | {len(proved)} / {len(rows)} | {_names(proved - ref)} | "
                         f"{_names(ref - proved)} | {row['expansions']} | {row['seconds']:.0f} |")
    return "\n".join(lines), out


def plot(rows: list[dict], path: str) -> None:
    try:
        import matplotlib
        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        return
    fig, ax = plt.subplots(figsize=(7, 3.8))
    width = 0.38
    for k, suite in enumerate(SUITES):
        got = {r["ordering"]: r for r in rows if r["suite"] == suite}
        xs = [i + (k - 0.5) * width for i, o in enumerate(ORDERINGS) if o in got]
        ys = [100 * got[o]["proved"] / max(got[o]["attempted"], 1) for o in ORDERINGS if o in got]
        bars = ax.bar(xs, ys, width, label=SUITES[suite])
        ax.bar_label(bars, labels=[str(got[o]["proved"]) for o in ORDERINGS if o in got], fontsize=8)
    ax.set_xticks(range(len(ORDERINGS)), ORDERINGS)
    ax.set_ylim(0, 1.3 * max((100 * r["proved"] / max(r["attempted"], 1) for r in rows), default=1))
    ax.set_ylabel("proved (%)")
    ax.set_title("search orderings, one budget (16 expansions, 20 s, 5 s per tactic)")
    ax.legend(fontsize=8, loc="upper center", ncol=2)
    fig.tight_layout()
    fig.savefig(path, dpi=100)


if __name__ == "__main__":
    run = sys.argv[1] if len(sys.argv) > 1 else "runs/orderings"
    text, rows = table(run)
    with open(os.path.join(run, "table.json"), "w", encoding="utf-8") as f:
        json.dump(rows, f, indent=2)
    plot(rows, os.path.join(run, "orderings.png"))
    print(text)
