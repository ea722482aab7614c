#!/usr/bin/env bash
# FuseChat-3.0 with the gemma2_9b target on one 8-GPU node (see recipes/run_target.sh for environments).
exec bash "$(dirname "${BASH_SOURCE[0]}")/run_target.sh" "$(dirname "${BASH_SOURCE[0]}")/gemma2_9b.yaml" "$@"
