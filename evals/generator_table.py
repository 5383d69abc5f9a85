"""Print the table of evals/generator_ablation.sh: per suite and row, proved / attempted, the
theorems it proves that ``nogen`` does not and the reverse, the theorems whose proof uses a step
the generator proposed (and no other source did), and which steps those were: the tactic's head
and whether it points to a global premise (a name of the generator's premise index) or only to
locals and numerals. (It makes no comparison against the earlier configurations' union:
``evals/ceiling.py`` prints that union on its own.) Writes RUN/table.json.

  python evals/generator_table.py [RUN_DIR]
"""

from __future__ import annotations

import gzip
import json
import os
import re
import sys
from collections import Counter
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

ROWS = ("nogen", "gen", "gen+online", "gen-stdlib", "gen+file")
SUITES = {"lib": "held-out library files", "eval": "miniF2F-rocq valid, eval half"}
_IDENT = re.compile(r"[A-Za-z_][\w']*(?:\.[A-Za-z_][\w']*)*")


def _rows(folder: str) -> dict[str, dict]:
    from agent.io import read_jsonl
    return {r["id"]: r for r in read_jsonl(os.path.join(folder, "results.jsonl"), allow_empty=True)}


def premise_names(generator: str) -> set[str]:
    """Short names of the generator's premise index (``premises.jsonl.gz``)."""
    path = os.path.join(generator, "premises.jsonl.gz")
    if not os.path.exists(path):
        return set()
    with gzip.open(path, "rt", encoding="utf-8") as f:
        return {json.loads(line)["name"].rsplit(".", 1)[-1] for line in f if line.strip()}


def generated_steps(row: dict) -> list[str]:
    """The steps of a proved row that only the generator proposed."""
    return [t for t, srcs in zip(row.get("proof") or [], row.get("proof_sources") or []) if srcs == ["gen"]]


def step_kind(tactic: str, premises: set[str]) -> str:
    head = (_IDENT.findall(tactic) or ["?"])[0]
    used = [w.rsplit(".", 1)[-1] for w in _IDENT.findall(tactic)[1:]]
    return f"{head} + {'global premise' if any(w in premises for w in used) else 'locals/numerals'}"


def table(run: str, generator: str = "models/generator") -> tuple[str, dict]:
    premises = premise_names(generator)
    lines, out = [], {}
    for suite, title in SUITES.items():
        found = [r for r in ROWS if os.path.isfile(os.path.join(run, suite, r, "results.jsonl"))
                 and _rows(os.path.join(run, suite, r))]
        if not found:
            continue
        base = {i for i, x in _rows(os.path.join(run, suite, "nogen")).items() if x["status"] == "proved"} \
            if "nogen" in found else set()
        lines += [f"\n{title} ({suite})\n",
                  "| row | proved / attempted | vs nogen: gains | vs nogen: losses | proofs with a generated step |",
                  "| --- | --- | --- | --- | --- |"]
        for r in found:
            rows = _rows(os.path.join(run, suite, r))
            proved = {i for i, x in rows.items() if x["status"] == "proved"}
            with_gen = {i for i in proved if generated_steps(rows[i])}
            kinds = Counter(step_kind(t, premises) for i in with_gen for t in generated_steps(rows[i]))
            gains, losses = sorted(proved - base), sorted((base & set(rows)) - proved)  # of what it attempted
            out[f"{suite}/{r}"] = {"proved": len(proved), "attempted": len(rows), "gains": gains, "losses": losses,
                                   "with_generated_step": sorted(with_gen), "generated_step_kinds": dict(kinds),
                                   "generated_steps": {i: generated_steps(rows[i]) for i in sorted(with_gen)}}
            pct = 100 * len(proved) / max(len(rows), 1)
            lines.append(f"| {r} | {len(proved)} / {len(rows)} ({pct:.1f} %) | {len(gains) if r != 'nogen' else '-'} | "
                         f"{len(losses) if r != 'nogen' else '-'} | {len(with_gen)} |")
        kinds = Counter()
        for r in found:
            kinds.update(out[f"{suite}/{r}"]["generated_step_kinds"])
        if kinds:
            lines.append("\ngenerated steps in found proofs (all rows): "
                         + ", ".join(f"{k} x{n}" for k, n in kinds.most_common(12)))
    return "\n".join(lines), out


def main(argv: list[str]) -> int:
    run = argv[0] if argv else "runs/generator_ablation"
    text, out = table(run)
    if not out:
        print(f"generator_table: no rows under {run}/lib or {run}/eval", file=sys.stderr)
        return 2
    from agent.io import atomic_write
    atomic_write(os.path.join(run, "table.json"), json.dumps(out, indent=1))
    print(text)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
