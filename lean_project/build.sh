#!/usr/bin/env bash
# Build qstar's Lean project where elan and the network exist: fetch Mathlib's prebuilt cache
# and build the REPL. Afterwards `lake exe repl` (the backend's default command) runs here.
set -euo pipefail
cd "$(dirname "$0")"
if ! command -v lake >/dev/null 2>&1; then
  echo "build.sh: lake not found; install elan first (it installs the toolchain named in lean-toolchain)" >&2
  exit 1
fi
lake update
lake exe cache get
lake build REPL QstarLean
echo 'build.sh: ok; try: echo '"'"'{"cmd": "example : 1 + 1 = 2 := by decide"}'"'"' | lake exe repl'
