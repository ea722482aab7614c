#!/usr/bin/env bash
# The main job on the embedded tiny default: the whole FuseChat-3.0 method on the tiny world, on CPU.
#   bash recipes/smoke.sh [key=value ...]      (overrides apply to every stage)
# Sets up .venv when needed, runs every stage (a stage that is up to date is skipped), prints per-stage times and
# ends with the path of the results table.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
bash tools/setup_env.sh
export HF_HUB_OFFLINE=1 HF_DATASETS_OFFLINE=1 TRANSFORMERS_OFFLINE=1 TOKENIZERS_PARALLELISM=false
export PYTHONWARNINGS=ignore
RECIPE="${RECIPE:-recipes/smoke.yaml}"
exec .venv/bin/python -m fusechat.pipeline --recipe "$RECIPE" "$@"
