#!/usr/bin/env bash
# Node-level against step-level best-first search (--expand node | step) with the bundled model
# (agent/default_model: retrieval, templates, goal arguments, Q and V; no network), on the eval
# half of miniF2F-rocq valid (never searched in training), with one budget (16 expansions, 20 s,
# 5 s per tactic, 2 workers, CoqHammer's sauto family). Rows, each at both levels:
#   own        the candidates ranked by the sources' own scores (--q none), bfs
#   q          ranked by Q(s, a), bfs on log Q (--value-model none)
#   q-astar    ranked by Q, A* with h = -log V (lambda 1)
# and the automation-only baseline in the same run. About 1 hour on 2 CPU cores; finished rows
# are kept. Usage: bash evals/expand_ablation.sh [RUN_DIR]; the table is printed at the end.
RUN=${1:-runs/expand}
NO_STDLIB=1 source "$(dirname "$0")/common.sh"
M=agent/default_model
EVAL=("$MINIF2F" --half eval --workers 2 --resume "${BUDGET[@]}")
for level in step node; do
  sfx=$([ $level = step ] && echo -step || true)
  $Q bench "${EVAL[@]}" --model $M --expand $level --ordering astar --astar-lambda 1 --out "$RUN/eval/q-astar$sfx"
  $Q bench "${EVAL[@]}" --model $M --expand $level --value-model none --out "$RUN/eval/q$sfx"
  $Q bench "${EVAL[@]}" --model $M --expand $level --value-model none --q none --out "$RUN/eval/own$sfx"
done
$Q bench "${EVAL[@]}" --model none --goal-args off --out "$RUN/eval/automation"
$PY evals/learning_table.py "$RUN" automation own own-step q q-step q-astar q-astar-step
