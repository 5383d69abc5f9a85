"""The table of evals/file_lemmas.sh: per row, proved / attempted, what it gains and loses
against ``off``, and the proofs that use a lemma of the theorem's own file.

  python evals/file_lemmas_table.py RUN_DIR     (writes RUN_DIR/table.md and table.json)
"""

from __future__ import annotations

import json
import os
import re
import sys

ROWS = ("off", "recent", "ranked")


def _results(folder: str) -> dict[str, dict]:
    with open(os.path.join(folder, "results.jsonl"), encoding="utf-8") as f:
        return {r["id"]: r for r in map(json.loads, filter(str.strip, f))}


def _uses_file_lemma(r: dict, suite: dict[str, dict]) -> bool:
    """A proof step names a lemma stated above the theorem in its file."""
    from agent.backends import backend_named
    row = suite.get(r["id"])
    if not row or not r.get("proof"):
        return False
    coq = backend_named("coq")
    names = set(coq.usable_lemmas(coq.library_source(row["source"])[:row["offset"]]))
    return any(w in names for step in r["proof"] for w in re.findall(r"[\w']+(?:\.[\w']+)*", step))


def table(run: str) -> dict:
    with open(os.path.join(run, "coq-stdlib.jsonl"), encoding="utf-8") as f:
        suite = {r["id"]: r for r in map(json.loads, filter(str.strip, f))}
    res = {m: _results(os.path.join(run, m)) for m in ROWS if os.path.isfile(os.path.join(run, m, "results.jsonl"))}
    base = {i for i, r in res.get("off", {}).items() if r["status"] == "proved"}
    out = {}
    for m, rows in res.items():
        proved = {i for i, r in rows.items() if r["status"] == "proved"}
        out[m] = {"proved": len(proved), "attempted": len(rows), "gained": sorted(proved - base),
                  "lost": sorted(base - proved),
                  "with_file_lemma": sum(_uses_file_lemma(rows[i], suite) for i in proved)}
    return out


def main(argv=None) -> int:
    sys.path.insert(0, os.path.join(os.path.dirname(__file__), ".."))
    run = (argv or sys.argv[1:] or ["runs/file_lemmas"])[0]
    t = table(run)
    lines = ["| file lemmas | proved | gained vs off | lost vs off | proofs using a file lemma |",
             "| --- | --- | --- | --- | --- |"]
    for m, r in t.items():
        lines.append(f"| {m} | {r['proved']} / {r['attempted']} | {len(r['gained'])} | {len(r['lost'])} "
                     f"| {r['with_file_lemma']} |")
    md = "\n".join(lines) + "\n"
    for m, r in t.items():
        if r["gained"] or r["lost"]:
            md += f"\n{m}: gained {', '.join(r['gained']) or '-'}; lost {', '.join(r['lost']) or '-'}\n"
    with open(os.path.join(run, "table.md"), "w", encoding="utf-8") as f:
        f.write(md)
    with open(os.path.join(run, "table.json"), "w", encoding="utf-8") as f:
        json.dump(t, f, indent=1)
    print(md)
    return 0


if __name__ == "__main__":
    sys.exit(main())
