"""The ranked table of evals/automation_table.sh: proved per suite and setting, best first.

  python evals/automation_table.py RUN_DIR
"""

from __future__ import annotations

import json
import sys
from pathlib import Path


def rows(run: Path) -> list[dict]:
    out = []
    for hammer in ("off", "sauto", "full"):
        p = run / "minif2f" / hammer / "summary.json"
        if p.is_file():
            for imports, s in json.loads(p.read_text())["summary"].items():
                out.append({"suite": "miniF2F-rocq valid, raw files", "imports": imports, "hammer": hammer,
                            "proved": s["proved"], "of": s["files"], "accepted": s["accepted"],
                            "seconds": s["seconds"]})
    for name in ("none-off", "auto-off", "auto-sauto", "auto-full"):
        p = run / "stdlib" / name / "summary.json"
        if p.is_file():
            s = json.loads(p.read_text())["summary"]
            imports, hammer = name.split("-")
            out.append({"suite": "stdlib test 120", "imports": imports + (" (prelude)" if imports == "auto" else ""),
                        "hammer": hammer, "proved": s["proved"], "of": s["theorems"], "accepted": None,
                        "seconds": s["search_seconds"]})
    return out


def main() -> None:
    run = Path(sys.argv[1] if len(sys.argv) > 1 else "runs/automation")
    table = rows(run)
    if not table:
        sys.exit(f"automation_table: no results under {run}")
    print("| suite | rank | `--imports` | `--hammer` | proved | accepted by `check --reference` | seconds (sum) |")
    print("| --- | --- | --- | --- | --- | --- | --- |")
    for suite in dict.fromkeys(r["suite"] for r in table):
        ranked = sorted((r for r in table if r["suite"] == suite), key=lambda r: (-r["proved"], r["seconds"]))
        for i, r in enumerate(ranked, 1):
            acc = "-" if r["accepted"] is None else r["accepted"]
            print(f"| {suite} | {i} | {r['imports']} | {r['hammer']} | {r['proved']} / {r['of']} | {acc} | "
                  f"{r['seconds']:.0f} |")
    (run / "table.json").write_text(json.dumps(table, indent=1) + "\n")


if __name__ == "__main__":
    main()
