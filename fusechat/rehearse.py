"""Rehearse a recipe's GPU launch on CPU: the real launchers, configs and stages, on the tiny world.

``python -m fusechat.rehearse --recipe recipes/<recipe>.yaml [key=value …] [--gen-python PY]``

What is kept from the recipe (everything that concerns launching): the SFT launcher (``training/01_sft.py``, which
for ``sft.num_gpus > 1`` runs ``llamafactory-cli train`` under torchrun with ``FORCE_TORCHRUN``), the preference
launcher (``accelerate launch --config_file training/configs/accelerate_zero3.yaml``, as ``recipes/run_target.sh``
and the SLURM ``dpo.sbatch``), the DeepSpeed ZeRO-3 file ``sft.deepspeed``, the chat template, the loss and its
settings, the checkpoint choice, SFT packing, per-device batch and the gradient accumulation the recipe's global batch
implies (lowered, accumulation first, so that the tiny world's few rows give at least 2 SFT and 3 preference
optimiser steps: :func:`batch_plan`), and the evaluation stage on the vLLM backend in the generation environment.

What is substituted: the model (the tiny world's model of the target's family: Llama for ``llama3``, Qwen for
``qwen``, Gemma for ``gemma2``), the data (the tiny world's, built by the smoke recipe's data stages), the world size
(2 CPU processes over gloo, so the batch is per-device × accumulation × 2), the lengths (256 tokens; a packing SFT's
block halved further until its packed blocks, counted by LLaMA-Factory's own packing, give 2 steps:
:func:`packing_block`), the save grid
(every step, so there are at least three checkpoints), bf16 (off: CPU; ``--mixed_precision no`` on the accelerate
line, the only flag the GPU line does not have) and the evaluation (a few items of one benchmark, the preference
model only).

The stages run through the numbered scripts and ``python -m fusechat.pipeline`` exactly as on a GPU node, into
``runs/rehearse/<recipe>/`` (one stage cache for all rehearsals, so the data stages are built once). The last line
is ``rehearsal ok recipe=<name> world_size=2 zero_stage=3 sft_steps=<n> pref_steps=<n> loss=<name>
checkpoint=<step>``.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import yaml

from fusechat.cli import load_or_exit
from fusechat.extension_locks import stale_locks
from fusechat.recipe import REPO_ROOT, Recipe
from fusechat.run_layout import SFT_NAME
from fusechat.slurm import ACCELERATE_CONFIG
from fusechat.stage_table import stage_hook, stages_for

WORLD_SIZE = 2
#: The tiny world's model of each chat-template family (``sft.template``, LLaMA-Factory's name).
TINY_BY_TEMPLATE = {"llama3": "Llama-3.1-8B-Instruct", "qwen": "Qwen2.5-72B-Instruct", "gemma2": "gemma-2-27b-it",
                    "gemma": "gemma-2-27b-it"}
MAX_LENGTH, MAX_PROMPT_LENGTH = 256, 192
MIN_SFT_STEPS, MIN_PREF_STEPS = 2, 3
#: The shortest packing block the rehearsal scales a packing SFT to (tokens).
MIN_BLOCK = 32
EVAL_BENCHMARK, EVAL_ITEMS = "gsm8k", 3


class RehearsalError(RuntimeError):
    """The rehearsal cannot go on; the message names the step and what to look at."""


def batch_plan(per_device: int, recipe_accum: int, examples: int, min_steps: int, epochs: float) -> tuple[int, int]:
    """(per-device batch, accumulation) for ``examples`` training examples to give ``min_steps`` optimiser steps on
    :data:`WORLD_SIZE` processes: the recipe's values, the accumulation lowered first (never raised), then the
    per-device batch (only when one example per process per step at accumulation 1 would still be too many)."""
    def steps(pd: int, acc: int) -> int:
        return math.floor(examples * epochs / (pd * WORLD_SIZE * acc))

    for acc in range(recipe_accum, 0, -1):
        if steps(per_device, acc) >= min_steps:
            return per_device, acc
    for pd in range(per_device - 1, 0, -1):
        if steps(pd, 1) >= min_steps:
            return pd, 1
    return 1, 1


def stage_batch(cfg: Any, examples: int | None, min_steps: int) -> tuple[int, int]:
    """A training stage's (``sft`` or ``dpo``) per-device batch and gradient accumulation as its recipe implies them
    (global batch over per-device batch × GPUs), lowered by :func:`batch_plan` when the rehearsal's count of training
    examples (rows, or packed blocks for a packing SFT) is known."""
    acc = cfg.global_batch_size // (cfg.per_device_train_batch_size * cfg.num_gpus)
    if examples is None:
        return cfg.per_device_train_batch_size, acc
    return batch_plan(cfg.per_device_train_batch_size, acc, examples, min_steps, cfg.num_train_epochs)


def packed_blocks(rows_file: Path, model_path: str, template: str, block_len: int, train_on_prompt: bool) -> int:
    """How many ``block_len``-token blocks LLaMA-Factory's packing (``packing: true``) makes of the SFT rows: its own
    ``PackedSupervisedDatasetProcessor`` (each row encoded with the family template and cut to ``block_len``, then
    greedy knapsack into blocks) on the rows in LLaMA-Factory's sharegpt layout, so the count is the number of
    training examples the SFT launch will see."""
    from llamafactory.data.processor.supervised import PackedSupervisedDatasetProcessor
    from llamafactory.data.template import get_template_and_fix_tokenizer
    from llamafactory.hparams import DataArguments
    from transformers import AutoTokenizer

    data_args = DataArguments(template=template, cutoff_len=block_len, packing=True, train_on_prompt=train_on_prompt)
    tokenizer = AutoTokenizer.from_pretrained(model_path)
    tmpl = get_template_and_fix_tokenizer(tokenizer, data_args)
    roles = {"human": "user", "gpt": "assistant", "system": "system"}
    examples: dict[str, list[Any]] = {k: [] for k in ("_prompt", "_response", "_system", "_tools", "_images",
                                                      "_videos", "_audios")}
    for line in rows_file.open(encoding="utf-8"):
        if not line.strip():
            continue
        turns = [{"role": roles[t["from"]], "content": t["value"]} for t in json.loads(line)["conversations"]]
        system = next((t["content"] for t in turns if t["role"] == "system"), "")
        turns = [t for t in turns if t["role"] != "system"]
        examples["_prompt"].append(turns[:-1])
        examples["_response"].append(turns[-1:])
        examples["_system"].append(system)
        examples["_tools"].append("")
        for k in ("_images", "_videos", "_audios"):
            examples[k].append(None)
    proc = PackedSupervisedDatasetProcessor(template=tmpl, tokenizer=tokenizer, processor=None, data_args=data_args)
    return len(proc.preprocess_dataset(examples)["input_ids"])


def packing_block(cfg: Any, count: Callable[[int], int]) -> tuple[int, int]:
    """The rehearsal's packing block length and the blocks the SFT rows fill: the recipe's ``cutoff_len`` capped at
    :data:`MAX_LENGTH`, halved (not below :data:`MIN_BLOCK`) until ``count(block_len)`` blocks give
    :data:`MIN_SFT_STEPS` steps under :func:`batch_plan` (the tiny world's few SFT rows fill one or two full-size
    blocks). ``count`` is :func:`packed_blocks` for the rehearsal's rows."""
    block = min(cfg.cutoff_len, MAX_LENGTH)
    while True:
        blocks = count(block)
        per_device, acc = stage_batch(cfg, blocks, MIN_SFT_STEPS)
        steps = math.floor(blocks * cfg.num_train_epochs / (per_device * WORLD_SIZE * acc))
        if steps >= MIN_SFT_STEPS or block // 2 < MIN_BLOCK:
            return block, blocks
        block //= 2


def sft_examples_of(recipe: Recipe, rehearsal: Recipe, sft_file: Path) -> tuple[int, int | None]:
    """(training examples, packing block or None) of the rehearsal's SFT: its rows, or for a packing recipe the
    blocks of :func:`packing_block` (WRPO's Target-SFT packs into 2,048-token blocks, so the tiny world's rows fill
    one or two full-size blocks). Shared by the plain and the SLURM rehearsal, so both size SFT the same way."""
    if not recipe.sft.packing:
        return _count(sft_file), None
    from fusechat.tiny_world import resolve, settings_from

    model_path = resolve(rehearsal.sft.model, settings_from(rehearsal.world))
    block, blocks = packing_block(recipe.sft, lambda n: packed_blocks(
        sft_file, model_path, recipe.sft.template, n, recipe.sft.train_on_prompt))
    return blocks, block


def tiny_model(recipe: Recipe) -> str:
    template = recipe.sft.template
    if template not in TINY_BY_TEMPLATE:
        raise RehearsalError(f"sft.template={template}: no tiny-world model of that family "
                             f"(known: {', '.join(sorted(TINY_BY_TEMPLATE))})")
    return f"tiny:{TINY_BY_TEMPLATE[template]}"


def smoke_base(recipe: Recipe) -> dict[str, Any]:
    """The smoke recipe of the same pipeline (FuseChat-3.0 or WRPO): its world, data and eval sections."""
    name = "smoke_wrpo.yaml" if recipe.wrpo is not None else "smoke.yaml"
    return yaml.safe_load((REPO_ROOT / "recipes" / name).read_text())


def rehearsal_tree(recipe: Recipe, name: str, sft_examples: int | None, pref_rows: int | None,
                   sft_block: int | None = None) -> dict[str, Any]:
    """The rehearsal recipe: the smoke data on the tiny world, the real recipe's sft/dpo launch settings.
    ``sft_examples``: the SFT's training examples (rows, or packed blocks of ``sft_block`` tokens when the recipe
    packs: :func:`packing_block`)."""
    base = smoke_base(recipe)
    tree: dict[str, Any] = {k: base[k] for k in ("world", "data", "plan") if k in base}
    tree["run"] = {"name": f"rehearse-{name}", "dir": str(REPO_ROOT / "runs" / "rehearse" / name), "seed": recipe.run.seed,
                   "smoke": True}
    if recipe.wrpo is not None:
        wrpo = recipe.wrpo.model_dump(mode="json")
        wrpo.update({k: v for k, v in base["wrpo"].items() if k in ("source_responses", "release", "target_samples",
                                                                     "target_max_new_tokens", "target_batch_size")})
        tree["wrpo"] = wrpo
    sft = recipe.sft.model_dump(mode="json", exclude_none=True)
    s_pd, s_acc = stage_batch(recipe.sft, sft_examples, MIN_SFT_STEPS)
    sft.update(model=tiny_model(recipe), num_gpus=WORLD_SIZE, bf16=False,
               cutoff_len=sft_block or min(recipe.sft.cutoff_len, MAX_LENGTH), learning_rate=base["sft"]["learning_rate"],
               per_device_train_batch_size=s_pd, global_batch_size=s_pd * WORLD_SIZE * s_acc)
    # LLaMA-Factory tokenises with 16 worker processes when num_gpus > 1: one per core here (not a launch setting)
    sft["extra"] = {**sft.get("extra", {}), "preprocessing_num_workers": 1}
    tree["sft"] = sft
    dpo = recipe.dpo.model_dump(mode="json", exclude_none=True)
    d_pd, d_acc = stage_batch(recipe.dpo, pref_rows, MIN_PREF_STEPS)
    dpo.update(num_gpus=WORLD_SIZE, bf16=False, max_length=min(recipe.dpo.max_length, MAX_LENGTH),
               max_prompt_length=min(recipe.dpo.max_prompt_length, MAX_PROMPT_LENGTH), save_steps=1,
               per_device_train_batch_size=d_pd, global_batch_size=d_pd * WORLD_SIZE * d_acc)
    if recipe.dpo.checkpoint_choice == "best_of_last_two":  # enough held-out rows to score checkpoints
        dpo["checkpoint_heldout_fraction"] = max(recipe.dpo.checkpoint_heldout_fraction, 0.1)
    tree["dpo"] = dpo
    ev = dict(base["eval"])
    ev.update(backend="vllm", benchmarks=[{"name": EVAL_BENCHMARK}], limit=EVAL_ITEMS, tiny=True,
              models={f"{name} (rehearsal)": "@dpo"})
    ev.pop("judge", None)
    tree["eval"] = ev
    return tree


def _env() -> dict[str, str]:
    env = {**os.environ, "PYTHONWARNINGS": "ignore", "HF_HUB_OFFLINE": "1", "HF_DATASETS_OFFLINE": "1",
           "TRANSFORMERS_OFFLINE": "1", "TOKENIZERS_PARALLELISM": "false", "VLLM_CPU_KVCACHE_SPACE": "1",
           "VLLM_NO_USAGE_STATS": "1", "OMP_NUM_THREADS": "1"}
    env["PYTHONPATH"] = os.pathsep.join(p for p in (str(REPO_ROOT), os.environ.get("PYTHONPATH", "")) if p)
    return env


def _run(step: str, cmd: list[str], log_dir: Path, env: dict[str, str] | None = None) -> float:
    """One launch line, its output in ``<log_dir>/<step>.log``; a failure is one line naming the log."""
    log = log_dir / f"{step}.log"
    print(f"[rehearse] {step}: {' '.join(cmd)}", file=sys.stderr)
    t0 = time.perf_counter()
    with log.open("w") as fh:
        proc = subprocess.run(cmd, cwd=REPO_ROOT, env=env or _env(), stdout=fh, stderr=subprocess.STDOUT)
    took = time.perf_counter() - t0
    if proc.returncode != 0:
        raise RehearsalError(f"{step} failed (exit {proc.returncode}, {took:.0f} s); log: {log}")
    print(f"[rehearse] {step}: ok in {took:.0f} s", file=sys.stderr)
    return took


def _count(path: Path) -> int:
    return sum(1 for line in path.open(encoding="utf-8") if line.strip())


def _manifest(run_dir: Path, recipe: Recipe, stage: str) -> dict[str, Any]:
    p = run_dir / stages_for(recipe)[stage].folder / "manifest.json"
    if not p.exists():
        raise RehearsalError(f"stage {stage} left no manifest at {p}")
    return json.loads(p.read_text())


def free_port() -> int:
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def zero_stage() -> int:
    """ZeRO stage of the launch files both launchers read (accelerate's file and the DeepSpeed JSON agree)."""
    acc = yaml.safe_load((REPO_ROOT / ACCELERATE_CONFIG).read_text())
    return int(acc["deepspeed_config"]["zero_stage"])


def _data_step(recipe: Recipe, rpath: Path, run_dir: Path) -> tuple[Recipe, Path, float]:
    """The data stages of the rehearsal recipe at ``rpath`` (through ``wrpo_split`` for WRPO, else ``export``), as
    the plain and the SLURM rehearsal both run them: the loaded rehearsal recipe, the SFT rows in LLaMA-Factory's
    layout, and the seconds taken."""
    until = "wrpo_split" if recipe.wrpo is not None else "export"
    took = _run("data", [sys.executable, "-m", "fusechat.pipeline", "--recipe", str(rpath), "--until", until], run_dir)
    rehearsal = load_or_exit(str(rpath), [])
    return rehearsal, run_dir / stages_for(rehearsal)[until].folder / "llamafactory" / f"{SFT_NAME}.jsonl", took


def _train_rows(recipe: Recipe, pref_rows: int) -> int:
    """The preference rows the trainer steps over: all of them, less the held-out share (at least one row, at least
    10 % in the rehearsal) when the checkpoint is chosen by held-out loss (``best_of_last_two``)."""
    if recipe.dpo.checkpoint_choice != "best_of_last_two":
        return pref_rows
    return pref_rows - max(1, round(pref_rows * max(recipe.dpo.checkpoint_heldout_fraction, 0.1)))


def rehearse(recipe_path: str, overrides: list[str], gen_python: str) -> str:
    recipe = load_or_exit(recipe_path, overrides)
    name = Path(recipe_path).stem
    if recipe.sft.deepspeed:
        ds = json.loads((REPO_ROOT / recipe.sft.deepspeed).read_text())
        if ds["zero_optimization"]["stage"] != zero_stage():
            raise RehearsalError(f"{recipe.sft.deepspeed} and {ACCELERATE_CONFIG} name different ZeRO stages")
    run_dir = REPO_ROOT / "runs" / "rehearse" / name
    run_dir.mkdir(parents=True, exist_ok=True)
    rpath = run_dir / "recipe.yaml"
    rpath.write_text(yaml.safe_dump(rehearsal_tree(recipe, name, None, None), sort_keys=False))
    py = sys.executable
    times: dict[str, float] = {}
    rehearsal, sft_file, times["data"] = _data_step(recipe, rpath, run_dir)
    sft_rows = _count(sft_file)
    sft_examples, sft_block = sft_examples_of(recipe, rehearsal, sft_file)
    # batch arithmetic needs the row counts: the SFT section now, the preference section after its data exists
    tree = rehearsal_tree(recipe, name, sft_examples, None, sft_block)
    rpath.write_text(yaml.safe_dump(tree, sort_keys=False))
    env = {**_env(), "NPROC_PER_NODE": str(WORLD_SIZE)}  # LLaMA-Factory's torchrun: one process per "GPU"
    times["sft"] = _run("sft", [py, "training/01_sft.py", "--recipe", str(rpath)], run_dir, env)
    if recipe.wrpo is not None:
        times["wrpo_data"] = _run("wrpo_data", [py, "-m", "fusechat.pipeline", "--recipe", str(rpath), "--from",
                                                "wrpo_target", "--until", "wrpo_build"], run_dir)
        rehearsal = load_or_exit(str(rpath), [])
        build = run_dir / stages_for(rehearsal)["wrpo_build"].folder
        pref_file = build / "trl" / data_file_name(rehearsal)
    else:
        pref_file = run_dir / stages_for(rehearsal)["export"].folder / "trl" / "dpo.jsonl"
    pref_rows = _count(pref_file)
    train_rows = _train_rows(recipe, pref_rows)
    tree = rehearsal_tree(recipe, name, sft_examples, train_rows, sft_block)
    rpath.write_text(yaml.safe_dump(tree, sort_keys=False))
    accelerate = str(Path(py).with_name("accelerate"))
    times["preference"] = _run("preference", [
        accelerate, "launch", "--config_file", ACCELERATE_CONFIG, "--num_processes", str(WORLD_SIZE),
        "--main_process_port", str(free_port()),  # rehearsals side by side on one machine
        "--mixed_precision", "no", "training/02_dpo.py", "--recipe", str(rpath)], run_dir)
    # the task's max_model_len (4,096 for GSM8K) exceeds the tiny models' 512 positions; the few items are short
    gen_env = {**_env(), "VLLM_ALLOW_LONG_MAX_MODEL_LEN": "1"}
    gen_env.pop("VIRTUAL_ENV", None)
    times["eval"] = _run("eval", [gen_python, "-m", "fusechat.pipeline", "--recipe", str(rpath), "--from",
                                  "eval_generate", "--until", "eval_generate"], run_dir, gen_env)
    # scoring needs the CPU set's checkers (math-verify), not vLLM
    times["score"] = _run("score", [py, "-m", "fusechat.pipeline", "--recipe", str(rpath), "--from", "eval_score",
                                    "--until", "eval_score"], run_dir)
    rehearsal = load_or_exit(str(rpath), [])
    sft_m, dpo_m = _manifest(run_dir, rehearsal, "sft"), _manifest(run_dir, rehearsal, "dpo")
    gen_m = _manifest(run_dir, rehearsal, "eval_generate")
    sft_steps = _sft_steps(run_dir / stages_for(rehearsal)["sft"].folder / "model")
    n_params = {"sft": check_gathered(run_dir / stages_for(rehearsal)["sft"].folder / "model", tree["sft"]["model"]),
                "preference": check_gathered(run_dir / stages_for(rehearsal)["dpo"].folder / "model",
                                             tree["sft"]["model"])}
    pref_steps = int(dpo_m["stats"]["global_steps"])
    checkpoint = dpo_m["stats"].get("chosen_checkpoint", f"last({pref_steps})")
    if sft_steps < MIN_SFT_STEPS or pref_steps < MIN_PREF_STEPS:
        raise RehearsalError(f"too few optimiser steps: sft {sft_steps}, preference {pref_steps}")
    summary = {"recipe": name, "rows": {"sft": sft_rows, "preference": pref_rows},
               "sft_packing": {"block_len": sft_block, "blocks": sft_examples} if sft_block else None,
               "sft_per_device": tree["sft"]["per_device_train_batch_size"],
               "pref_per_device": tree["dpo"]["per_device_train_batch_size"],
               "sft_global_batch": tree["sft"]["global_batch_size"], "pref_global_batch": tree["dpo"]["global_batch_size"],
               "seconds": {k: round(v, 1) for k, v in times.items()}, "eval_generate": gen_m.get("stats"),
               "sft_manifest": sft_m.get("stats"), "saved_parameters": n_params}
    (run_dir / "rehearsal.json").write_text(json.dumps(summary, indent=1, default=str))
    print(f"[rehearse] wall time (s): {json.dumps(summary['seconds'])}, total {sum(times.values()):.0f}",
          file=sys.stderr)
    return (f"rehearsal ok recipe={name} world_size={WORLD_SIZE} zero_stage={zero_stage()} sft_steps={sft_steps} "
            f"pref_steps={pref_steps} loss={recipe.dpo.loss} checkpoint={checkpoint}")


SHIM = REPO_ROOT / "tools" / "slurm_shim"


def slurm_tree(recipe_path: str, overrides: list[str]) -> dict[str, Any]:
    """The recipe the SLURM rehearsal renders: the plain rehearsal's, its batch arithmetic fitted to the tiny
    world's row counts after the plain rehearsal's data step (stage-cached in ``runs/rehearse/<recipe>/``, so it
    is shared with the plain rehearsal whichever runs first)."""
    recipe = load_or_exit(recipe_path, overrides)
    name = Path(recipe_path).stem
    run_dir = REPO_ROOT / "runs" / "rehearse" / name
    run_dir.mkdir(parents=True, exist_ok=True)
    plain = run_dir / "slurm_data_recipe.yaml"  # not recipe.yaml: the plain rehearsal's own file stays as it left it
    plain.write_text(yaml.safe_dump(rehearsal_tree(recipe, name, None, None), sort_keys=False))
    rehearsal, sft_file, _ = _data_step(recipe, plain, run_dir)
    sft_examples, sft_block = sft_examples_of(recipe, rehearsal, sft_file)
    train_rows = None
    if recipe.wrpo is None:  # WRPO's preference rows exist only after SFT: the recipe's accumulation stays
        train_rows = _train_rows(recipe, _count(run_dir / stages_for(rehearsal)["export"].folder / "trl" / "dpo.jsonl"))
    return rehearsal_tree(recipe, name, sft_examples, train_rows, sft_block)


def rehearse_slurm(recipe_path: str, overrides: list[str]) -> str:
    """The SLURM files ``python -m fusechat.slurm`` writes, executed through ``tools/slurm_shim`` (sbatch runs each
    job in order, srun starts one process per "node" on this machine): the plain rehearsal's recipe
    (:func:`slurm_tree`) with one GPU per node, so SFT and DPO are two-node jobs (torchrun / accelerate with 2
    machines, rendezvous on localhost), two array tasks for sampling and scoring, one environment for every job
    (eval backend hf: no vLLM needed) and a stage cache of its own, so every job really runs."""
    from fusechat.slurm import render

    name = Path(recipe_path).stem
    tree = slurm_tree(recipe_path, overrides)
    run_dir = REPO_ROOT / "runs" / "rehearse" / f"{name}-slurm"
    if run_dir.exists():
        import shutil

        shutil.rmtree(run_dir)
    run_dir.mkdir(parents=True)
    tree["run"].update(name=f"rehearse-{name}-slurm", dir=str(run_dir), stage_cache=str(run_dir / ".stage_cache"))
    tree["eval"]["backend"] = "hf"
    tree["cluster"] = {"gpus_per_node": 1, "cpus_per_gpu": 1, "sampling_shards": 2, "scoring_shards": 2,
                       "time_limit": "01:00:00", "gen_python": sys.executable, "train_python": sys.executable,
                       "master_port": free_port()}  # rehearsals side by side on one machine
    rpath = run_dir / "recipe.yaml"
    rpath.write_text(yaml.safe_dump(tree, sort_keys=False))
    recipe = load_or_exit(str(rpath), [])
    files = render(recipe, str(rpath), [], run_dir / "slurm")
    env = {**_env(), "PATH": f"{SHIM}{os.pathsep}{os.environ.get('PATH', '')}",
           "SLURM_SHIM_STATE": str(run_dir / "shim")}
    took = _run("slurm", ["bash", str(run_dir / "slurm" / "submit.sh")], run_dir, env)
    last = "wrpo_report" if recipe.wrpo is not None else "eval_tables"
    table = Path(_manifest(run_dir, recipe, last)["stats"]["table"])
    if not table.is_absolute():
        table = run_dir / stages_for(recipe)[last].folder / table
    print(table.read_text(), file=sys.stderr)
    ran = ran_jobs(run_dir / "shim" / "jobs.tsv")
    if [r[0] for r in ran] != [f.stem for f in files[:-1]]:
        raise RehearsalError(f"the shim ran {[r[0] for r in ran]}, submit.sh submits {[f.stem for f in files[:-1]]}")
    nodes = {r[0]: r[2] for r in ran}
    order = ",".join(f"{r[0]}[{r[1]}]" if r[1] > 1 else r[0] for r in ran)
    return (f"slurm rehearsal ok recipe={name} jobs={len(ran)} tasks={sum(r[1] for r in ran)} "
            f"nodes_sft={nodes['sft']} nodes_dpo={nodes['dpo']} wall_s={took:.0f} order={order} "
            f"table={table}")


def ran_jobs(jobs_tsv: Path) -> list[tuple[str, int, int]]:
    """What the SLURM shim ran, in order: (job file stem, array tasks, nodes) per line of its ``jobs.tsv``."""
    out = []
    for line in jobs_tsv.read_text().splitlines():
        _, name, tasks, nodes, _ = line.split()
        out.append((name, int(tasks), int(nodes)))
    return out


def data_file_name(recipe: Recipe) -> str:
    """The WRPO build's preference file ``training.dpo.data_file`` reads for this recipe's loss."""
    LOSSES = stage_hook("LOSSES")  # noqa: N806 - training.losses.LOSSES, asked of the dpo stage
    return "wrpo.jsonl" if LOSSES[recipe.dpo.loss].data == "multi_chosen" else "pairs.jsonl"


def check_gathered(model_dir: Path, reference: str) -> int:
    """The saved weights are whole: every tensor has the shape of the model that was trained (ZeRO-3 leaves empty
    partitions in ``state_dict()``; ``stage3_gather_16bit_weights_on_model_save`` gathers them at save).
    Returns the number of parameters."""
    from safetensors import safe_open

    from fusechat.tiny_world import resolve

    ref_dir = Path(resolve(reference))
    shapes: dict[str, tuple[int, ...]] = {}
    for f in sorted(ref_dir.glob("*.safetensors")):
        with safe_open(str(f), "pt") as fh:
            shapes.update({k: tuple(fh.get_slice(k).get_shape()) for k in fh.keys()})  # noqa: SIM118
    got: dict[str, tuple[int, ...]] = {}
    for f in sorted(model_dir.glob("*.safetensors")):
        with safe_open(str(f), "pt") as fh:
            got.update({k: tuple(fh.get_slice(k).get_shape()) for k in fh.keys()})  # noqa: SIM118
    bad = sorted(k for k in shapes if got.get(k) != shapes[k] and k in got)
    if not got or bad or any(0 in s for s in got.values()):
        raise RehearsalError(f"{model_dir}: weights not gathered (shapes differ from {reference}: {bad[:3]})")
    return sum(math.prod(s) for s in got.values())


def _sft_steps(model_dir: Path) -> int:
    state = model_dir / "trainer_state.json"
    if not state.exists():
        raise RehearsalError(f"SFT left no trainer_state.json in {model_dir}")
    return int(json.loads(state.read_text())["global_step"])


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--recipe", required=True)
    p.add_argument("overrides", nargs="*", metavar="key=value")
    p.add_argument("--gen-python", default=str(REPO_ROOT / ".venv-vllm-cpu" / "bin" / "python"),
                   help="the generation environment's python (vllm-cpu; bash tools/setup_env.sh vllm-cpu)")
    p.add_argument("--slurm", action="store_true", help="run the SLURM files of the plain rehearsal's recipe "
                   "through tools/slurm_shim (after the plain rehearsal)")
    args = p.parse_args(argv)
    for lock, age in stale_locks():  # every launch below would wait for it forever, silently
        print(f"rehearse: {lock} is {age / 60:.0f} min old, left by a killed JIT build; remove it if no build is "
              "running", file=sys.stderr)
        return 2
    if args.slurm:
        try:
            print(rehearse_slurm(args.recipe, args.overrides))
        except RehearsalError as exc:
            print(f"slurm rehearsal failed: {exc}", file=sys.stderr)
            return 1
        return 0
    if not Path(args.gen_python).exists():
        print(f"rehearse: no generation environment at {args.gen_python} (bash tools/setup_env.sh vllm-cpu)",
              file=sys.stderr)
        return 2
    try:
        line = rehearse(args.recipe, args.overrides, args.gen_python)
    except RehearsalError as exc:
        print(f"rehearsal failed: {exc}", file=sys.stderr)
        return 1
    print(line)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
