#!/usr/bin/env bash
# The GPU check, one script that fits in about 8 minutes on one H100 or H200 with no network:
#   1. the CUDA paths' tests (tests/test_gpu.py: generation, value, SFT in bf16 on the GPU);
#   2. the LM policy at a GPU-sized config (GPT-2 shape, WIDTH x LAYERS, byte-level), trained
#      from scratch for SECONDS on the bundled model's 57.7k (state, tactic) rows (bf16 autocast,
#      batched);
#   3. a bench of it on LIMIT theorems of miniF2F-rocq valid's eval half (16 expansions, 20 s,
#      5 s per tactic), with the same retrieval database and template policy as the bundled CPU
#      model, which is the baseline in the same run (same machine, same budget).
# Figures: RUN/gpu_check.json and a table on stdout, with the device's name.
# On CPU (the tests), TINY=1 runs the same steps with a tiny config in seconds.
# Usage: bash evals/gpu_check.sh [RUN_DIR]
RUN=${1:-runs/gpu_check}
NO_STDLIB=1 source "$(dirname "$0")/common.sh"
if [ -n "${TINY:-}" ]; then
  WIDTH=${WIDTH:-32} LAYERS=${LAYERS:-1} SECONDS_=${SECONDS_:-5} LIMIT=${LIMIT:-2} BATCH=${BATCH:-8} ROWS=${ROWS:-300}
else
  WIDTH=${WIDTH:-512} LAYERS=${LAYERS:-8} SECONDS_=${SECONDS_:-180} LIMIT=${LIMIT:-24} BATCH=${BATCH:-128} ROWS=${ROWS:-0}
fi
$PY - <<PY | tee "$RUN/device.txt"
import torch
print(torch.cuda.get_device_name(0) if torch.cuda.is_available() else "cpu (no CUDA device)")
PY
[ -n "${TINY:-}" ] || $PY -m pytest -q tests/test_gpu.py
LM=$RUN/gpu_lm
if [ ! -f "$LM/qstar.json" ]; then
  $PY - "$ROWS" "$RUN/rows.jsonl" <<'PY'
import gzip, itertools, sys
limit, out = int(sys.argv[1]), sys.argv[2]
with gzip.open("agent/default_model/v1/knn.jsonl.gz", "rt", encoding="utf-8") as f, open(out, "w", encoding="utf-8") as o:
    o.writelines(itertools.islice(f, limit or None))
PY
  $Q train sft --data "$RUN/rows.jsonl" --out "$LM" --width "$WIDTH" --layers "$LAYERS" \
    --max-steps 1000000 --max-seconds "$SECONDS_" --batch-size "$BATCH" --lr 1e-3 > "$RUN/train.json"
  for f in knn.jsonl.gz template_model.json template_model.safetensors; do cp agent/default_model/v1/$f "$LM/$f"; done
fi
EVAL=("$MINIF2F" --half eval --limit "$LIMIT" --spread --workers 2 --resume "${BUDGET[@]}")
$Q bench "${EVAL[@]}" --model default-lm --out "$RUN/cpu_model"
$Q bench "${EVAL[@]}" --model "$LM" --out "$RUN/gpu_model"
$PY - "$RUN" <<'PY'
import json, os, sys
run = sys.argv[1]
out = {"device": open(os.path.join(run, "device.txt")).read().strip(),
       "train": json.loads(open(os.path.join(run, "train.json")).read().splitlines()[0])}
lines = [f"device: {out['device']}", "| model | proved / attempted | seconds (sum) | model s / expansion |", "| --- | --- | --- | --- |"]
for name in ("cpu_model", "gpu_model"):
    rows = [json.loads(l) for l in open(os.path.join(run, name, "results.jsonl"))]
    exp = sum(r["expansions"] for r in rows) or 1
    out[name] = {"proved": sum(r["status"] == "proved" for r in rows), "attempted": len(rows),
                 "seconds": round(sum(r["seconds"] for r in rows), 1),
                 "model_s_per_expansion": round(sum(r["model_seconds"] for r in rows) / exp, 4)}
    o = out[name]
    lines.append(f"| {name} | {o['proved']} / {o['attempted']} | {o['seconds']} | {o['model_s_per_expansion']} |")
json.dump(out, open(os.path.join(run, "gpu_check.json"), "w"), indent=2)
print("\n".join(lines))
print(f"trained {out['train'].get('steps')} steps in {out['train'].get('seconds')} s (bf16: {out['train'].get('bf16')})")
PY
