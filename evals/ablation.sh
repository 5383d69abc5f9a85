#!/usr/bin/env bash
# Which part of the bundled model proves what, and is the evaluation reproducible?
# With one fixed budget (16 expansions, 20 s, 5 s per tactic) on the stdlib test split (120
# lemmas spread over it) and on miniF2F-rocq valid:
#   automation      automation-only best-first search (the iterate baseline)
#   no-net          the bundled model's retrieval database and template policy + automation,
#                   best-first by their scores: no neural network
#   full            + the tiny LM's sampled candidates and A* with its value head (what
#                   `qstar prove` runs)
#   full-repeat     the same run again (stdlib only): a fixed model evaluates reproducibly?
#   full-beam       beam search instead of sampling (stdlib only)
#   tpl-seed0/1     template policy retrained on the model's rows with seeds 0 and 1 (stdlib
#                   only): the training variance a round's retraining brings
# About 2 hours on 2 CPU cores. Usage: bash evals/ablation.sh [RUN_DIR]; then
# python evals/ablation_table.py RUN_DIR
RUN=${1:-runs/ablation}
source "$(dirname "$0")/common.sh"
BUDGET+=(--hammer off --goal-args off)  # its README figures predate CoqHammer and the goal arguments
M=agent/default_model/v1  # the bundled model these rows measured (default-lm)
NONET=(--model none --retrieval "$M/knn.jsonl.gz" --templates "$M" --ordering bfs)
FULL=(--ordering astar --astar-lambda 0.5 --samples 4)
STD=("$RUN/coq-stdlib.jsonl" --split test --limit 120 --spread --workers 2 --resume "${BUDGET[@]}")
MF=("$MINIF2F" --workers 2 --resume "${BUDGET[@]}")
$Q bench "${STD[@]}" --out "$RUN/stdlib/automation" --model none --ordering bfs
$Q bench "${STD[@]}" --out "$RUN/stdlib/no-net" "${NONET[@]}"
$Q bench "${STD[@]}" --out "$RUN/stdlib/full" --model "$M" "${FULL[@]}"
$Q bench "${STD[@]}" --out "$RUN/stdlib/full-repeat" --model "$M" "${FULL[@]}"
$Q bench "${STD[@]}" --out "$RUN/stdlib/full-beam" --model "$M" "${FULL[@]}" --decoding beam
[ -f "$RUN/tpl/rows.jsonl" ] || { mkdir -p "$RUN/tpl"; gunzip -c "$M/knn.jsonl.gz" > "$RUN/tpl/rows.jsonl"; }
for s in 0 1; do
  d="$RUN/tpl/seed$s"
  if [ ! -f "$d/template_model.json" ]; then
    rm -rf "$d"; cp -r "$M" "$d"; rm "$d"/template_model.*
    $Q train templates --data "$RUN/tpl/rows.jsonl" --out "$d" --epochs 8 --seed $s
  fi
  $Q bench "${STD[@]}" --out "$RUN/stdlib/tpl-seed$s" --model "$d" "${FULL[@]}"
done
$Q bench "${MF[@]}" --out "$RUN/minif2f/automation" --model none --ordering bfs
$Q bench "${MF[@]}" --out "$RUN/minif2f/no-net" "${NONET[@]}"
$Q bench "${MF[@]}" --out "$RUN/minif2f/full" --model "$M" "${FULL[@]}"
