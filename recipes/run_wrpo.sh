#!/usr/bin/env bash
# Run WRPO (or one of the WRPO table's preference rows) for one recipe on a GPU node: source sampling and scoring ->
# y_ws and the 1/3 SFT split -> Target-SFT -> the SFT model's own samples -> triples -> preference stage ->
# eval.models answer AlpacaEval-2, Arena-Hard and MT-Bench and the judge scores them (docs/judges.md) -> table.
#   bash recipes/run_wrpo.sh recipes/wrpo_llama3_8b.yaml [key=value ...]
# Environments as recipes/run_target.sh: GEN_PY (vLLM env) samples and scores; TRAIN_PY and ACCELERATE train.
# Preflight runs first; stages already done are skipped, so the script resumes.
# The authors' released source responses instead of sampling: add wrpo.source_responses=release.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
RECIPE="$1"; shift
GEN_PY="${GEN_PY:-python}"
TRAIN_PY="${TRAIN_PY:-python}"
ACCELERATE="${ACCELERATE:-accelerate}"
NUM_GPUS="${NUM_GPUS:-8}"
# Preflight first, as recipes/run_target.sh: GPUs, disk, hub access (the release dataset too with
# wrpo.source_responses=release), both environments; one line per check, stop on a blocker (PREFLIGHT=skip bypasses it).
if [[ "${PREFLIGHT:-run}" != "skip" ]]; then
  GEN_PY="$GEN_PY" TRAIN_PY="$TRAIN_PY" "$GEN_PY" -m fusechat.preflight --recipe "$RECIPE" "$@" || {
    echo "preflight found a blocker (lines marked BLOCK above); fix it, or PREFLIGHT=skip to run anyway" >&2
    exit 1
  }
fi
"$GEN_PY" -m fusechat.pipeline --recipe "$RECIPE" "$@" --until wrpo_split
"$TRAIN_PY" training/01_sft.py --recipe "$RECIPE" "$@"
"$GEN_PY" data_construction/08_wrpo_target.py --recipe "$RECIPE" "$@"
"$GEN_PY" data_construction/09_wrpo_build.py --recipe "$RECIPE" "$@"
"$ACCELERATE" launch --config_file training/configs/accelerate_zero3.yaml --num_processes "$NUM_GPUS" \
  training/02_dpo.py --recipe "$RECIPE" "$@"
"$GEN_PY" -m fusechat.pipeline --recipe "$RECIPE" "$@" --from eval_generate
