#!/usr/bin/env bash
# Run WRPO (or one of the WRPO table's preference rows) for one recipe on a GPU node: source sampling and scoring ->
# y_ws and the 1/3 SFT split -> Target-SFT -> the SFT model's own samples -> triples -> preference stage ->
# eval.models answer AlpacaEval-2, Arena-Hard and MT-Bench and the judge scores them (docs/judges.md) -> table.
#   bash recipes/run_wrpo.sh recipes/wrpo_llama3_8b.yaml [key=value ...]
# Environments as recipes/run_target.sh: GEN_PY (vLLM env) samples and scores; TRAIN_PY and ACCELERATE train.
# Stages already done are skipped, so the script resumes.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
RECIPE="$1"; shift
GEN_PY="${GEN_PY:-python}"
TRAIN_PY="${TRAIN_PY:-python}"
ACCELERATE="${ACCELERATE:-accelerate}"
NUM_GPUS="${NUM_GPUS:-8}"
"$GEN_PY" -m fusechat.pipeline --recipe "$RECIPE" "$@" --until wrpo_split
"$TRAIN_PY" training/01_sft.py --recipe "$RECIPE" "$@"
"$GEN_PY" data_construction/08_wrpo_target.py --recipe "$RECIPE" "$@"
"$GEN_PY" data_construction/09_wrpo_build.py --recipe "$RECIPE" "$@"
"$ACCELERATE" launch --config_file training/configs/accelerate_zero3.yaml --num_processes "$NUM_GPUS" \
  training/02_dpo.py --recipe "$RECIPE" "$@"
"$GEN_PY" -m fusechat.pipeline --recipe "$RECIPE" "$@" --from eval_generate
