"""The recipe → TRL config builder: every paper hyperparameter of every preference recipe lands in TRL's own config
object under TRL's name; extra TRL fields pass through by name; the global-batch guard and the checkpoint choice."""

from __future__ import annotations

import math
from pathlib import Path

import pytest

from fusechat.recipe import RecipeError, load_recipe
from fusechat.stage_runner import StageError
from training.dpo import check_global_batch, choose_checkpoint, heldout_split, saved_steps, trl_config

REPO = Path(__file__).resolve().parents[2]

# recipe, TRL config class, loss_type, lr, beta, accumulation (global 128 / (per-device x GPUs))
PAPER = [
    ("llama31_8b", "DPOConfig", "sigmoid", 8e-7, 10.0, 8),
    ("qwen25_7b", "DPOConfig", "sigmoid", 3e-7, 0.01, 8),
    ("gemma2_9b", "DPOConfig", "sigmoid", 5e-7, 0.01, 8),
    ("llama32_3b", "DPOConfig", "sigmoid", 1e-6, 10.0, 8),
    ("llama32_1b", "DPOConfig", "sigmoid", 1e-6, 10.0, 8),
    ("wrpo_llama3_8b", "WRPOConfig", "sigmoid", 3e-7, 0.01, 8),
    ("wrpo_llama3_8b_target_sft_dpo", "DPOConfig", "sigmoid", None, None, 8),
    ("wrpo_llama3_8b_target_dpo", "DPOConfig", "sigmoid", None, None, 8),
    ("wrpo_llama3_8b_target_ipo", "DPOConfig", "ipo", None, None, 8),
    ("wrpo_llama3_8b_target_simpo", "CPOConfig", "simpo", None, None, 8),
]


@pytest.mark.parametrize(("name", "cls", "loss_type", "lr", "beta", "accum"), PAPER, ids=[p[0] for p in PAPER])
def test_paper_hyperparameters_reach_trl_config(name, cls, loss_type, lr, beta, accum, tmp_path: Path) -> None:
    r = load_recipe(REPO / "recipes" / f"{name}.yaml")
    c = r.dpo
    args = trl_config(c, tmp_path, seed=r.run.seed, with_eval=c.checkpoint_choice == "best_of_last_two")
    assert type(args).__name__ == cls and args.loss_type == loss_type
    if lr is not None:
        assert (args.learning_rate, args.beta) == (lr, beta)
    assert (args.learning_rate, args.beta, args.num_train_epochs) == (c.learning_rate, c.beta, c.num_train_epochs)
    assert (args.per_device_train_batch_size, args.gradient_accumulation_steps) == (c.per_device_train_batch_size,
                                                                                     accum)
    assert c.per_device_train_batch_size * accum * c.num_gpus == c.global_batch_size == 128
    assert (args.max_length, args.max_prompt_length) == (2048, 1800)
    assert (str(args.lr_scheduler_type).split(".")[-1].lower(), args.warmup_ratio) == ("cosine", 0.1)
    assert (args.save_steps, args.seed, args.label_smoothing) == (c.save_steps, 42, c.label_smoothing)
    assert args.gradient_checkpointing is True
    if cls == "CPOConfig":
        assert (args.cpo_alpha, args.simpo_gamma) == (0.0, c.simpo_gamma)
    if cls == "WRPOConfig":
        assert (args.wrpo_alpha, args.wrpo_alpha_schedule) == (0.1, "linear")
    if c.checkpoint_choice == "best_of_last_two":
        assert str(args.eval_strategy).split(".")[-1].lower() == "steps" and args.eval_steps == c.save_steps


def test_extra_trl_fields_pass_through_by_name(tmp_path: Path) -> None:
    r = load_recipe(REPO / "recipes" / "llama31_8b.yaml", ["dpo.optim=adamw_torch", "dpo.truncation_mode=keep_start"])
    args = trl_config(r.dpo, tmp_path, seed=0)
    assert str(args.optim).split(".")[-1].lower() == "adamw_torch" and args.truncation_mode == "keep_start"


def test_unknown_dpo_key_is_a_one_line_recipe_error() -> None:
    with pytest.raises(RecipeError, match=r"llama31_8b.yaml: dpo.betta: unknown key \(neither a recipe key nor a field of trl.DPOConfig\)$"):
        load_recipe(REPO / "recipes" / "llama31_8b.yaml", ["dpo.betta=0.1"])
    with pytest.raises(RecipeError, match=r"dpo.loss_type: unknown key \(set by dpo.loss"):
        load_recipe(REPO / "recipes" / "llama31_8b.yaml", ["dpo.loss_type=ipo"])
    with pytest.raises(RecipeError, match="dpo.loss"):
        load_recipe(REPO / "recipes" / "llama31_8b.yaml", ["dpo.loss=kto"])


def test_global_batch_guard() -> None:
    r = load_recipe(REPO / "recipes" / "llama31_8b.yaml")
    check_global_batch(r.dpo, 8, 8)  # 2 x 8 x 8 = 128
    with pytest.raises(StageError, match=r"2 x accumulation 8 x world size 4 = 64, not the recipe's global batch 128"):
        check_global_batch(r.dpo, 8, 4)


def test_heldout_split_is_seeded_and_disjoint() -> None:
    tr, ho = heldout_split(100, 0.02, seed=42)
    assert len(ho) == 2 and not set(tr) & set(ho) and sorted(tr + ho) == list(range(100))
    assert heldout_split(100, 0.02, seed=42) == (tr, ho) and heldout_split(100, 0.02, seed=1) != (tr, ho)
    assert len(heldout_split(3, 0.01, seed=0)[1]) == 1  # at least one row held out


def test_best_of_last_two_compares_the_last_two_saved_checkpoints_with_the_criterion() -> None:
    hist = [{"step": 100, "eval_rewards/accuracies": 0.9, "eval_loss": 0.2},
            {"step": 200, "eval_rewards/accuracies": 0.7, "eval_loss": 0.5, "eval_rewards/margins": 1.0},
            {"step": 300, "eval_rewards/accuracies": 0.6, "eval_loss": 0.4, "eval_rewards/margins": 2.0},
            {"step": 301, "eval_rewards/accuracies": 0.5, "eval_loss": 0.3, "eval_rewards/margins": 1.5}]
    step, cands = choose_checkpoint(hist, 100, 301, "rewards/accuracies")
    assert step == 300 and [c["step"] for c in cands] == [300, 301]  # the final model (301) is a saved checkpoint
    assert choose_checkpoint(hist, 100, 301, "loss")[0] == 301  # lower loss wins
    assert choose_checkpoint(hist, 100, 301, "rewards/margins")[0] == 300
    assert [c["step"] for c in choose_checkpoint(hist[:3], 100, 300, "loss")[1]] == [200, 300]  # final on the grid
    tie = [{"step": 1, "eval_rewards/accuracies": 0.5}, {"step": 2, "eval_rewards/accuracies": 0.5}]
    assert choose_checkpoint(tie, 1, 2, "rewards/accuracies")[0] == 2  # a tie goes to the later checkpoint
    with pytest.raises(StageError, match="no held-out eval_rewards/accuracies logged at checkpoint step 2"):
        choose_checkpoint(tie[:1], 1, 2, "rewards/accuracies")


def test_best_of_last_two_at_paper_scale_keeps_the_last_fifth_of_training() -> None:
    """Blog: 64,245 DPO pairs, batch 128, a checkpoint every 100 steps, the better of the last two. Less the 2 %
    held out, 62,960 pairs train for ceil(62,960 / 128) = 492 optimiser steps (transformers rounds a partial
    accumulation up); the saved checkpoints are 100, 200, 300, 400 and the final model at 492, so the candidates
    are 400 and 492, not 300 and 400 (which would discard steps 401-492)."""
    r = load_recipe(REPO / "recipes" / "llama31_8b.yaml")
    train, held = heldout_split(64_245, r.dpo.checkpoint_heldout_fraction, r.run.seed)
    assert (len(train), len(held)) == (62_960, 1_285)
    steps = math.ceil(len(train) / r.dpo.global_batch_size)
    assert steps == 492
    assert saved_steps(r.dpo.save_steps, steps) == [100, 200, 300, 400, 492]
    hist = [{"step": s, "eval_rewards/accuracies": 0.7} for s in (100, 200, 300, 400, 492)]
    _, cands = choose_checkpoint(hist, r.dpo.save_steps, steps, r.dpo.checkpoint_criterion)
    assert [c["step"] for c in cands] == [400, 492]
