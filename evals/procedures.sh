#!/usr/bin/env bash
# The decision procedures (psatz with CSDP, nsatz, interval: issue 26) at the README's budget (16
# expansions, 20 s, 5 s per tactic, 2 workers, CoqHammer's sauto family), in one run:
#   miniF2F-rocq valid's eval half (116, never searched in training):
#     the bundled model (A*, lambda 1) with --procedures auto | off,
#     automation alone (--model none) with --procedures off | psatz | nsatz | interval | auto;
#   the stdlib test 120 (automation alone): --procedures off | auto.
# Every proof is rechecked (evals/recheck.py), then evals/procedures_table.py prints the table:
# proved, search seconds, and the theorems each row proves that its `off` row does not.
# About 80 minutes on 2 CPU cores; run it on an otherwise idle machine (20 s deadlines). Finished
# rows are kept (--resume). Usage: bash evals/procedures.sh [RUN_DIR]
RUN=${1:-runs/procedures}
source "$(dirname "$0")/common.sh"
EVAL=("$MINIF2F" --half eval "${BUDGET[@]}" --workers 2 --resume)
$Q bench "${EVAL[@]}" --model agent/default_model --ordering astar --astar-lambda 1 --procedures auto --out "$RUN/eval/bundled-auto"
$Q bench "${EVAL[@]}" --model agent/default_model --ordering astar --astar-lambda 1 --procedures off --out "$RUN/eval/bundled-off"
for p in off auto psatz nsatz interval; do
  $Q bench "${EVAL[@]}" --model none --procedures $p --out "$RUN/eval/automation-$p"
done
STD=("$RUN/coq-stdlib.jsonl" --split test --limit 120 --spread --workers 2 --resume "${BUDGET[@]}" --model none)
for p in off auto; do
  $Q bench "${STD[@]}" --procedures $p --out "$RUN/stdlib/automation-$p"
done
for d in "$RUN"/eval/* "$RUN"/stdlib/*; do
  [ -f "$d/recheck.json" ] || $PY evals/recheck.py "$d"
done
$PY evals/procedures_table.py "$RUN"
