#!/usr/bin/env bash
# The expert-iteration experiment whose table and plot are in the README.
# Data: the Coq stdlib train split's human proofs (traced) plus a synthetic curriculum of
# competition-style algebra with reference proofs (`qstar synth`, traced the same way).
# Rounds 0-2 (tiny LM + value head + k-NN retrieval database + template policy) collect on 100
# stdlib train lemmas and 100 open curriculum statements, and are evaluated on the stdlib test
# split (inside iterate; 120 lemmas spread evenly over the split) and on miniF2F-rocq valid
# (bench per round), all with one fixed budget. About 2 hours on 2 CPU cores.
# Usage: bash evals/expert_iteration.sh [RUN_DIR]; then python evals/ei_table.py RUN_DIR
RUN=${1:-runs/ei}
source "$(dirname "$0")/common.sh"
BUDGET+=(--hammer off --goal-args off)  # its README figures predate CoqHammer and the goal arguments
$Q trace stdlib --split train --out "$RUN/traces-train.jsonl"
[ -f "$RUN/curriculum/curriculum.v" ] || $Q synth --out "$RUN/curriculum" --proved 1800 --open 100 --seed 0 --families 15
$Q trace "$RUN/curriculum/curriculum.v" --out "$RUN/traces-curriculum.jsonl"
cat "$RUN/traces-train.jsonl" "$RUN/traces-curriculum.jsonl" > "$RUN/traces-all.jsonl"
# The collect suite: 100 stdlib train lemmas spread evenly over the split + the 100 open
# curriculum statements.
$PY - "$RUN" <<'EOF'
import json, sys
run = sys.argv[1]
train = [r for r in map(json.loads, open(f"{run}/coq-stdlib.jsonl")) if r["split"] == "train"]
rows = [train[i * len(train) // 100] for i in range(100)]
rows += list(map(json.loads, open(f"{run}/curriculum/curriculum-suite.jsonl")))
with open(f"{run}/train-suite.jsonl", "w") as f:
    f.writelines(json.dumps(r) + "\n" for r in rows)
EOF
$Q iterate --learner lm --out "$RUN/iterate" --rounds 2 \
  --train-suite "$RUN/train-suite.jsonl" --train-split train \
  --eval-suite "$RUN/coq-stdlib.jsonl" --eval-split test --eval-limit 120 --spread \
  --traces "$RUN/traces-all.jsonl" --proof-weight 10 --template-epochs 8 --width 64 --layers 2 --max-state-chars 256 \
  --sft-steps 600 --value-steps 200 --lr 2e-3 --batch-size 16 --preference dpo \
  --ordering astar --astar-lambda 0.5 --samples 4 --workers 2 "${BUDGET[@]}"
$Q bench "$MINIF2F" --out "$RUN/minif2f/automation" --model none --ordering bfs --workers 2 --resume "${BUDGET[@]}"
for k in 0 1 2; do
  $Q bench "$MINIF2F" --out "$RUN/minif2f/round_$k" --model "$RUN/iterate/round_$k/model" \
    --ordering astar --astar-lambda 0.5 --samples 4 --workers 2 --resume "${BUDGET[@]}"
done
