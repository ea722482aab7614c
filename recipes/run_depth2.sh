#!/usr/bin/env bash
# Depth 2 (README "Three ways to check the paper"): SFT then the paper's preference loss on the authors' released
# data, then the evaluation and the table, on one 8-GPU node. WRPO's depth 2 runs with recipes/run_wrpo.sh.
#   bash recipes/run_depth2.sh recipes/depth2/llama31_8b.yaml [key=value ...]
# Environments as recipes/run_target.sh: GEN_PY (vLLM env), TRAIN_PY and ACCELERATE (environment.yml).
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
RECIPE="$1"; shift
GEN_PY="${GEN_PY:-python}"
TRAIN_PY="${TRAIN_PY:-python}"
ACCELERATE="${ACCELERATE:-accelerate}"
NUM_GPUS="${NUM_GPUS:-8}"
if [[ "${PREFLIGHT:-run}" != "skip" ]]; then
  GEN_PY="$GEN_PY" TRAIN_PY="$TRAIN_PY" "$GEN_PY" -m fusechat.preflight --recipe "$RECIPE" "$@" || {
    echo "preflight found a blocker (lines marked BLOCK above); fix it, or PREFLIGHT=skip to run anyway" >&2
    exit 1
  }
fi
"$GEN_PY" -m fusechat.pipeline --recipe "$RECIPE" "$@" --until release_data
"$TRAIN_PY" training/01_sft.py --recipe "$RECIPE" "$@"
"$ACCELERATE" launch --config_file training/configs/accelerate_zero3.yaml --num_processes "$NUM_GPUS" \
  training/02_dpo.py --recipe "$RECIPE" "$@"
"$GEN_PY" -m fusechat.pipeline --recipe "$RECIPE" "$@" --from eval_generate
