#!/usr/bin/env bash
# The expert-iteration experiment whose table and plot are in the README: stdlib traces,
# rounds 0-2 (tiny LM + value head + k-NN retrieval database) on the Coq stdlib train split, evaluated on the stdlib test split (inside
# iterate) and on miniF2F-rocq valid (bench per round), all with one fixed budget.
# Usage: bash evals/expert_iteration.sh [RUN_DIR]   (several hours on 2 CPU cores)
set -euo pipefail
cd "$(dirname "$0")/.."
RUN=${1:-runs/ei}
Q=.venv/bin/qstar
MINIF2F=${MINIF2F:-../shared/data/minif2f-rocq-valid.jsonl}
BUDGET=(--budget 16 --timeout 20 --tactic-timeout 5)
mkdir -p "$RUN"
[ -f "$RUN/coq-stdlib.jsonl" ] || $Q stdlib-suite --out "$RUN/coq-stdlib.jsonl"
$Q trace stdlib --split train --out "$RUN/traces-train.jsonl"
$Q iterate --out "$RUN/iterate" --rounds 2 \
  --train-suite "$RUN/coq-stdlib.jsonl" --train-split train --train-limit 150 \
  --eval-suite "$RUN/coq-stdlib.jsonl" --eval-split test --eval-limit 120 \
  --traces "$RUN/traces-train.jsonl" --width 64 --layers 2 --max-state-chars 256 \
  --sft-steps 600 --value-steps 200 --lr 2e-3 --batch-size 16 --preference dpo \
  --search astar --lambda 0.5 --samples 4 --workers 2 "${BUDGET[@]}"
$Q bench "$MINIF2F" --out "$RUN/minif2f/automation" --model none --search bfs --workers 2 --resume "${BUDGET[@]}"
for k in 0 1 2; do
  $Q bench "$MINIF2F" --out "$RUN/minif2f/round_$k" --model "$RUN/iterate/round_$k/model" \
    --search astar --lambda 0.5 --samples 4 --workers 2 --resume "${BUDGET[@]}"
done
