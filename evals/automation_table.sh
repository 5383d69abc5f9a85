#!/usr/bin/env bash
# The automation baseline with and without the added imports and CoqHammer, at one budget (16
# expansions, 20 s, 5 s per tactic, 2 workers), automation only (--model none):
#   the stdlib test 120 (qstar bench): no prelude | the prelude (bench's --imports auto),
#   --hammer off | sauto | full
#   miniF2F-rocq valid as raw files (evals/raw_files.py: `qstar prove FILE` on each, every proof
#   rechecked with `qstar check --reference`): --imports none | auto, --hammer off | sauto | full
# About 2.5 hours on 2 CPU cores (the miniF2F hammer row alone about an hour). Usage:
# bash evals/automation_table.sh [RUN_DIR] [--no-minif2f-full]; the ranked table is printed at
# the end (python evals/automation_table.py RUN_DIR prints it again). Finished parts are kept.
# --goal-args off throughout: the automation list alone (the goal-argument candidates came later;
# evals/learning_ablation.sh measures them).
RUN=${1:-runs/automation}
source "$(dirname "$0")/common.sh"
STD=("$RUN/coq-stdlib.jsonl" --split test --limit 120 --spread --workers 2 --resume "${BUDGET[@]}" --model none --goal-args off)
$Q bench "${STD[@]}" --prelude "" --hammer off --out "$RUN/stdlib/none-off"
for h in off sauto full; do
  $Q bench "${STD[@]}" --hammer $h --out "$RUN/stdlib/auto-$h"
done
[ -f "$RUN/minif2f/off/summary.json" ] || $PY evals/raw_files.py --suite "$MINIF2F" --variants none,auto --hammer off --out "$RUN/minif2f/off"
for h in sauto full; do
  [ "$h" = full ] && [ "${2:-}" = --no-minif2f-full ] && continue
  [ -f "$RUN/minif2f/$h/summary.json" ] || $PY evals/raw_files.py --suite "$MINIF2F" --variants auto --hammer $h --out "$RUN/minif2f/$h"
done
$PY evals/automation_table.py "$RUN"
