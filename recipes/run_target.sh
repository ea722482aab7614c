#!/usr/bin/env bash
# Run the whole paper for one target recipe on a GPU node: data build -> SFT -> DPO -> evaluation -> table.
#   bash recipes/run_target.sh recipes/llama31_8b.yaml [key=value ...]
# Environments (README "GPU run"): GEN_PY runs sampling/scoring/eval generation (vLLM env, requirements/gpu-gen.txt);
# TRAIN_PY and ACCELERATE run training (environment.yml). Stages already done are skipped, so the script resumes.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
RECIPE="$1"; shift
GEN_PY="${GEN_PY:-python}"
TRAIN_PY="${TRAIN_PY:-python}"
ACCELERATE="${ACCELERATE:-accelerate}"
NUM_GPUS="${NUM_GPUS:-8}"
# The last data stage before SFT: export (a rebuild) or release_data (depth 2: the released data; run_depth2.sh).
DATA_UNTIL="${DATA_UNTIL:-export}"
# Preflight first: GPUs, disk, hub access, both environments; one line per check, stop on a blocker
# (PREFLIGHT=skip bypasses it). The cost plan: python -m fusechat.plan --recipe "$RECIPE".
if [[ "${PREFLIGHT:-run}" != "skip" ]]; then
  GEN_PY="$GEN_PY" TRAIN_PY="$TRAIN_PY" "$GEN_PY" -m fusechat.preflight --recipe "$RECIPE" "$@" || {
    echo "preflight found a blocker (lines marked BLOCK above); fix it, or PREFLIGHT=skip to run anyway" >&2
    exit 1
  }
fi
"$GEN_PY" -m fusechat.pipeline --recipe "$RECIPE" "$@" --until "$DATA_UNTIL"
"$TRAIN_PY" training/01_sft.py --recipe "$RECIPE" "$@"
"$ACCELERATE" launch --config_file training/configs/accelerate_zero3.yaml --num_processes "$NUM_GPUS" \
  training/02_dpo.py --recipe "$RECIPE" "$@"
"$GEN_PY" -m fusechat.pipeline --recipe "$RECIPE" "$@" --from eval_generate
