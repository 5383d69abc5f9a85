#!/usr/bin/env bash
# Set up qstar on Debian, idempotently: Coq 8.16 (+ Coquelicot, Coq.Interval, CoqHammer with the
# E and CVC4 provers it calls, and the CSDP solver psatz calls) from apt when missing, then a
# virtual environment .venv with torch (the CPU wheel 2.13.0 where one is on disk) and qstar.
# (No z3: CoqHammer calls a z3_tptp binary Debian's z3 lacks.) dune: for the dune-project layout tests.
set -euo pipefail
cd "$(dirname "$0")/.."

as_root() { if [ "$(id -u)" -eq 0 ]; then "$@"; else sudo "$@"; fi; }

if ! { command -v coqidetop.opt || command -v coqidetop; } >/dev/null 2>&1 \
   || ! command -v eprover >/dev/null 2>&1 || ! command -v cvc4 >/dev/null 2>&1 \
   || ! command -v csdp >/dev/null 2>&1 || ! command -v dune >/dev/null 2>&1 \
   || ! dpkg -s libcoq-hammer libcoq-interval >/dev/null 2>&1; then
  echo "setup: installing Coq, Coquelicot, Coq.Interval, CoqHammer (with E and CVC4), CSDP and dune from Debian" >&2
  as_root apt-get update -qq
  DEBIAN_FRONTEND=noninteractive as_root apt-get install -y -qq coq libcoq-coquelicot libcoq-interval \
    libcoq-hammer eprover cvc4 coinor-csdp dune >/dev/null
fi

PY=${PYTHON:-python3}
if [ ! -x .venv/bin/python ]; then
  "$PY" -m venv .venv
fi
VPY=.venv/bin/python
if ! "$VPY" -c "import torch" >/dev/null 2>&1; then
  echo "setup: installing torch" >&2
  "$VPY" -m pip install -q "torch==2.13.0"
fi
if ! "$VPY" -c "import agent, transformers, pytest" >/dev/null 2>&1 \
   || [ pyproject.toml -nt .venv/.qstar-installed ]; then
  echo "setup: installing qstar" >&2
  "$VPY" -m pip install -q -e ".[dev]"
  touch .venv/.qstar-installed
fi
