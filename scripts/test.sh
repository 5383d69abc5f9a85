#!/usr/bin/env bash
# The README's second command: set up, then run the whole test suite.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
# Two test processes (pytest-xdist): the suite waits on provers and subprocesses as much as it
# computes; Ray's tests share one cluster in one process (their xdist_group).
exec .venv/bin/python -m pytest -q -rs -n "${TEST_WORKERS:-2}" --dist loadgroup "$@"
