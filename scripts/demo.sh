#!/usr/bin/env bash
# The README's first command: set up, prove the bundled example, check the result soundly.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
mkdir -p runs/demo
.venv/bin/qstar prove examples/arith.v --output runs/demo/arith_proved.v --report runs/demo/report.json
.venv/bin/qstar check runs/demo/arith_proved.v --reference examples/arith.v
