#!/usr/bin/env bash
# FuseChat-3.0 with the llama31_8b target on one 8-GPU node (see recipes/run_target.sh for environments).
exec bash "$(dirname "${BASH_SOURCE[0]}")/run_target.sh" "$(dirname "${BASH_SOURCE[0]}")/llama31_8b.yaml" "$@"
