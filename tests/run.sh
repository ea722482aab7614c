#!/usr/bin/env bash
# The test command named in the README: sets up .venv when needed, then runs the suite offline and prints the
# slowest 15 tests at the end.
#   bash tests/run.sh            the whole suite (what CI runs)
#   bash tests/run.sh --fast     the contributors' fast tier: no pipeline runs, no model engines
#                                (= -m "not slow and not integration"; the marker is set in tests/conftest.py)
#   bash tests/run.sh ARGS...    any other pytest arguments (e.g. a file, -k, -x)
# Two pytest-xdist workers by default (--dist loadgroup: each test file on one worker; --no-loadscope-reorder: the
# files start in the order tests/conftest.py gives them, the longest first); FUSECHAT_TEST_WORKERS=0 runs in one
# process (e.g. for pdb), any other number sets the count.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
bash "$ROOT/tools/setup_env.sh"
export HF_HUB_OFFLINE=1 HF_DATASETS_OFFLINE=1 TRANSFORMERS_OFFLINE=1 TOKENIZERS_PARALLELISM=false
cd "$ROOT"
"$ROOT/.venv/bin/python" -m ruff check .
# The repository's own bytecode, once: with PYTHONDONTWRITEBYTECODE set (as on CI) every stage and test subprocess
# would compile these sources again (the packages' bytecode comes with the environment: tools/setup_env.sh).
"$ROOT/.venv/bin/python" -m compileall -q -j 0 data_construction evaluation fusechat training tools >/dev/null
"$ROOT/.venv/bin/lint-imports" --no-cache  # the layers contract in pyproject.toml (docs/architecture.md)
args=()
for a in "$@"; do
  if [[ "$a" == "--fast" ]]; then args+=(-m "not slow and not integration"); else args+=("$a"); fi
done
exec "$ROOT/.venv/bin/python" -m pytest -n "${FUSECHAT_TEST_WORKERS:-2}" --dist loadgroup --no-loadscope-reorder --durations=15 -rs "${args[@]}"
