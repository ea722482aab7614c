#!/usr/bin/env bash
# Create (or reuse) the CPU environment .venv/ at the repository root.
# The environment is rebuilt only when requirements/cpu.txt (or this script) changes:
# a stamp file in .venv records the hash of both.
# Post-install fixes (README, "Deviations from the authors' stack"):
#   1. PyPI torchvision is a CUDA build that breaks `import transformers` next to CPU torch -> uninstall it.
#   2. PyPI torchaudio links CUDA libraries; LLaMA-Factory imports it at module level -> strip its .so files.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
VENV="$ROOT/.venv"
REQ="$ROOT/requirements/cpu.txt"
PY="${PYTHON:-python3.11}"
command -v "$PY" >/dev/null 2>&1 || PY=python3
want="$(cat "$REQ" "$ROOT/tools/setup_env.sh" "$ROOT/pyproject.toml" | sha256sum | cut -d' ' -f1)"
stamp="$VENV/.fusechat-env-stamp"
if [[ -x "$VENV/bin/python" && -f "$stamp" && "$(cat "$stamp")" == "$want" ]]; then
  echo "[setup] reusing $VENV (requirements unchanged)" >&2
  exit 0
fi
echo "[setup] creating $VENV from requirements/cpu.txt (about 5 minutes on a fresh machine)" >&2
start=$(date +%s)
[[ -x "$VENV/bin/python" ]] || "$PY" -m venv "$VENV"
"$VENV/bin/pip" install -q --disable-pip-version-check -r "$REQ"
"$VENV/bin/pip" uninstall -q -y torchvision >/dev/null 2>&1 || true
purelib="$("$VENV/bin/python" -c 'import sysconfig; print(sysconfig.get_paths()["purelib"])')"
rm -f "$purelib"/torchaudio/lib/*.so
"$VENV/bin/pip" install -q --disable-pip-version-check --no-deps -e "$ROOT"
"$VENV/bin/python" -c 'import transformers, trl, llamafactory, math_verify' >/dev/null
echo "$want" > "$stamp"
echo "[setup] environment ready in $(( $(date +%s) - start )) s" >&2
