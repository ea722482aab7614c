#!/usr/bin/env bash
# Depth 2 (README "Three ways to check the paper"): SFT then the paper's preference loss on the authors' released
# data, then the evaluation and the table, on one 8-GPU node. WRPO's depth 2 runs with recipes/run_wrpo.sh.
#   bash recipes/run_depth2.sh recipes/depth2/llama31_8b.yaml [key=value ...]
# The same launch lines as recipes/run_target.sh (environments GEN_PY, TRAIN_PY, ACCELERATE; preflight first), with
# the released data (stage release_data) in place of the data build.
set -euo pipefail
DATA_UNTIL=release_data exec bash "$(dirname "${BASH_SOURCE[0]}")/run_target.sh" "$@"
