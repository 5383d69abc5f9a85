#!/usr/bin/env bash
# Issues 45 and 46 on the held-out library-files suite (evals/library_suite.py: at most 2
# theorems of each test-split file of Debian's Coq libraries the tracer replays, each with its
# file above it as context, read in its library's logical path; never trained on): node
# expansion against lazy expansion (agent/search/lazy.py), then lazy with the human proofs above
# each theorem proposed as their own source (--project-index on: agent/project/). The bundled
# model, every other flag at its default, the README's budget (16 expansions, 20 s, 5 s per
# tactic), 2 workers; `qstar collect` keeps the trees (where the seconds go, how deep searches
# get). Rows run one after the other; finished rows are kept (--resume). Every proof is rechecked.
# Needs the test split of the corpus: traced here when missing (about a minute, 33 files).
# Usage: bash evals/library_rows.sh [RUN_DIR]; python evals/lazy_table.py RUN_DIR --suite library
RUN=${1:-runs/library}
NO_STDLIB=1 source "$(dirname "$0")/common.sh"
CORPUS=${CORPUS:-corpus/test.jsonl}
[ -f "$CORPUS.done.jsonl" ] || SPLIT=test OUT="$CORPUS" \
  LIBS="Coquelicot Flocq Coqprime Bignums MathClasses stdpp AAC_tactics mathcomp" bash scripts/corpus.sh
[ -f "$RUN/suite.jsonl" ] || $PY evals/library_suite.py --corpus "$CORPUS" --per-file 2 --out "$RUN/suite.jsonl"
declare -A FLAGS=([node]="--expand node --project-index off"
                  [lazy]="--expand lazy --project-index off"
                  [lazy+project]="--expand lazy --project-index on")
# rows were run at different commits (docs/results.md says which): lazy+project's source was
# changed after its row (scores by similarity, locals named by place) and ran again as
# lazy+project-sim, the same flags
FLAGS[lazy+project-sim]=${FLAGS[lazy+project]}
# and lazy+tails: the same flags once a requeued node's priority counts its next candidate's cost
# per chance (commit 39cf428, agent/search/lazy.py)
FLAGS[lazy+tails]=${FLAGS[lazy+project]}
# and lazy+slices: the same flags once a closer that runs past the slice on more than 5 % of its
# steps gets the slice first (commit 900e44e)
FLAGS[lazy+slices]=${FLAGS[lazy+project]}
# and lazy+gen: those flags with the step generator trained on the corpus's train split (`bash
# scripts/corpus.sh`, then `qstar train generator corpus/steps.jsonl --out models/generator`),
# which learns the project index's steps before each search (agent/search/learners.py): issue 45's
# item 5, whether the generator wins once it has the project (ROWS=lazy+gen; not a default row)
FLAGS[lazy+gen]="${FLAGS[lazy+project]} --generator ${GENERATOR:-models/generator}"
# and the project source's ranker (agent/project/rank.py, the bundled model's project_rank.json):
# lazy+ranked with it, lazy+by-sim the same source ranked by similarity as before it (run side by
# side in one session; ROWS="lazy+by-sim lazy+ranked")
FLAGS[lazy+ranked]=${FLAGS[lazy+project]}
FLAGS[lazy+by-sim]="${FLAGS[lazy+project]} --project-rank none"
for row in ${ROWS:-node lazy lazy+project-sim lazy+tails lazy+slices}; do
  # shellcheck disable=SC2086
  $Q collect "$RUN/suite.jsonl" --workers 2 --resume "${BUDGET[@]}" ${FLAGS[$row]} --out "$RUN/library/$row"
done
# At prove's defaults (64 expansions, 60 s, 5 s per tactic), on the 22 theorems of the suite that
# have proofs above them in their file (where the project index has anything to give): lazy with
# the index off and on (DEFAULTS=1; about 25 minutes).
if [ -n "${DEFAULTS:-}" ]; then
  $PY - "$RUN" <<'PYEOF'
import json, sys
run = sys.argv[1]
ids = {r["id"] for r in map(json.loads, open(f"{run}/library/lazy+slices/records.jsonl")) if r.get("project_steps")}
with open(f"{run}/with-proofs-above.jsonl", "w") as out:
    out.writelines(line for line in open(f"{run}/suite.jsonl") if json.loads(line)["id"] in ids)
PYEOF
  # project-on ran before the ranker (agent/project/rank.py); project-by-sim and project-ranked
  # are the source ranked by similarity and by the ranker, side by side in one session
  # (DEFAULT_ROWS="project-by-sim project-ranked")
  declare -A DFLAGS=([project-off]="--project-index off" [project-on]="--project-index on"
                     [project-by-sim]="--project-index on --project-rank none" [project-ranked]="--project-index on")
  for row in ${DEFAULT_ROWS:-project-off project-on}; do
    # shellcheck disable=SC2086
    $Q collect "$RUN/with-proofs-above.jsonl" --workers 2 --resume ${DFLAGS[$row]} --out "$RUN/defaults/$row"
  done
  $PY evals/recheck.py "$RUN"/defaults/*
  # shellcheck disable=SC2086
  $PY evals/lazy_table.py "$RUN" --suite defaults ${DEFAULT_ROWS:-project-off project-on}
fi
$PY evals/recheck.py "$RUN"/library/*
$PY evals/lazy_table.py "$RUN" --suite library node lazy lazy+project lazy+project-sim lazy+tails lazy+slices lazy+gen lazy+by-sim lazy+ranked
