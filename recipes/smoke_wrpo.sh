#!/usr/bin/env bash
# WRPO on the embedded tiny default, on CPU: prompts -> source samples -> ArmoRM stand-in -> y_ws and the 1/3 SFT
# split -> SFT -> the SFT model's own samples -> (y_ws, y_wt, y_l) -> WRPO -> Target-SFT and Target-SFT-WRPO answer
# AlpacaEval-2, Arena-Hard and MT-Bench (4 synthetic items each), judged by the local tiny judge -> the WRPO table.
#   bash recipes/smoke_wrpo.sh [key=value ...]      (e.g. dpo.loss=dpo to train the Target-SFT-DPO row instead)
# Same set-up and environment as recipes/smoke.sh (which it runs with the WRPO recipe); ends with the path of its
# results table.
set -euo pipefail
RECIPE=recipes/smoke_wrpo.yaml exec bash "$(dirname "${BASH_SOURCE[0]}")/smoke.sh" "$@"
