#!/usr/bin/env bash
# The test command named in the README: sets up .venv when needed, then runs the suite offline.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
bash "$ROOT/tools/setup_env.sh"
export HF_HUB_OFFLINE=1 HF_DATASETS_OFFLINE=1 TRANSFORMERS_OFFLINE=1 TOKENIZERS_PARALLELISM=false
cd "$ROOT"
"$ROOT/.venv/bin/python" -m ruff check .
exec "$ROOT/.venv/bin/python" -m pytest "$@"
