#!/usr/bin/env bash
# Depth 1 (README "Three ways to check the paper"): the released models of one paper table through this harness.
#   bash recipes/run_depth1.sh recipes/depth1/llama31_8b.yaml [key=value ...]
# GEN_PY runs evaluation generation and scoring (vLLM env, requirements/gpu-gen.txt); no training environment.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
RECIPE="$1"; shift
GEN_PY="${GEN_PY:-python}"
if [[ "${PREFLIGHT:-run}" != "skip" ]]; then
  GEN_PY="$GEN_PY" "$GEN_PY" -m fusechat.preflight --recipe "$RECIPE" "$@" || {
    echo "preflight found a blocker (lines marked BLOCK above); fix it, or PREFLIGHT=skip to run anyway" >&2
    exit 1
  }
fi
exec "$GEN_PY" -m fusechat.pipeline --recipe "$RECIPE" "$@"
