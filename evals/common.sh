# Shared by the benchmark scripts (sourced): the repository root, the tools, the suites and the
# README's fixed budget (16 expansions, 20 s, 5 s per tactic); RUN must be set first (and
# NO_STDLIB=1 for a script that does not need the stdlib suite).
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
Q=.venv/bin/qstar
PY=.venv/bin/python
MINIF2F=${MINIF2F:-../shared/data/minif2f-rocq-valid.jsonl}
BUDGET=(--budget 16 --timeout 20 --tactic-timeout 5)
mkdir -p "$RUN"
[ -n "${NO_STDLIB:-}" ] || [ -f "$RUN/coq-stdlib.jsonl" ] || $Q stdlib-suite --out "$RUN/coq-stdlib.jsonl"
