#!/usr/bin/env bash
# Issue 46: node expansion (every candidate of a node at once) against lazy, cost-aware expansion
# (--expand lazy: agent/search/lazy.py), on the eval half of miniF2F-rocq valid (never searched in
# training), with the bundled model and every other flag at its default, at the README's budget
# (16 expansions, 20 s, 5 s per tactic, 2 workers). `qstar collect` keeps each search's tree, so
# the table says where the kernel's seconds go per tactic family and how deep searches get.
# Rows run one after the other (never side by side: the seconds are compared). Finished rows are
# kept (--resume). About 45 minutes on 2 CPU cores. Every proof is rechecked at the end.
# Usage: bash evals/lazy_expansion.sh [RUN_DIR]; python evals/lazy_table.py RUN_DIR prints it again.
RUN=${1:-runs/lazy}
NO_STDLIB=1 source "$(dirname "$0")/common.sh"
EVAL=("$MINIF2F" --half eval --workers 2 --resume "${BUDGET[@]}")
# rows: node and lazy (a candidate's chance: the policy's alone) without the competition families
# (agent/policies/competition.py), lazy with them, then lazy with them and each family's success
# rate learned as the run goes (the default). The families were chosen by reading the node row's
# misses, and the learned chance was added after reading where the seconds went in the rows
# before it: those rows are not blind.
declare -A FLAGS=([node]="--expand node --competition off"
                  [lazy]="--expand lazy --competition off --lazy-chance policy"
                  [lazy+families]="--expand lazy --competition on --lazy-chance policy"
                  [lazy+chance]="--expand lazy --competition on --lazy-chance learned")
# lazy+tails: the same flags as lazy+chance (the defaults) once a requeued node's priority counts
# its next candidate's cost per chance (commit 39cf428); chosen after reading where the library
# suite's seconds went (evals/library_rows.sh), not the eval half's
FLAGS[lazy+tails]=${FLAGS[lazy+chance]}
# lazy+slices: the same, once a closer past the slice on more than 5 % of its steps is sliced
# first (commit 900e44e; read from the library suite's vcons_inj_1)
FLAGS[lazy+slices]=${FLAGS[lazy+chance]}
for row in ${ROWS:-node lazy lazy+families lazy+chance lazy+tails lazy+slices}; do
  # shellcheck disable=SC2086
  $Q collect "${EVAL[@]}" ${FLAGS[$row]} --out "$RUN/eval/$row"
done
$PY evals/recheck.py "$RUN"/eval/*
$PY evals/lazy_table.py "$RUN"
