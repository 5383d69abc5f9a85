#!/usr/bin/env bash
# Issue 13's long evaluation: miniF2F-rocq valid's *eval* half (never searched in training) at 60 s
# and up to 400 expansions per theorem (5 s per tactic, 2 workers, CoqHammer's sauto family), A*
# with the model's Q and V (lambda 1, as every round of evals/iterate_competition.sh is
# evaluated), then every proof rechecked by evals/recheck.py. HALF=iterate runs the iterate half
# instead (searched in training: report it as such). About 40 minutes per half on 2 CPU cores.
# Usage: bash evals/eval_60s.sh MODEL_DIR [RUN_DIR]
MODEL=${1:?usage: bash evals/eval_60s.sh MODEL_DIR [RUN_DIR]}
RUN=${2:-runs/eval_60s}
NO_STDLIB=1 source "$(dirname "$0")/common.sh"
HALF=${HALF:-eval}
$Q bench "$MINIF2F" --half "$HALF" --model "$MODEL" --ordering astar --astar-lambda 1 \
  --budget 400 --timeout 60 --tactic-timeout 5 --workers 2 --resume --out "$RUN/$HALF"
$PY evals/recheck.py "$RUN/$HALF"
