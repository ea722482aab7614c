#!/usr/bin/env bash
# WRPO on the embedded tiny default, on CPU: prompts -> source samples -> ArmoRM stand-in -> y_ws and the 1/3 SFT
# split -> SFT -> the SFT model's own samples -> (y_ws, y_wt, y_l) -> WRPO -> the WRPO results table.
#   bash recipes/smoke_wrpo.sh [key=value ...]      (e.g. dpo.loss=dpo to train the Target-SFT-DPO row instead)
# Ends with the path of its results table.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
bash tools/setup_env.sh
export HF_HUB_OFFLINE=1 HF_DATASETS_OFFLINE=1 TRANSFORMERS_OFFLINE=1 TOKENIZERS_PARALLELISM=false
export PYTHONWARNINGS=ignore
exec .venv/bin/python -m fusechat.pipeline --recipe recipes/smoke_wrpo.yaml "$@"
