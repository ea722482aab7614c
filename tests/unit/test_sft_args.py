"""The LLaMA-Factory SFT arguments, parsed by LLaMA-Factory itself (``get_train_args``): each of the blog's SFT
hyperparameters (blog "SFT": 3 epochs, batch 128, maximum length 2,048, cosine schedule, warmup 0.1, the
per-target learning rate) must reach LLaMA-Factory's own config objects for every target recipe."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from data_construction.export import dataset_info
from fusechat.recipe import REPO_ROOT, load_recipe
from fusechat.run_layout import SFT_NAME
from fusechat.stage_runner import StageError
from training.sft import grad_accum, llamafactory_args

# blog "SFT" learning-rate table; the template is ours (the family's own LLaMA-Factory template)
TARGETS = {"llama31_8b": (5e-6, "llama3"), "qwen25_7b": (2e-6, "qwen"), "gemma2_9b": (2e-6, "gemma2"),
           "llama32_3b": (5e-6, "llama3"), "llama32_1b": (5e-6, "llama3")}


def _parsed(args: dict, monkeypatch: pytest.MonkeyPatch) -> tuple:
    """LLaMA-Factory's parse of ``args`` on this CPU box: bf16 is declared available (the check is about the GPU
    the real run has) and DeepSpeed, which is not installed here, is checked separately."""
    import transformers.training_args as ta
    from llamafactory.hparams import get_train_args

    monkeypatch.setattr(ta, "is_torch_bf16_gpu_available", lambda: True)
    # TrainingArguments(bf16=True) writes ACCELERATE_MIXED_PRECISION=bf16 into os.environ; registering the variable
    # with monkeypatch restores it afterwards, so later trainers in this process do not autocast to bf16 on CPU
    monkeypatch.setenv("ACCELERATE_MIXED_PRECISION", os.environ.get("ACCELERATE_MIXED_PRECISION", "no"))
    return get_train_args({k: v for k, v in args.items() if k != "deepspeed"})


@pytest.mark.parametrize("target", sorted(TARGETS))
def test_paper_hyperparameters_reach_llamafactory(target: str, tmp_path: Path,
                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    lr, template = TARGETS[target]
    recipe = load_recipe(REPO_ROOT / "recipes" / f"{target}.yaml")
    (tmp_path / "data").mkdir()
    (tmp_path / "data" / "dataset_info.json").write_text(json.dumps(dataset_info()))
    args = llamafactory_args(recipe.sft, recipe.sft.model, tmp_path / "data", tmp_path / "out", recipe.run.seed)
    model_args, data_args, train_args, ft_args, _ = _parsed(args, monkeypatch)

    assert train_args.learning_rate == lr
    assert train_args.num_train_epochs == 3
    assert train_args.per_device_train_batch_size * train_args.gradient_accumulation_steps * recipe.sft.num_gpus == 128
    assert data_args.cutoff_len == 2048
    assert str(train_args.lr_scheduler_type.value) == "cosine" and train_args.warmup_ratio == 0.1
    assert train_args.bf16 and train_args.seed == recipe.run.seed == 42
    assert (ft_args.stage, ft_args.finetuning_type) == ("sft", "full")
    assert data_args.template == template and data_args.dataset == [SFT_NAME]
    assert model_args.model_name_or_path == recipe.sft.model
    assert Path(train_args.output_dir) == tmp_path / "out"

    zero = json.loads(Path(args["deepspeed"]).read_text())  # recipes name a ZeRO-3 config that exists
    assert zero["zero_optimization"]["stage"] == 3 and zero["gradient_accumulation_steps"] == "auto"


def test_recipe_overrides_and_extra_reach_llamafactory(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    recipe = load_recipe(REPO_ROOT / "recipes" / "llama31_8b.yaml",
                         ["sft.learning_rate=1e-5", "sft.num_gpus=4", "sft.extra={max_grad_norm: 0.5}"])
    args = llamafactory_args(recipe.sft, recipe.sft.model, tmp_path, tmp_path / "out", 7)
    _, _, train_args, _, _ = _parsed(args, monkeypatch)
    assert train_args.learning_rate == 1e-5 and train_args.max_grad_norm == 0.5 and train_args.seed == 7
    assert train_args.gradient_accumulation_steps == 16  # 2 per device × 4 GPUs × 16 = 128


def test_global_batch_must_divide() -> None:
    assert grad_accum(128, 2, 8) == 8 and grad_accum(128, 4, 1) == 32
    with pytest.raises(StageError, match="not a multiple"):
        grad_accum(128, 3, 8)


def _sft_context(tmp_path: Path, *overrides: str):
    from fusechat.stage_runner import StageContext
    from fusechat.stage_table import STAGES

    recipe = load_recipe(REPO_ROOT / "recipes" / "llama31_8b.yaml", [f"run.dir={tmp_path}", *overrides])
    data = tmp_path / "export" / "llamafactory"
    data.mkdir(parents=True)
    (data / f"{SFT_NAME}.jsonl").write_text(json.dumps({"conversations": []}) + "\n")
    (tmp_path / "sft").mkdir()
    return StageContext(STAGES["sft"], recipe, tmp_path / "sft", {"export": tmp_path / "export"})


@pytest.mark.parametrize(("env", "devices", "world"), [
    ({}, 4, 4),                                      # a 4-GPU node: LLaMA-Factory starts 4 processes, not 8
    ({"NNODES": "2", "NPROC_PER_NODE": "8"}, 8, 16),  # two 8-GPU nodes for an 8-GPU recipe
    ({"NPROC_PER_NODE": "2"}, 8, 2),
])
def test_sft_stops_before_launch_when_world_size_changes_the_global_batch(
        env: dict, devices: int, world: int, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Blog: global batch 128 = 2 per device x 8 accumulation x 8 GPUs. Another world size stops the stage with
    one line naming per-device, accumulation and world size, before LLaMA-Factory starts."""
    import subprocess

    from training import sft

    for k in ("NNODES", "NPROC_PER_NODE", "WORLD_SIZE"):
        monkeypatch.delenv(k, raising=False)
    for k, v in env.items():
        monkeypatch.setenv(k, v)
    monkeypatch.setattr(sft, "visible_accelerators", lambda: devices, raising=False)
    monkeypatch.setattr(subprocess, "run", lambda *a, **k: pytest.fail("llamafactory-cli was launched"))
    with pytest.raises(StageError, match=rf"^sft: per-device 2 x accumulation 8 x world size {world} = "
                                         rf"{16 * world}, not the recipe's global batch 128 \(the recipe assumes "
                                         r"sft.num_gpus=8; launch that many processes or change sft.num_gpus\)$"):
        sft.run(_sft_context(tmp_path))


def test_sft_world_size_of_each_launch_path() -> None:
    """llamafactory-cli (num_gpus > 1): NNODES x NPROC_PER_NODE, per node every visible GPU by default; one process
    (num_gpus == 1): the launcher's WORLD_SIZE, else the GPUs transformers' Trainer replicates over (DataParallel)."""
    from training.sft import check_sft_batch, launch_world_size

    eight = load_recipe(REPO_ROOT / "recipes" / "llama31_8b.yaml").sft
    one = load_recipe(REPO_ROOT / "recipes" / "llama31_8b.yaml", ["sft.num_gpus=1"]).sft
    sixteen = load_recipe(REPO_ROOT / "recipes" / "llama31_8b.yaml", ["sft.num_gpus=16"]).sft
    assert launch_world_size(eight, {}, 8) == 8 and launch_world_size(eight, {"NPROC_PER_NODE": "2"}, 0) == 2
    assert launch_world_size(sixteen, {"NNODES": "2", "NPROC_PER_NODE": "8"}, 8) == 16
    assert launch_world_size(one, {}, 0) == 1 and launch_world_size(one, {}, 1) == 1
    assert launch_world_size(one, {}, 8) == 8 and launch_world_size(one, {"WORLD_SIZE": "2"}, 8) == 2
    check_sft_batch(eight, {}, 8)
    check_sft_batch(sixteen, {"NNODES": "2", "NPROC_PER_NODE": "8"}, 8)
    check_sft_batch(one, {}, 0)
    with pytest.raises(StageError, match=r"^sft: per-device 2 x accumulation 64 x world size 8 = 1024, not"):
        check_sft_batch(one, {}, 8)  # one process on an 8-GPU node: DataParallel would train on batch 1024


def test_wrpo_target_sft_packs_and_trains_on_the_whole_text(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """WRPO's run_sft.py (e6f2867): TRL SFTTrainer with packing=True into max_seq_length 2,048 and no completion-only
    collator (loss on the whole text); LLaMA-Factory's packing / train_on_prompt carry both. The FuseChat-3.0
    targets keep LLaMA-Factory's SFT defaults (the blog names neither)."""
    wrpo = load_recipe(REPO_ROOT / "recipes" / "wrpo_llama3_8b.yaml")
    (tmp_path / "data").mkdir()
    (tmp_path / "data" / "dataset_info.json").write_text(json.dumps(dataset_info()))
    args = llamafactory_args(wrpo.sft, wrpo.sft.model, tmp_path / "data", tmp_path / "out", wrpo.run.seed)
    _, data_args, train_args, _, _ = _parsed(args, monkeypatch)
    assert data_args.packing is True and data_args.train_on_prompt is True and data_args.neat_packing is False
    assert data_args.cutoff_len == 2048 - 1  # LLaMA-Factory keeps one slot free when packing (blocks of <= 2,048)
    assert train_args.learning_rate == 7e-6 and train_args.num_train_epochs == 1
    for target in TARGETS:
        sft = load_recipe(REPO_ROOT / "recipes" / f"{target}.yaml").sft
        assert (sft.packing, sft.train_on_prompt) == (False, False)
