"""Print the table of evals/learning_ablation.sh: per row, proved / attempted on the eval half,
the theorems it proves that `own` (the sources ranked by their own scores) does not and the
reverse, and where the time goes: the kernel's seconds on the theorems the row proves, and the
learned parts' seconds per expansion (every candidate source, Q and V) against the kernel's.
Also writes RUN/eval/table.json.

  python evals/learning_table.py [RUN_DIR [ROW ...]]   (rows: RUN_DIR/eval/ROW, default the five below)
"""

from __future__ import annotations

import json
import os
import sys

ROWS = ("automation", "automation+goal", "own", "q", "q-astar")


def _rows(folder: str) -> dict[str, dict]:
    from agent.io import read_jsonl
    return {r["id"]: r for r in read_jsonl(os.path.join(folder, "results.jsonl"))}


def _names(ids: set[str], most: int = 4) -> str:
    if not ids:
        return "0"
    names = sorted(ids)
    return f"{len(ids)}: {', '.join(names)}" if len(ids) <= most else str(len(ids))


def table(run: str, names: tuple[str, ...] = ROWS) -> tuple[str, list[dict]]:
    found = [v for v in names if os.path.isfile(os.path.join(run, "eval", v, "results.jsonl"))]
    ref = {i for i, r in _rows(os.path.join(run, "eval", "own")).items() if r["status"] == "proved"} \
        if "own" in found else set()
    lines = ["| row | proved / attempted | statement errors | vs own: gains | vs own: losses | seconds (sum) | "
             "kernel s on the proved | learned s / expansion | kernel s / expansion | learned / kernel |",
             "| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |"]
    out = []
    for v in found:
        rows = _rows(os.path.join(run, "eval", v))
        proved = {i for i, r in rows.items() if r["status"] == "proved"}
        exp = sum(r.get("expansions", 0) for r in rows.values()) or 1
        model = sum(r.get("model_seconds", 0.0) for r in rows.values())
        kernel = sum(r.get("kernel_seconds", 0.0) for r in rows.values())
        kernel_proved = sum(r.get("kernel_seconds", 0.0) for i, r in rows.items() if i in proved)
        row = {"row": v, "proved": len(proved), "attempted": len(rows),
               "statement_errors": sum(r["stop_reason"] == "statement_error" for r in rows.values()),
               "seconds": round(sum(r["seconds"] for r in rows.values()), 1),
               "kernel_seconds_proved": round(kernel_proved, 1),
               "learned_s_per_expansion": round(model / exp, 4), "kernel_s_per_expansion": round(kernel / exp, 4),
               "gains_vs_own": sorted(proved - ref), "losses_vs_own": sorted(ref - proved)}
        out.append(row)
        lines.append(f"| {v} | {len(proved)} / {len(rows)} | {row['statement_errors']} | "
                     f"{_names(proved - ref) if ref else ''} | {_names(ref - proved) if ref else ''} | "
                     f"{row['seconds']:.0f} | {kernel_proved:.1f} | {model / exp:.3f} | {kernel / exp:.3f} | "
                     f"{model / kernel if kernel else 0:.2f} |")
    metrics = os.path.join(run, "qv_model", "qv_metrics.json")
    if os.path.isfile(metrics):
        m = json.loads(open(metrics, encoding="utf-8").read())
        lines.append("")
        lines.append(f"Q and V trained on {m['records']} search records ({m.get('q_pos', 0)} proof steps, "
                     f"{m.get('q_neg', 0)} rejected steps; {m.get('v_pos', 0)} proved and {m.get('v_neg', 0)} "
                     f"refuted states) in {m['seconds']} s. On the trees of {m['theorems_held_out']} theorems held "
                     f"out of training: Q's ROC AUC {m.get('q_auc_held_out')} (the sources' own scores: "
                     f"{m.get('own_auc_held_out')}), a proof step ranked first {m.get('q_top1_held_out')} "
                     f"(own: {m.get('own_top1_held_out')}); V's ROC AUC {m.get('v_auc_held_out')} "
                     f"({m.get('v_held_out_rows')} states).")
    return "\n".join(lines), out


if __name__ == "__main__":
    run = sys.argv[1] if len(sys.argv) > 1 else "runs/learning"
    text, rows = table(run, tuple(sys.argv[2:]) or ROWS)
    os.makedirs(os.path.join(run, "eval"), exist_ok=True)
    with open(os.path.join(run, "eval", "table.json"), "w", encoding="utf-8") as f:
        json.dump(rows, f, indent=2)
    print(text)
