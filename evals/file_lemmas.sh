#!/usr/bin/env bash
# Do the file's own lemmas pay as automation candidates, and does ranking them per state pay?
# One budget (16 expansions, 20 s, 5 s per tactic, 2 workers, the bundled model), rows of one run
# on theorems of the standard library's *valid* split (files never trained on and never read for
# a figure before; each theorem in its file's context, as `qstar prove` gives it):
#   off     no file lemmas (what `bench` gave before)
#   recent  the 8 most recent lemmas above the theorem: apply, rewrite, eapply (what `prove` gave)
#   ranked  per state, the 5 whose statements share the goal's rarer symbols, then the most
#           recent, 8 in all; rewrite / rewrite <- only for equations and iffs (the default)
# Every proof is rechecked at the end. About 30 minutes on 2 CPU cores with LIMIT=60.
# Usage: bash evals/file_lemmas.sh [RUN_DIR]; prints the table (RUN_DIR/table.md).
RUN=${1:-runs/file_lemmas}
NO_STDLIB=1 source "$(dirname "$0")/common.sh"
LIMIT=${LIMIT:-60}
[ -f "$RUN/coq-stdlib.jsonl" ] || $Q stdlib-suite --out "$RUN/coq-stdlib.jsonl"
for mode in off recent ranked; do
  $Q bench "$RUN/coq-stdlib.jsonl" --split valid --limit "$LIMIT" --spread --workers 2 --resume \
    "${BUDGET[@]}" --file-lemmas "$mode" --out "$RUN/$mode"
done
$PY evals/recheck.py "$RUN/off" "$RUN/recent" "$RUN/ranked"
$PY evals/file_lemmas_table.py "$RUN"
