#!/usr/bin/env bash
# The README's headline rows: miniF2F-rocq valid's *eval* half (116 statements, never searched in
# training) at the usual budget (16 expansions, 20 s, 5 s per tactic, 2 workers, CoqHammer's sauto
# family), with the bundled model (A* on its Q and V, lambda 1) and with automation alone (no
# learned part), then every proof rechecked by evals/recheck.py and one table printed.
# About 15 minutes on 2 CPU cores; run it on an otherwise idle machine (20 s deadlines).
# Usage: bash evals/headline.sh [RUN_DIR]
RUN=${1:-runs/headline}
NO_STDLIB=1 source "$(dirname "$0")/common.sh"
$Q bench "$MINIF2F" --half eval --model agent/default_model --ordering astar --astar-lambda 1 \
  "${BUDGET[@]}" --workers 2 --resume --out "$RUN/bundled"
$Q bench "$MINIF2F" --half eval --model none "${BUDGET[@]}" --workers 2 --resume --out "$RUN/automation"
$PY evals/recheck.py "$RUN/bundled"
$PY evals/recheck.py "$RUN/automation"
$PY - "$RUN" <<'PY'
import json, sys
run = sys.argv[1]
print("| eval half of miniF2F-rocq valid (116) | proved | not proved | statement errors | internal errors | search s |")
print("| --- | --- | --- | --- | --- | --- |")
for row in ("bundled", "automation"):
    s = json.load(open(f"{run}/{row}/summary.json"))["summary"]
    print(f"| {row} | {s['proved']} | {s['not_proved']} | {s['statement_error']} | {s['internal_error']} | "
          f"{s['search_seconds']} |")
PY
