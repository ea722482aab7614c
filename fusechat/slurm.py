"""SLURM job scripts for every GPU stage of a recipe, and one ``sbatch`` chain for a whole target.

``python -m fusechat.slurm --recipe R.yaml [key=value …] [--out DIR]`` writes into DIR (default
``<run.dir>/slurm``):

- ``sample_<model>.sbatch``: a job array per source model (``cluster.sampling_shards`` tasks), each task one node
  with ``tensor_parallel_size`` GPUs running ``02_sample_responses.py --model <name> --shard i/N`` (vLLM);
- ``sample_merge.sbatch``: the unsharded rerun that finds every chunk done and writes the stage's manifest;
- ``score.sbatch`` / ``score_merge.sbatch``: ArmoRM scoring as an array (1 GPU per task), then its merge;
- ``build.sbatch``: verification, SFT/DPO build and export (CPU); for a WRPO recipe the y_ws / split stage, and
  ``wrpo_data.sbatch`` (after SFT) the SFT model's samples and the (y_ws, y_wt, y_l) rows;
- ``sft.sbatch``: LLaMA-Factory under torchrun across ``ceil(sft.num_gpus / cluster.gpus_per_node)`` nodes
  (``FORCE_TORCHRUN`` with NNODES / NODE_RANK / MASTER_ADDR / MASTER_PORT per node);
- ``dpo.sbatch``: ``accelerate launch`` with the ZeRO-3 config across ``ceil(dpo.num_gpus / gpus_per_node)`` nodes,
  mixed precision from ``dpo.bf16`` (so the launch and TRL's ``bf16`` agree);
- ``eval.sbatch``: evaluation generation, scoring and the table on one node;
- ``submit.sh``: submits them all with ``--dependency=afterok`` so the target runs end to end.

``tools/slurm_shim/`` (sbatch, srun, scontrol) runs these files on one machine: ``python -m fusechat.rehearse
--slurm`` executes ``submit.sh`` through it on the tiny substitute.

Every job runs the same numbered scripts as ``recipes/<target>.sh`` with the same recipe and overrides, so the
stage cache and fingerprints behave exactly as in a single-node run.
"""

from __future__ import annotations

import argparse
import math
import re
import shlex
import sys
from dataclasses import dataclass
from pathlib import Path

from fusechat.recipe import Recipe

ACCELERATE_CONFIG = "training/configs/accelerate_zero3.yaml"


@dataclass
class Job:
    name: str  # file stem
    body: str  # shell lines after the header
    nodes: int = 1
    gpus_per_node: int = 0
    array: int | None = None  # number of array tasks
    after: tuple[str, ...] = ()  # jobs this one waits for (afterok)

    def script(self, recipe: Recipe) -> str:
        c = recipe.cluster
        lines = ["#!/usr/bin/env bash", f"# {self.name}: rendered by python -m fusechat.slurm from {recipe._source}",
                 f"#SBATCH --job-name={recipe.run.name}-{self.name}", f"#SBATCH --nodes={self.nodes}",
                 "#SBATCH --ntasks-per-node=1",
                 f"#SBATCH --cpus-per-task={max(c.cpus_per_gpu * max(self.gpus_per_node, 1), 4)}",
                 f"#SBATCH --time={c.time_limit}",
                 f"#SBATCH --output=logs/%x-%A{'_%a' if self.array else ''}.out"]
        if self.gpus_per_node:
            lines.append(f"#SBATCH --gpus-per-node={self.gpus_per_node}")
        if self.array:
            lines.append(f"#SBATCH --array=0-{self.array - 1}")
        if c.partition:
            lines.append(f"#SBATCH --partition={c.partition}")
        if c.account:
            lines.append(f"#SBATCH --account={c.account}")
        lines += ["set -euo pipefail", 'cd "${SLURM_SUBMIT_DIR:-.}"']
        if c.setup:
            lines.append(c.setup)
        lines.append("export PYTHONPATH=\"$PWD${PYTHONPATH:+:$PYTHONPATH}\"")
        return "\n".join(lines) + "\n" + self.body.rstrip() + "\n"


def nodes_for(num_gpus: int, gpus_per_node: int) -> int:
    return max(1, math.ceil(num_gpus / gpus_per_node))


def slug(name: str) -> str:
    return re.sub(r"[^A-Za-z0-9_.-]+", "_", name)


def jobs(recipe: Recipe, recipe_path: str, overrides: list[str]) -> list[Job]:
    """The jobs of one target, in submission order, each with the jobs it depends on."""
    c = recipe.cluster
    rec = " ".join(shlex.quote(x) for x in ["--recipe", recipe_path, *overrides])
    gen, train = shlex.quote(c.gen_python), shlex.quote(c.train_python)
    out: list[Job] = []
    samplers = []
    for m in recipe.data.sampling.models:
        name = f"sample_{slug(m.name)}"
        samplers.append(name)
        out.append(Job(name, f"{gen} data_construction/02_sample_responses.py {rec} --model {shlex.quote(m.name)} "
                       f"--shard \"${{SLURM_ARRAY_TASK_ID}}/{c.sampling_shards}\"",
                       gpus_per_node=m.tensor_parallel_size, array=c.sampling_shards, after=("select",)))
    out.insert(0, Job("select", f"{gen} data_construction/01_select_prompts.py {rec}"))
    out.append(Job("sample_merge", f"{gen} data_construction/02_sample_responses.py {rec}", after=tuple(samplers)))
    out.append(Job("score", f"{gen} data_construction/03_score_rewards.py {rec} "
                   f"--shard \"${{SLURM_ARRAY_TASK_ID}}/{c.scoring_shards}\"", gpus_per_node=1,
                   array=c.scoring_shards, after=("sample_merge",)))
    out.append(Job("score_merge", f"{gen} data_construction/03_score_rewards.py {rec}", after=("score",)))
    wrpo = recipe.wrpo is not None
    if wrpo:  # WRPO: y_ws and the SFT/preference split before SFT, the SFT model's samples and the triples after
        out.append(Job("build", f"{gen} -m fusechat.pipeline {rec} --from wrpo_split --until wrpo_split",
                       after=("score_merge",)))
    else:
        out.append(Job("build", f"{gen} -m fusechat.pipeline {rec} --from verify_answers --until export",
                       after=("score_merge",)))
    distributed = ('MASTER_ADDR="$(scontrol show hostnames "$SLURM_JOB_NODELIST" | head -n 1)"\n'
                   f"MASTER_PORT={c.master_port}\nexport MASTER_ADDR MASTER_PORT\n")
    s_nodes = nodes_for(recipe.sft.num_gpus, c.gpus_per_node)
    s_gpn = min(recipe.sft.num_gpus, c.gpus_per_node)
    out.append(Job("sft", distributed + (
        "# one task per node; LLaMA-Factory's FORCE_TORCHRUN reads NNODES/NODE_RANK/MASTER_ADDR/MASTER_PORT;\n"
        "# RANK=<node> makes the non-first nodes' outer processes leave the stage folder to node 0\n"
        f"srun --ntasks-per-node=1 bash -c 'NNODES=$SLURM_NNODES NODE_RANK=$SLURM_NODEID RANK=$SLURM_NODEID "
        f"NPROC_PER_NODE={s_gpn} exec {train} training/01_sft.py {shell_in_single(rec)}'"),
        nodes=s_nodes, gpus_per_node=s_gpn, after=("build",)))
    if wrpo:
        out.append(Job("wrpo_data", f"{gen} -m fusechat.pipeline {rec} --from wrpo_target --until wrpo_build",
                       gpus_per_node=1, after=("sft",)))
    d_nodes = nodes_for(recipe.dpo.num_gpus, c.gpus_per_node)
    d_gpn = min(recipe.dpo.num_gpus, c.gpus_per_node)
    acc = shlex.quote(str(Path(c.train_python).with_name("accelerate"))) if "/" in c.train_python else "accelerate"
    out.append(Job("dpo", distributed + (
        f"srun --ntasks-per-node=1 bash -c '{acc} launch --config_file {ACCELERATE_CONFIG} "
        f"--num_machines $SLURM_NNODES --machine_rank $SLURM_NODEID --main_process_ip $MASTER_ADDR "
        f"--main_process_port $MASTER_PORT --num_processes {recipe.dpo.num_gpus} "
        f"--mixed_precision {'bf16' if recipe.dpo.bf16 else 'no'} "
        f"training/02_dpo.py {shell_in_single(rec)}'"),
        nodes=d_nodes, gpus_per_node=d_gpn, after=("wrpo_data",) if wrpo else ("sft",)))
    out.append(Job("eval", f"{gen} -m fusechat.pipeline {rec} --from eval_generate",
                   gpus_per_node=c.gpus_per_node, after=("dpo",)))
    return out


def shell_in_single(text: str) -> str:
    """Make already shell-quoted words safe inside a single-quoted ``bash -c '…'``."""
    return text.replace("'", "'\"'\"'")


def job_var(name: str) -> str:
    """The shell variable holding a job's id in submit.sh."""
    return "JOB_" + re.sub(r"\W", "_", name).upper()


def submit_script(all_jobs: list[Job]) -> str:
    """``submit.sh``: run from the repository root (the jobs' relative paths and ``--output=logs/…`` start there).
    SLURM opens a job's ``--output`` file before the script runs and fails the job without a log when its folder is
    missing, so ``logs/`` is made here, before the first ``sbatch``, not inside the jobs."""
    lines = ["#!/usr/bin/env bash", "# Submit the whole target from the repository root: every job waits (afterok) "
             "for the jobs it reads.", "set -euo pipefail", 'D="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"',
             "mkdir -p logs  # SLURM fails a job whose --output folder does not exist, before the script runs"]
    for j in all_jobs:
        dep = ""
        if j.after:
            dep = "--dependency=afterok:" + ":".join(f"${{{job_var(a)}}}" for a in j.after) + " "
        lines.append(f'{job_var(j.name)}=$(sbatch --parsable {dep}"$D/{j.name}.sbatch")')
        lines.append(f'echo "{j.name}: ${{{job_var(j.name)}}}"')
    return "\n".join(lines) + "\n"


def render(recipe: Recipe, recipe_path: str, overrides: list[str], out_dir: Path) -> list[Path]:
    out_dir.mkdir(parents=True, exist_ok=True)
    all_jobs = jobs(recipe, recipe_path, overrides)
    written = []
    for j in all_jobs:
        p = out_dir / f"{j.name}.sbatch"
        p.write_text(j.script(recipe))
        written.append(p)
    sub = out_dir / "submit.sh"
    sub.write_text(submit_script(all_jobs))
    for p in [*written, sub]:
        p.chmod(0o755)
    return [*written, sub]


def main(argv: list[str] | None = None) -> int:
    from fusechat.cli import load_or_exit

    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--recipe", required=True)
    p.add_argument("overrides", nargs="*", metavar="key=value")
    p.add_argument("--out", default=None, help="output folder (default <run.dir>/slurm)")
    args = p.parse_args(argv)
    recipe = load_or_exit(args.recipe, args.overrides)
    if recipe.run.depth != "rebuild" and recipe.wrpo is None:  # jobs are rendered for the rebuild's stages only
        print(f"slurm: run.depth {recipe.run.depth} is not rendered as SLURM jobs; run it on one node with "
              f"recipes/run_depth{1 if recipe.run.depth == 'released_models' else 2}.sh", file=sys.stderr)
        return 2
    out = Path(args.out) if args.out else recipe.run_dir / "slurm"
    files = render(recipe, args.recipe, args.overrides, out)
    for f in files:
        print(f, file=sys.stderr)
    print(out / "submit.sh")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
