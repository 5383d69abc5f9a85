#!/usr/bin/env bash
# Does the step generator pay in search? One budget (16 expansions, 20 s, 5 s per tactic, 2 workers,
# the bundled model: retrieval, templates, goal arguments, Q, decision procedures, automation),
# every row of one run:
#   nogen        the bundled model without the generator (--generator none)
#   gen          + the generator trained on the corpus's train files (models/generator), offline:
#                fixed during the run
#   gen+online   + every proof checked in the run joins the generator's index and retrieval at once
#                (--online on), so a later theorem can point to a lemma an earlier one used
#   gen-stdlib   the generator trained on the standard library's train files only (premises: the
#                whole corpus, the environment a user has installed), offline
#   gen+file     gen+online with models/generator-file. Since 3c4dbf8 every row that has the
#                generator gets the lemmas above the theorem in its file as premises (the worker
#                always passes the context), and both folders are trained by the same command: this
#                row and gen+online now run the same configuration, so the script can no longer
#                measure the same-file premises alone (the first run's rows predate the change and
#                did: docs/results.md). The row is kept so the table's columns stay comparable.
# Suites: the held-out library-files suite (evals/library_suite.py: theorems of the corpus's test
# files of Debian's Coq libraries, each in its file's context) and, for nogen and gen+online, the
# eval half of miniF2F-rocq valid. Needs the corpus (bash scripts/corpus.sh) and the generator
# (qstar train generator corpus/steps.jsonl). Finished rows are kept (--resume): rerunning the
# script goes on where it stopped. About 1.5 hours on 2 CPU cores; every proof is rechecked at the end.
# Usage: bash evals/generator_ablation.sh [RUN_DIR]; python evals/generator_table.py RUN_DIR prints
# the table again.
RUN=${1:-runs/generator_ablation}
NO_STDLIB=1 source "$(dirname "$0")/common.sh"
CORPUS=${CORPUS:-corpus/steps.jsonl}
GEN=${GEN:-models/generator}
PER_FILE=${PER_FILE:-2}
[ -f "$CORPUS" ] || { echo "generator_ablation: no corpus at $CORPUS (bash scripts/corpus.sh traces it)" >&2; exit 2; }
[ -f "$GEN/generator.json" ] || $Q train generator "$CORPUS" --out "$GEN"
[ -f "$RUN/library-suite.jsonl" ] || $PY evals/library_suite.py --corpus "$CORPUS" --per-file "$PER_FILE" \
  --out "$RUN/library-suite.jsonl"
COMMON=(--workers 2 --resume "${BUDGET[@]}")
LIB=("$RUN/library-suite.jsonl" "${COMMON[@]}")
EVAL=("$MINIF2F" --half eval "${COMMON[@]}")
$Q bench "${LIB[@]}" --generator none --out "$RUN/lib/nogen"
$Q bench "${LIB[@]}" --generator "$GEN" --online off --out "$RUN/lib/gen"
$Q bench "${LIB[@]}" --generator "$GEN" --online on --out "$RUN/lib/gen+online"
$Q bench "${EVAL[@]}" --generator none --out "$RUN/eval/nogen"
$Q bench "${EVAL[@]}" --generator "$GEN" --online on --out "$RUN/eval/gen+online"
[ -f "$RUN/gen-stdlib/generator.json" ] || $Q train generator "$CORPUS" --libraries Coq --out "$RUN/gen-stdlib"
$Q bench "${LIB[@]}" --generator "$RUN/gen-stdlib" --online off --out "$RUN/lib/gen-stdlib"
GEN_FILE=${GEN_FILE:-models/generator-file}
[ -f "$GEN_FILE/generator.json" ] || $Q train generator "$CORPUS" --out "$GEN_FILE"
$Q bench "${LIB[@]}" --generator "$GEN_FILE" --online on --out "$RUN/lib/gen+file"
$PY evals/recheck.py "$RUN"/lib/* "$RUN"/eval/*
$PY evals/generator_table.py "$RUN"
