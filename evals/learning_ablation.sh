#!/usr/bin/env bash
# Do the learned parts pay? One budget (16 expansions, 20 s, 5 s per tactic, 2 workers, the bench
# prelude with CoqHammer's sauto family) on the eval half of miniF2F-rocq valid (a fixed hash of
# the name; never searched for training data here):
#   automation        the automation list only (--goal-args off): the baseline
#   automation+goal   plus the candidates with arguments read from the goal
#   own               + the bundled retrieval database and template policy, ranked by the
#                     sources' own scores (no network)
#   q                 the same candidates ranked by Q(s, a) (bfs on log Q)
#   q-astar           ranked by Q, A* with h = -log V (lambda 1)
# Q and V are trained (`qstar train qv`) on the search records of the *iterate* half and 150
# curriculum statements (`qstar synth`, seed 7), searched with `own`. About 1.5 hours on 2 CPU
# cores; finished parts are kept. Usage: bash evals/learning_ablation.sh [RUN_DIR]; the table is
# printed at the end (python evals/learning_table.py RUN_DIR prints it again).
RUN=${1:-runs/learning}
NO_STDLIB=1 source "$(dirname "$0")/common.sh"
BASE=$RUN/base
QV=$RUN/qv_model
mkdir -p "$BASE" "$QV"
for f in knn.jsonl.gz template_model.json template_model.safetensors; do
  [ -f "$BASE/$f" ] || cp agent/default_model/v1/$f "$BASE/$f"
  [ -f "$QV/$f" ] || cp agent/default_model/v1/$f "$QV/$f"
done
[ -f "$RUN/synth/curriculum-suite.jsonl" ] || $Q synth --out "$RUN/synth" --proved 0 --open 150 --seed 7 --families 15
COL=(--model "$BASE" --workers 2 --resume "${BUDGET[@]}")
$Q collect "$MINIF2F" --half iterate --out "$RUN/r0_iter" "${COL[@]}"
$Q collect "$RUN/synth/curriculum-suite.jsonl" --out "$RUN/r0_synth" "${COL[@]}"
[ -f "$QV/qv_metrics.json" ] || $Q train qv --records "$RUN/r0_iter/records.jsonl" "$RUN/r0_synth/records.jsonl" --out "$QV"
EVAL=("$MINIF2F" --half eval --workers 2 --resume "${BUDGET[@]}")
$Q bench "${EVAL[@]}" --model none --goal-args off --out "$RUN/eval/automation"
$Q bench "${EVAL[@]}" --model none --out "$RUN/eval/automation+goal"
$Q bench "${EVAL[@]}" --model "$BASE" --q none --out "$RUN/eval/own"
$Q bench "${EVAL[@]}" --model "$QV" --value-model none --out "$RUN/eval/q"
$Q bench "${EVAL[@]}" --model "$QV" --ordering astar --astar-lambda 1 --out "$RUN/eval/q-astar"
$PY evals/learning_table.py "$RUN"
