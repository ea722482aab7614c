"""SFT with LLaMA-Factory (blog §SFT): full fine-tuning, 3 epochs, global batch 128, cutoff 2048, cosine schedule,
warmup ratio 0.1, learning rate per target (Llama-3.1-8B 5e-6, Qwen-2.5-7B 2e-6, Gemma-2-9B 2e-6, Llama-3.2 5e-6).

The stage writes the LLaMA-Factory YAML it runs (``llamafactory_sft.yaml``) into its folder, so the exact training
config is inspectable and rerunnable with ``llamafactory-cli train``. One process (CPU or one GPU) runs in-process
through ``llamafactory.train.tuner.run_exp``; several GPUs run ``llamafactory-cli train`` under torchrun
(``FORCE_TORCHRUN=1``; ``NNODES``/``NODE_RANK``/``MASTER_ADDR`` from the environment for multi-node), with the
DeepSpeed config named by ``sft.deepspeed``.

Before anything trains, the launch's world size is checked against the recipe (``training.global_batch``):
per-device × accumulation × world size must equal ``sft.global_batch_size`` (128 in the blog), else the stage stops
with one line naming the three numbers.
"""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import yaml

from fusechat.recipe import REPO_ROOT, SFTConfig
from fusechat.run_layout import MODEL_SUBDIR, SFT_NAME
from fusechat.stage_runner import Counts, StageContext, StageError, StageResult
from fusechat.tiny_world import resolve, settings_from
from training.global_batch import (
    check_global_batch,
    grad_accum,
    in_process_world_size,
    llamafactory_world_size,
    visible_accelerators,
)


def launch_world_size(cfg: SFTConfig, env: Mapping[str, str], devices: int) -> int:
    """The world size this stage's launch will have: ``llamafactory-cli`` under torchrun when ``sft.num_gpus > 1``
    (``NNODES`` × ``NPROC_PER_NODE``, per node by default every visible GPU), else this one process."""
    if cfg.num_gpus > 1:
        return llamafactory_world_size(env, devices)
    return in_process_world_size(env, devices)


def check_sft_batch(cfg: SFTConfig, env: Mapping[str, str], devices: int) -> None:
    """Blog §SFT: global batch 128. Stops (one line) when the launch would train with another batch."""
    accumulation = grad_accum(cfg.global_batch_size, cfg.per_device_train_batch_size, cfg.num_gpus)
    check_global_batch("sft", cfg.per_device_train_batch_size, accumulation, launch_world_size(cfg, env, devices),
                       cfg.global_batch_size, cfg.num_gpus)


def llamafactory_args(cfg: SFTConfig, model_path: str, dataset_dir: Path, output_dir: Path, seed: int) -> dict[str, Any]:
    args: dict[str, Any] = {
        "model_name_or_path": model_path,
        "stage": "sft",
        "do_train": True,
        "finetuning_type": "full",
        "dataset": SFT_NAME,
        "dataset_dir": str(dataset_dir),
        "template": cfg.template,
        "cutoff_len": cfg.cutoff_len,
        "packing": cfg.packing,
        "train_on_prompt": cfg.train_on_prompt,
        "overwrite_cache": True,
        "preprocessing_num_workers": 1 if cfg.num_gpus == 1 else 16,
        "dataloader_num_workers": 0,
        "output_dir": str(output_dir),
        "overwrite_output_dir": True,
        "logging_steps": 1,
        "save_strategy": "no",
        "plot_loss": False,
        "report_to": "none",
        "per_device_train_batch_size": cfg.per_device_train_batch_size,
        "gradient_accumulation_steps": grad_accum(cfg.global_batch_size, cfg.per_device_train_batch_size,
                                                  cfg.num_gpus),
        "learning_rate": cfg.learning_rate,
        "num_train_epochs": cfg.num_train_epochs,
        "lr_scheduler_type": cfg.lr_scheduler_type,
        "warmup_ratio": cfg.warmup_ratio,
        "bf16": cfg.bf16,
        "seed": seed,
    }
    if cfg.deepspeed:
        ds = Path(cfg.deepspeed)
        args["deepspeed"] = str(ds if ds.is_absolute() else REPO_ROOT / ds)
    args.update(cfg.extra)
    return args


def run(ctx: StageContext) -> StageResult:
    recipe = ctx.recipe
    cfg = recipe.sft
    world = settings_from(recipe.world)
    # FuseChat-3.0 reads the export stage (depth 2: the released data, same layout); WRPO reads its split stage (SFT
    # on y_ws); all in LLaMA-Factory format.
    source = next(s for s in ("export", "release_data", "wrpo_split") if s in ctx.input_dirs)
    dataset_dir = ctx.input(source) / "llamafactory"
    n_rows = sum(1 for _ in (dataset_dir / f"{SFT_NAME}.jsonl").open())
    if n_rows == 0:
        raise StageError(f"{dataset_dir / (SFT_NAME + '.jsonl')}: no SFT rows to train on")
    check_sft_batch(cfg, os.environ, visible_accelerators())
    out_model = ctx.out_dir / MODEL_SUBDIR
    args = llamafactory_args(cfg, resolve(cfg.model, world), dataset_dir, out_model, recipe.run.seed)
    cfg_path = ctx.out_dir / "llamafactory_sft.yaml"
    cfg_path.write_text(yaml.safe_dump(args, sort_keys=False))
    if cfg.num_gpus > 1:
        # this environment's launchers first on PATH (llamafactory-cli, and the torchrun it starts): an unactivated
        # venv's bin/ is not on PATH
        path = os.pathsep.join([str(Path(sys.executable).parent), os.environ.get("PATH", "")])
        env = {**os.environ, "FORCE_TORCHRUN": "1", "PATH": path}
        subprocess.run(["llamafactory-cli", "train", str(cfg_path)], check=True, env=env)
    else:
        from llamafactory.train.tuner import run_exp

        run_exp(args)
    if not (out_model / "config.json").exists():
        raise StageError(f"LLaMA-Factory finished without writing a model to {out_model}")
    stats = _train_stats(out_model)
    return StageResult([Counts("sft rows", n_rows, n_rows)], stats)


def _train_stats(out_model: Path) -> dict[str, Any]:
    import json

    stats: dict[str, Any] = {"model_dir": str(out_model)}
    for name in ("train_results.json", "all_results.json"):
        p = out_model / name
        if p.exists():
            stats.update({k: v for k, v in json.loads(p.read_text()).items() if isinstance(v, int | float)})
            break
    return stats
