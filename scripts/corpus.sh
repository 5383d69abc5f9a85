#!/usr/bin/env bash
# Trace qstar's training corpus: the Coq standard library and the Coq libraries Debian ships
# with their sources, replayed in the kernel into (goals, tactic, next goals, globals) steps.
# Resumable: run it again after a stop and it goes on from the first file not finished.
#
#   bash scripts/corpus.sh                    # every library below, into corpus/steps.jsonl
#   LIBS="Coquelicot stdpp" bash scripts/corpus.sh
#   SPLIT=test OUT=corpus/test.jsonl bash scripts/corpus.sh   # only the held-out files (the library
#                                                             # suite's theorems: evals/library_suite.py)
#
# Installs each chosen library's Debian package when its folder is missing (as root or by sudo).
# The per-file cap (FILE_TIMEOUT seconds) bounds a slow file; OUT.done.jsonl says per file how
# many lemmas were traced, failed to replay or were left by the cap, and the seconds it took.
# Files are split train / valid / test by a hash of their name (coq_env/stdlib.py split_of).
set -euo pipefail
cd "$(dirname "$0")/.."

OUT=${OUT:-corpus/steps.jsonl}
LIBS=${LIBS:-"stdlib Coquelicot Flocq Coqprime Bignums MathClasses stdpp AAC_tactics mathcomp CoRN"}
FILE_TIMEOUT=${FILE_TIMEOUT:-300}
TACTIC_TIMEOUT=${TACTIC_TIMEOUT:-10}
SPLIT=${SPLIT:-}

declare -A PKG=([Coquelicot]=libcoq-coquelicot [Flocq]=libcoq-flocq [Coqprime]=libcoq-coqprime
  [Bignums]=libcoq-bignums [MathClasses]=libcoq-math-classes [stdpp]=libcoq-stdpp
  [AAC_tactics]=libcoq-aac-tactics [mathcomp]="libcoq-mathcomp-ssreflect libcoq-mathcomp-algebra"
  [CoRN]=libcoq-corn)

as_root() { if [ "$(id -u)" -eq 0 ]; then "$@"; else sudo "$@"; fi; }

[ -x .venv/bin/qstar ] || bash scripts/setup.sh
CONTRIB="$(coqc -where)/user-contrib"
sources=()
missing=()
for lib in $LIBS; do
  if [ "$lib" = stdlib ]; then sources+=(stdlib); continue; fi
  [ -n "${PKG[$lib]:-}" ] || { echo "corpus: unknown library $lib (known: ${!PKG[*]})" >&2; exit 2; }
  [ -d "$CONTRIB/$lib" ] || missing+=(${PKG[$lib]})
  sources+=("lib:$lib")
done
if [ ${#missing[@]} -gt 0 ]; then
  echo "corpus: installing ${missing[*]}" >&2
  as_root apt-get update -qq
  DEBIAN_FRONTEND=noninteractive as_root apt-get install -y -qq "${missing[@]}" >/dev/null
fi
mkdir -p "$(dirname "$OUT")"
exec .venv/bin/qstar trace "${sources[@]}" --out "$OUT" --file-timeout "$FILE_TIMEOUT" \
  --tactic-timeout "$TACTIC_TIMEOUT" ${SPLIT:+--split "$SPLIT"}
