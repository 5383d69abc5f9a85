#!/usr/bin/env bash
# Issue 47's done-when: `qstar prove` with no flags at all proves the open theorem of a small project
# in each layout (-R Lib Lib, -R theories X, -Q src X with -arg, -R . X, dune), from the project's
# root and from the file's folder, and the written file compiles inside the project. The projects
# are built in temporary folders by tests/test_layouts.py; this runs those tests with no prove flags.
# Usage: bash evals/layouts.sh   (prints pytest's line per layout; exit 0 when all pass)
set -euo pipefail
cd "$(dirname "$0")/.."
QSTAR_LAYOUT_FLAGS="" .venv/bin/python -m pytest -v -p no:cacheprovider tests/test_layouts.py \
  -k "layout or dune" 2>&1 | grep -E "PASSED|FAILED|SKIPPED|ERROR|passed|failed"
