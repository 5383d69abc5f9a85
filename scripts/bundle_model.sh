#!/usr/bin/env bash
# Copy a trained qstar checkpoint into agent/default_model (the model `qstar prove` uses for Coq
# files when no --model is given): weights, tokenizer, qstar.json, the value head, the retrieval
# database and the template policy.
set -euo pipefail
cd "$(dirname "$0")/.."
SRC=${1:?usage: scripts/bundle_model.sh MODEL_DIR}
DST=agent/default_model
mkdir -p "$DST"
for f in config.json generation_config.json model.safetensors tokenizer_config.json \
         added_tokens.json special_tokens_map.json qstar.json value_head.safetensors value_head.json knn.jsonl.gz \
         template_model.safetensors template_model.json; do
  [ -f "$SRC/$f" ] && cp "$SRC/$f" "$DST/$f"
done
chmod 644 "$DST"/*
du -sh "$DST"
