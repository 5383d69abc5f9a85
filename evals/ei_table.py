"""Print the expert-iteration table (stdlib test split and miniF2F-rocq valid, per round) from a
run of evals/expert_iteration.sh, and draw both suites' rates per round into one plot.

  python evals/ei_table.py [RUN_DIR] [--plot docs/expert_iteration.png]
"""

from __future__ import annotations

import argparse
import json
import os


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("run", nargs="?", default="runs/ei")
    ap.add_argument("--plot", default="docs/expert_iteration.png")
    args = ap.parse_args()
    rounds = [json.loads(x) for x in open(os.path.join(args.run, "iterate", "rounds.jsonl"), encoding="utf-8")]
    names = ["automation"] + [f"round_{r['round']}" for r in rounds if r["round"] != "automation"]
    mini = {}
    for n in names:
        p = os.path.join(args.run, "minif2f", n, "summary.json")
        if os.path.exists(p):
            mini[n] = json.load(open(p, encoding="utf-8"))["summary"]
    print("| search policy | stdlib test: proved / attempted | rate | miniF2F-rocq valid: proved / attempted | rate |")
    print("| --- | --- | --- | --- | --- |")
    for r, n in zip(rounds, names):
        m = mini.get(n)
        mtxt = f"{m['proved']} / {m['theorems']} | {100 * m['rate']:.1f}%" if m else "not run | "
        label = "automation only" if n == "automation" else f"round {r['round']} model"
        print(f"| {label} | {r['proved']} / {r['attempted']} | {100 * r['rate']:.1f}% | {mtxt} |")
    try:
        import matplotlib
        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        return
    fig, ax = plt.subplots(figsize=(6.5, 4))
    xs = list(range(len(names)))
    ax.plot(xs, [100 * r["rate"] for r in rounds], "o-", label="Coq stdlib test split")
    if mini:
        ax.plot([i for i, n in enumerate(names) if n in mini], [100 * mini[n]["rate"] for n in names if n in mini],
                "s-", label="miniF2F-rocq valid")
    ax.set_xticks(xs, ["automation"] + [f"round {i}" for i in range(len(names) - 1)])
    ax.set_ylabel("proved (%)")
    ax.set_title("expert iteration, fixed budget (16 expansions, 20 s)")
    ax.legend()
    fig.tight_layout()
    os.makedirs(os.path.dirname(args.plot) or ".", exist_ok=True)
    fig.savefig(args.plot, dpi=100)
    print(f"\nwrote {args.plot}")


if __name__ == "__main__":
    main()
