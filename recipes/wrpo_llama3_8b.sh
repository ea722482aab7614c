#!/usr/bin/env bash
# WRPO with the Meta-Llama-3-8B-Instruct target on one 8-GPU node (see recipes/run_wrpo.sh for environments);
# preflight runs first (run_wrpo.sh) and stops on a blocker.
# The WRPO table's other preference rows: recipes/wrpo_llama3_8b_target_{sft_dpo,dpo,ipo,simpo}.yaml, same script.
exec bash "$(dirname "${BASH_SOURCE[0]}")/run_wrpo.sh" "$(dirname "${BASH_SOURCE[0]}")/wrpo_llama3_8b.yaml" "$@"
