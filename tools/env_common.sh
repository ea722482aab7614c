# Shared by tools/setup_env.sh and tools/lock_envs.sh (sourced, not run).

# uv: the CPU environment's own (pinned in requirements/cpu.txt), else one on PATH.
find_uv() {
  if [[ -n "${UV:-}" && -x "${UV}" ]]; then echo "$UV"; return 0; fi
  if [[ -x "$ROOT/.venv/bin/uv" ]]; then echo "$ROOT/.venv/bin/uv"; return 0; fi
  command -v uv 2>/dev/null
}

# Where the CPU build of torch (torch-2.13.0+cpu) is found, one location per line:
# FUSECHAT_TORCH_FIND_LINKS if set (space separated); else the find-links folders pip is configured with on this
# machine (pip.conf, PIP_FIND_LINKS) that hold a torch wheel; else the PyTorch CPU index page.
torch_find_links() {
  if [[ -n "${FUSECHAT_TORCH_FIND_LINKS:-}" ]]; then
    tr ' ' '\n' <<< "$FUSECHAT_TORCH_FIND_LINKS" | sed '/^$/d'
    return 0
  fi
  local py found=0 d
  py="$(command -v python3.11 || command -v python3)"
  while read -r d; do
    d="${d#file://}"
    if [[ -d "$d" ]] && compgen -G "$d/torch-2.13.0+cpu-*.whl" >/dev/null; then echo "$d"; found=1; fi
  done < <( { "$py" -m pip config list 2>/dev/null | sed -n "s/^[^=]*find-links='\(.*\)'$/\1/p"; \
              echo "${PIP_FIND_LINKS:-}"; } | tr ' ' '\n' | sed '/^$/d' | sort -u)
  [[ $found == 1 ]] || echo "https://download.pytorch.org/whl/cpu/torch/"
}
