#!/usr/bin/env bash
# Expert iteration on competition statements with the CPU learner (qstar iterate --learner
# features): the pool is miniF2F-rocq valid's *iterate* half (a fixed hash of the name) plus 150
# curriculum statements (`qstar synth`, seed 7, of the curriculum's 26 families; FAMILIES=15 gives
# the first curriculum's); the *eval* half is never searched in training.
# Each round searches the pool's statements no round has proved yet (proofs join the retrieval
# database at once), retrains Q(s, a), V(s) and the template policy on everything so far, and is
# evaluated on the eval half with A* (h = -log V, lambda 1). One budget for every search: 16
# expansions, 20 s, 5 s per tactic, 2 workers, the bench prelude with CoqHammer's sauto family.
# Round 0 starts from the bundled model's retrieval database and template policy (no network).
# About 1.5 hours on 2 CPU cores; every stage resumes.
# Usage: bash evals/iterate_competition.sh [RUN_DIR]; rounds.md, rounds.png in RUN_DIR/iterate
# (ROUNDS=1 stops after round 1; running it again with the default resumes for round 2).
# GENERATOR=models/generator adds the corpus-trained step generator to every search, retrained
# each round on the corpus plus every proof found so far (issue 37's three-round figure).
RUN=${1:-runs/iterate}
NO_STDLIB=1 source "$(dirname "$0")/common.sh"
[ -f "$RUN/synth/curriculum-suite.jsonl" ] || $Q synth --out "$RUN/synth" --proved 0 --open 150 --seed 7 --families "${FAMILIES:-26}"
$Q iterate --out "$RUN/iterate" --rounds "${ROUNDS:-2}" --init agent/default_model/v1 \
  --train-suite "$MINIF2F" --train-split valid --train-half iterate --curriculum "$RUN/synth/curriculum-suite.jsonl" \
  --eval-suite "$MINIF2F" --eval-half eval \
  --template-epochs 4 --proof-weight 10 --ordering astar --astar-lambda 1 --workers 2 "${BUDGET[@]}" \
  ${GENERATOR:+--generator "$GENERATOR"}
