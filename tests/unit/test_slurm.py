"""SLURM jobs rendered for a 2-node recipe: every GPU stage present, node/GPU counts from the recipe, every command
parsed by the parser of the script it runs (the numbered scripts', the pipeline's, accelerate's), and submit.sh
chaining the jobs in dependency order."""

from __future__ import annotations

import os
import re
import shlex
import stat
import subprocess
from pathlib import Path

import pytest
from conftest import REPO

from fusechat import pipeline, slurm
from fusechat.cli import build_parser
from fusechat.recipe import load_recipe

RECIPE = "recipes/llama31_8b.yaml"
TWO_NODES = ["sft.num_gpus=16", "dpo.num_gpus=16", "cluster.sampling_shards=3", "cluster.partition=gpu"]
ENV = {"SLURM_ARRAY_TASK_ID": "2", "SLURM_NNODES": "2", "SLURM_NODEID": "1", "MASTER_ADDR": "node-a",
       "MASTER_PORT": "29500", "SLURM_JOB_NODELIST": "node-[a-b]"}


@pytest.fixture(scope="module")
def rendered(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("slurm")
    recipe = load_recipe(REPO / RECIPE, TWO_NODES)
    slurm.render(recipe, RECIPE, TWO_NODES, out)
    return out


def commands(script: Path) -> list[list[str]]:
    """The commands a job runs (the last, non-#SBATCH lines that start a python, srun or accelerate)."""
    out = []
    for line in script.read_text().splitlines():
        if line.startswith(("#", "set ", "cd ", "mkdir ", "export ", "MASTER_")) or not line.strip():
            continue
        words = shlex.split(os.path.expandvars(line.replace("${SLURM_ARRAY_TASK_ID}", ENV["SLURM_ARRAY_TASK_ID"])))
        if words[0] == "srun":  # srun … bash -c '<inner>': the inner command, with the env of node 1
            inner = words[words.index("-c") + 1]
            for k, v in ENV.items():
                inner = inner.replace(f"${k}", v)
            words = [w for w in shlex.split(inner) if "=" not in w or w.startswith(("--", "data.", "sft.", "dpo.",
                                                                                    "cluster."))]
            words = words[1:] if words[0] == "exec" else words
        out.append(words)
    return out


def parse(words: list[str]):
    """Parse a command with the parser of what it runs; return (script, parsed args)."""
    if words[0] == "accelerate":
        from accelerate.commands.launch import launch_command_parser

        acc = launch_command_parser().parse_args(words[2:])
        assert acc.num_machines == 2 and acc.machine_rank == 1 and acc.num_processes == 16
        assert acc.config_file == slurm.ACCELERATE_CONFIG and (REPO / acc.config_file).exists()
        return acc.training_script, build_parser("dpo").parse_args(acc.training_script_args)
    assert words[0] == "python", words
    if words[1] == "-m":
        assert words[2] == "fusechat.pipeline"
        return "pipeline", pipeline.build_parser().parse_args(words[3:])
    source = (REPO / words[1]).read_text()
    return words[1], build_parser("x", "shardable=True" in source, "per_model=True" in source).parse_args(words[2:])


def test_every_gpu_stage_is_rendered_with_recipe_driven_resources(rendered: Path) -> None:
    recipe = load_recipe(REPO / RECIPE, TWO_NODES)
    names = {p.stem for p in rendered.glob("*.sbatch")}
    models = [m.name for m in recipe.data.sampling.models]
    assert {f"sample_{m}" for m in models} | {"select", "sample_merge", "score", "score_merge", "build", "sft",
                                              "dpo", "eval"} == names
    for m in recipe.data.sampling.models:
        text = (rendered / f"sample_{m.name}.sbatch").read_text()
        assert f"#SBATCH --gpus-per-node={m.tensor_parallel_size}" in text and "#SBATCH --array=0-2" in text
    for job in ("sft", "dpo"):
        text = (rendered / f"{job}.sbatch").read_text()
        assert "#SBATCH --nodes=2" in text and "#SBATCH --gpus-per-node=8" in text and "--partition=gpu" in text
    assert "#SBATCH --nodes=1" in (rendered / "eval.sbatch").read_text()


def test_every_command_parses_with_its_scripts_own_parser(rendered: Path) -> None:
    seen = {}
    for script in sorted(rendered.glob("*.sbatch")):
        cmds = commands(script)
        assert len(cmds) == 1, script
        target, args = parse(cmds[0])
        recipe = load_recipe(REPO / args.recipe, args.overrides)  # the recipe and overrides load as given
        assert recipe.sft.num_gpus == 16 and recipe.cluster.sampling_shards == 3
        seen[script.stem] = (target, args)
    assert seen["sample_gemma-2-27b-it"][1].model == "gemma-2-27b-it"
    assert seen["sample_gemma-2-27b-it"][1].shard == (2, 3)
    assert seen["score"][1].shard == (2, 8) and seen["score_merge"][1].shard == (0, 1)
    assert seen["sft"][0] == "training/01_sft.py" and seen["dpo"][0] == "training/02_dpo.py"
    assert (seen["build"][1].start, seen["build"][1].until) == ("verify_answers", "export")
    assert seen["eval"][1].start == "eval_generate"
    sft = (rendered / "sft.sbatch").read_text()
    assert "NNODES=$SLURM_NNODES NODE_RANK=$SLURM_NODEID RANK=$SLURM_NODEID NPROC_PER_NODE=8" in sft


def test_submit_chains_jobs_in_dependency_order(rendered: Path, tmp_path: Path) -> None:
    fake = tmp_path / "bin"
    fake.mkdir()
    log = tmp_path / "sbatch.log"
    (fake / "sbatch").write_text(f'#!/usr/bin/env bash\nn=$(( $(wc -l < {log} 2>/dev/null || echo 0) + 100 ))\n'
                                 f'echo "$n $*" >> {log}\necho $n\n')
    (fake / "sbatch").chmod(stat.S_IRWXU)
    proc = subprocess.run(["bash", str(rendered / "submit.sh")], capture_output=True, text=True,
                          env={**os.environ, "PATH": f"{fake}:{os.environ['PATH']}"})
    assert proc.returncode == 0, proc.stderr
    ids: dict[str, str] = {}
    for line in log.read_text().splitlines():
        jid, *args = line.split()
        job = Path(args[-1]).stem
        deps = re.findall(r"afterok:([\d:]+)", line)
        for dep in (deps[0].split(":") if deps else []):
            assert dep in ids.values(), f"{job} waits for a job submitted later"
        ids[job] = jid
    wait = {Path(ln.split()[-1]).stem: re.findall(r"afterok:([\d:]+)", ln) for ln in log.read_text().splitlines()}
    assert wait["sft"] == [ids["build"]] and wait["dpo"] == [ids["sft"]] and wait["eval"] == [ids["dpo"]]
    assert set(wait["sample_merge"][0].split(":")) == {ids[j] for j in ids if j.startswith("sample_") and
                                                       j != "sample_merge"}


def test_dpo_launch_mixed_precision_follows_the_recipe(tmp_path: Path) -> None:
    """accelerate's file says bf16; the launch line states the recipe's dpo.bf16 so TRL and DeepSpeed agree."""
    for bf16, want in (("true", "--mixed_precision bf16"), ("false", "--mixed_precision no")):
        recipe = load_recipe(REPO / RECIPE, [f"dpo.bf16={bf16}"])
        slurm.render(recipe, RECIPE, [], tmp_path / bf16)
        assert want in (tmp_path / bf16 / "dpo.sbatch").read_text()


def test_wrpo_recipe_renders_its_own_stages(tmp_path: Path) -> None:
    """A WRPO recipe's jobs run its stage list: the split before SFT, the SFT model's samples and the triples
    between SFT and the preference job, each range made of WRPO pipeline stage names."""
    recipe = load_recipe(REPO / "recipes/wrpo_llama3_8b.yaml", [])
    slurm.render(recipe, "recipes/wrpo_llama3_8b.yaml", [], tmp_path)
    names = {j.name: j for j in slurm.jobs(recipe, "recipes/wrpo_llama3_8b.yaml", [])}
    assert "--from wrpo_split --until wrpo_split" in names["build"].body
    assert names["wrpo_data"].after == ("sft",) and names["dpo"].after == ("wrpo_data",)
    for job in names.values():
        for flag in re.findall(r"--(?:from|until) (\S+)", job.body):
            assert flag in pipeline.WRPO_SCRIPTS
    sub = (tmp_path / "submit.sh").read_text()
    assert sub.index("JOB_SFT=") < sub.index("JOB_WRPO_DATA=") < sub.index("JOB_DPO=")


def test_rendezvous_port_comes_from_the_recipe(tmp_path: Path) -> None:
    """Both multi-node jobs rendezvous on cluster.master_port (29500 by default; another where a site or a second
    rehearsal on the same machine holds that port)."""
    recipe = load_recipe(REPO / RECIPE, [*TWO_NODES, "cluster.master_port=31234"])
    slurm.render(recipe, RECIPE, TWO_NODES, tmp_path)
    for job in ("sft", "dpo"):
        assert "\nMASTER_PORT=31234\n" in (tmp_path / f"{job}.sbatch").read_text()
    sft = next(j for j in slurm.jobs(load_recipe(REPO / RECIPE, TWO_NODES), RECIPE, []) if j.name == "sft")
    assert "\nMASTER_PORT=29500\n" in sft.body
