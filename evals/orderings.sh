#!/usr/bin/env bash
# Which search ordering, at one budget (16 expansions, 20 s, 5 s per tactic, 2 workers, the bench
# prelude with CoqHammer's sauto family), on the stdlib test split (120 lemmas spread over it) and
# on the eval half of miniF2F-rocq valid (the half no Q or V here was trained on):
#   bfs        best-first on the cumulative log Q (ReProver's order with the learned Q)
#   bfs-norm   log Q normalised by depth (BFS-Prover)
#   value      the critic alone: the state with the highest V first
#   astar      f = -sum log Q + lambda * -log V (lambda 1)
#   mcts       PUCT walks (c 1.5), Q's softmax as the prior, V at the leaf, no rollouts
# Every row uses the same candidates (MODEL's retrieval database, template policy and goal
# arguments, the automation) ranked by MODEL's Q, and MODEL's V where the ordering uses one.
# MODEL defaults to the folder evals/learning_ablation.sh trains (runs/learning/qv_model).
# About 1.5 hours on 2 CPU cores; finished parts are kept. Usage:
#   MODEL=DIR bash evals/orderings.sh [RUN_DIR]; python evals/orderings_table.py RUN_DIR
RUN=${1:-runs/orderings}
source "$(dirname "$0")/common.sh"
MODEL=${MODEL:-runs/learning/qv_model}
[ -f "$MODEL/q_model.json" ] && [ -f "$MODEL/state_value.json" ] || {
  echo "orderings.sh: $MODEL holds no Q and V (run evals/learning_ablation.sh first, or set MODEL)" >&2; exit 2; }
STD=("$RUN/coq-stdlib.jsonl" --split test --limit 120 --spread)
MF=("$MINIF2F" --half eval)
for order in bfs bfs-norm value astar mcts; do
  for suite in stdlib minif2f; do
    if [ $suite = stdlib ]; then S=("${STD[@]}"); else S=("${MF[@]}"); fi
    $Q bench "${S[@]}" --workers 2 --resume "${BUDGET[@]}" --model "$MODEL" --ordering $order \
      --out "$RUN/$suite/$order"
  done
done
$PY evals/orderings_table.py "$RUN"
