#!/usr/bin/env bash
# Copy a trained qstar model folder into agent/default_model (the model `qstar prove` uses for
# Coq files when no --model is given): what it has of the retrieval database, the template
# policy, Q(s, a) and V(s) over goal features (a `qstar iterate` round's model), the step generator,
# its manifest (what trained each part), and a network
# (weights, tokenizer, qstar.json, value head). The earlier bundled model (a byte LM) is kept in
# agent/default_model/v1 (`--model default-lm`).
set -euo pipefail
cd "$(dirname "$0")/.."
SRC=${1:?usage: scripts/bundle_model.sh MODEL_DIR}
DST=agent/default_model
mkdir -p "$DST"
for f in config.json generation_config.json model.safetensors tokenizer_config.json \
         added_tokens.json special_tokens_map.json qstar.json value_head.safetensors value_head.json knn.jsonl.gz \
         template_model.safetensors template_model.json q_model.npy q_model.json state_value.npy \
         state_value.json qv_metrics.json; do
  [ -f "$SRC/$f" ] && cp "$SRC/$f" "$DST/$f"
done
# the step generator, when the model has one (a folder: replaced whole)
if [ -f "$SRC/generator/generator.json" ]; then
  rm -rf "$DST/generator" && cp -r "$SRC/generator" "$DST/generator"
fi
# the manifest names every part, its size and what trained it (qstar model shows it): each part
# copied from MODEL_DIR takes MODEL_DIR's entry ("unknown" where MODEL_DIR's manifest has none, never
# the replaced part's old entry); the parts not replaced keep theirs
.venv/bin/python -c "import sys; from agent.model_folder import describe, write_manifest
src = describe(sys.argv[1])['parts']
write_manifest(sys.argv[2], {k: v['trained_by'] for k, v in src.items()})" "$SRC" "$DST"
chmod 644 "$DST"/*.*
du -sh "$DST"
