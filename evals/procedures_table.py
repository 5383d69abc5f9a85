"""The table of evals/procedures.sh: per suite and row, proved (and rechecked), search seconds,
the theorems it proves that the same model's ``--procedures off`` row does not, and those it
loses.

  python evals/procedures_table.py RUN_DIR
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

SUITES = {"eval": "miniF2F-rocq valid, eval half (116)", "stdlib": "stdlib test 120"}


def _rows(folder: Path) -> list[dict]:
    return [json.loads(ln) for ln in (folder / "results.jsonl").read_text().splitlines() if ln.strip()]


def _proved(folder: Path) -> set[str]:
    return {r["name"] for r in _rows(folder) if r.get("status") == "proved"}


def rows(run: Path) -> list[dict]:
    out = []
    for suite, title in SUITES.items():
        for d in sorted((run / suite).glob("*")):
            if not (d / "summary.json").is_file():
                continue
            model, procs = d.name.rsplit("-", 1)
            base = run / suite / f"{model}-off"
            s = json.loads((d / "summary.json").read_text())["summary"]
            rc = json.loads((d / "recheck.json").read_text()) if (d / "recheck.json").is_file() else {}
            mine, theirs = _proved(d), _proved(base) if (base / "results.jsonl").is_file() else set()
            out.append({"suite": title, "model": model, "procedures": procs, "proved": s["proved"],
                        "of": s["theorems"], "rechecked_agree": rc.get("agree"),
                        "timeouts": sum(r.get("stop_reason") == "timeout" for r in _rows(d)),
                        "search_seconds": s["search_seconds"], "gained": sorted(mine - theirs),
                        "lost": sorted(theirs - mine)})
    return out


def main() -> None:
    run = Path(sys.argv[1] if len(sys.argv) > 1 else "runs/procedures")
    table = rows(run)
    if not table:
        sys.exit(f"procedures_table: no results under {run}")
    print("| suite | model | `--procedures` | proved | rechecked | stopped on the 20 s limit | search s | "
          "gained over `off` | lost |")
    print("| --- | --- | --- | --- | --- | --- | --- | --- | --- |")
    for r in table:
        agree = "-" if r["rechecked_agree"] is None else r["rechecked_agree"]
        print(f"| {r['suite']} | {r['model']} | {r['procedures']} | {r['proved']} / {r['of']} | {agree} | {r['timeouts']} | "
              f"{r['search_seconds']:.0f} | {', '.join(r['gained']) or '-'} | {', '.join(r['lost']) or '-'} |")
    (run / "procedures_table.json").write_text(json.dumps(table, indent=1) + "\n")


if __name__ == "__main__":
    main()
