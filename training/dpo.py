"""Preference optimisation by name with TRL: ``dpo.loss: dpo | ln_dpo | ipo | simpo | wrpo`` (one dispatch,
``TRAINERS``), alignment-handbook-style recipes, the blog's "best of the last two checkpoints" (the last two saved,
the final model included), and a launch guard on the global batch.

Paper settings (FuseChat-3.0 blog §DPO): 1 epoch, global batch 128, max length 2048, cosine schedule, warmup ratio
0.1, a checkpoint every 100 steps, the better of the last two reported; the reference model is the SFT checkpoint.
Llama targets use LN-DPO (β = 10; lr 8e-7 for 3.1-8B, 1e-6 for 3.2-1B/3B); Qwen-2.5-7B (lr 3e-7) and Gemma-2-9B
(lr 5e-7) standard DPO with β = 0.01. WRPO (arXiv 2412.03187): lr 3e-7, β 0.01, α_end 0.1, batch 128.

Why not alignment-handbook itself: version 0.3.0 cannot be imported offline and pins protobuf<=3.20.2; its
``run_dpo.py`` is a thin driver of the same ``DPOTrainer``, which we call directly. Each run also writes the
equivalent handbook recipe and data beside its TRL config (``alignment_handbook/``, ``training.handbook_recipe``).

Which trainer runs each loss (``training.losses.LOSSES`` states what each normalises and needs):
- ``dpo``: ``trl.DPOTrainer``, ``loss_type="sigmoid"``;  ``ipo``: ``trl.DPOTrainer``, ``loss_type="ipo"``;
- ``ln_dpo``: ``LengthNormalizedDPOTrainer`` (TRL 0.24 has no built-in LN-DPO): TRL's sigmoid loss on the
  summed completion log-probs of policy *and* reference divided by the completion tokens scored;
- ``simpo``: ``trl.CPOTrainer`` with ``loss_type="simpo"``, ``cpo_alpha=0`` (pure SimPO, no reference model);
- ``wrpo``: ``training.wrpo.WRPOTrainer`` (a ``DPOTrainer`` subclass) on rows chosen=[y_ws, y_wt], rejected=[y_l].

Long rows: every reference-based trainer here tokenises as TRL 0.24 does and then truncates each row as the
authors' trainers did (``training.truncation``; TRL 0.9.6 / WRPO: the prompt to ``max_prompt_length`` first, then
the responses); ``simpo``'s ``CPOTrainer`` keeps that rule itself.

Recipe keys named like TRL config fields reach TRL's config object under the same name (``trl_config``).
"""

from __future__ import annotations

import json
import os
import random
import shutil
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

from fusechat.recipe import DPOConfig
from fusechat.run_layout import MODEL_SUBDIR
from fusechat.stage_runner import Counts, StageContext, StageError, StageResult
from training.global_batch import check_global_batch as check_batch
from training.global_batch import grad_accum, in_process_world_size, visible_accelerators
from training.handbook_recipe import write_handbook_recipe
from training.losses import LOSSES  # also the dpo stage's hook (fusechat/stage_table.py HOOKS)

if TYPE_CHECKING:
    import torch

#: Recipe keys that are not TRL config fields (the rest of ``dpo`` is passed to TRL by name).
RECIPE_ONLY = frozenset({"loss", "global_batch_size", "num_gpus", "checkpoint_choice", "checkpoint_criterion",
                         "checkpoint_heldout_fraction"})
#: TRL options each loss fixes (``loss_type`` and friends).
FIXED: dict[str, dict[str, Any]] = {
    "dpo": {"loss_type": "sigmoid"},
    "ln_dpo": {"loss_type": "sigmoid"},
    "ipo": {"loss_type": "ipo"},
    "simpo": {"loss_type": "simpo", "cpo_alpha": 0.0},
    "wrpo": {"loss_type": "sigmoid"},
}


def upstream_truncation(base: type) -> type:
    """``base`` (TRL 0.24's ``DPOTrainer`` or a subclass) tokenising exactly as TRL does, then truncating each row as
    the authors' trainers did (``training.truncation``: the prompt to ``max_prompt_length`` first, then every response
    to ``max_length − max_prompt_length``), instead of TRL 0.24's batch-level cut of the whole sequence."""
    from accelerate import PartialState

    from training.truncation import ArgsView, truncate_row

    class UpstreamTruncation(base):  # type: ignore[misc, valid-type]
        def _prepare_dataset(self, dataset, processing_class, args, dataset_name):  # type: ignore[override]
            whole = super()._prepare_dataset(dataset, processing_class,
                                             ArgsView(args, max_prompt_length=None, max_completion_length=None),
                                             dataset_name)
            with PartialState().main_process_first():
                return whole.map(truncate_row, fn_kwargs={
                    "max_length": args.max_length, "max_prompt_length": args.max_prompt_length,
                    "truncation_mode": args.truncation_mode, "max_completion_length": args.max_completion_length},
                    desc=f"Truncating {dataset_name} rows as the upstream trainers do")

    UpstreamTruncation.__name__ = UpstreamTruncation.__qualname__ = f"UpstreamTruncation{base.__name__}"
    return UpstreamTruncation


def scored_completion_tokens(batch: dict, side: str, max_length: int | None) -> torch.Tensor:
    """Completion tokens scored for each row: all of them, since ``upstream_truncation`` leaves every row within
    ``max_length`` (TRL's own batch cut then removes nothing) and each response follows at least one prompt token."""
    prompt, completion = batch["prompt_attention_mask"].sum(-1), batch[f"{side}_attention_mask"].sum(-1)
    if max_length is not None and bool((prompt + completion > max_length).any()):
        raise ValueError(f"a {side} row is longer than max_length={max_length}: rows must be truncated before TRL's "
                         "batch cut (training.truncation), or the LN-DPO normaliser would count unscored tokens")
    if bool((prompt == 0).any()):
        raise ValueError("a row has an empty prompt: its first response token would not be scored")
    return completion.clamp(min=1)


def length_normalized_trainer_class() -> type:
    """``LengthNormalizedDPOTrainer``: TRL ``DPOTrainer`` (upstream truncation) whose log-probs are per-token averages
    (blog LN-DPO), for policy and reference alike. Built on first use so importing this module does not import TRL."""
    from trl import DPOTrainer

    class LengthNormalizedDPOTrainer(upstream_truncation(DPOTrainer)):  # type: ignore[misc]
        def concatenated_forward(self, model, batch, is_ref_model: bool = False):  # type: ignore[override]
            out = super().concatenated_forward(model, batch, is_ref_model=is_ref_model)
            for side in ("chosen", "rejected"):
                out[f"{side}_logps"] = normalize_logps(out[f"{side}_logps"], batch, side, self.args)
            return out

    return LengthNormalizedDPOTrainer


def normalize_logps(logps: torch.Tensor, batch: dict, side: str, args) -> torch.Tensor:
    """Summed completion log-probs → per-token average over exactly the completion tokens scored."""
    return logps / scored_completion_tokens(batch, side, args.max_length).to(logps.dtype)


def _dpo() -> tuple[type, type]:
    from trl import DPOConfig as Cfg
    from trl import DPOTrainer

    return upstream_truncation(DPOTrainer), Cfg


def _ln_dpo() -> tuple[type, type]:
    from trl import DPOConfig as Cfg

    return length_normalized_trainer_class(), Cfg


def _simpo() -> tuple[type, type]:
    from trl import CPOConfig, CPOTrainer

    return CPOTrainer, CPOConfig


def _wrpo() -> tuple[type, type]:
    from training.wrpo import WRPOConfig, WRPOTrainer

    return WRPOTrainer, WRPOConfig


#: The one dispatch: loss name -> (trainer class, TRL config class), imported on first use.
TRAINERS: dict[str, Callable[[], tuple[type, type]]] = {
    "dpo": _dpo, "ln_dpo": _ln_dpo, "ipo": _dpo, "simpo": _simpo, "wrpo": _wrpo,
}


def trl_config(cfg: DPOConfig, output_dir: Path, seed: int, *, with_eval: bool = False) -> Any:
    """The TRL config object for ``cfg.loss``: every recipe key that is a field of that config class, by name,
    plus the loss's fixed options, the accumulation that makes the global batch, and run plumbing."""
    import dataclasses

    import torch

    _, config_cls = TRAINERS[cfg.loss]()
    fields = {f.name for f in dataclasses.fields(config_cls)}
    use_cpu = not torch.cuda.is_available()
    kwargs: dict[str, Any] = dict(
        output_dir=str(output_dir),
        gradient_accumulation_steps=grad_accum(cfg.global_batch_size, cfg.per_device_train_batch_size, cfg.num_gpus),
        save_strategy="steps",
        save_only_model=True,
        logging_steps=1,
        report_to="none",
        seed=seed,
        use_cpu=use_cpu,
        dataloader_num_workers=0,
    )
    recipe = cfg.model_dump()
    kwargs.update({k: v for k, v in recipe.items() if k not in RECIPE_ONLY and k in fields})
    kwargs.update(FIXED[cfg.loss])
    kwargs["bf16"] = cfg.bf16 and not use_cpu
    if cfg.gradient_checkpointing and "gradient_checkpointing_kwargs" not in recipe:
        kwargs["gradient_checkpointing_kwargs"] = {"use_reentrant": False}
    if with_eval:  # score every checkpoint on the held-out split, at the checkpoint's own step
        kwargs.update(eval_strategy="steps", eval_steps=cfg.save_steps)
        kwargs.setdefault("per_device_eval_batch_size", cfg.per_device_train_batch_size)
    return config_cls(**kwargs)


def check_global_batch(cfg: DPOConfig, gradient_accumulation_steps: int, world_size: int) -> None:
    """The paper's global batch must be what actually runs: per-device × accumulation × world size."""
    check_batch("dpo", cfg.per_device_train_batch_size, gradient_accumulation_steps, world_size,
                cfg.global_batch_size, cfg.num_gpus)


def heldout_split(n_rows: int, fraction: float, seed: int) -> tuple[list[int], list[int]]:
    """Seeded (train, held-out) row indices; at least one row each side."""
    n_out = min(max(1, round(n_rows * fraction)), n_rows - 1)
    order = list(range(n_rows))
    random.Random(seed).shuffle(order)
    return sorted(order[n_out:]), sorted(order[:n_out])


def saved_steps(save_steps: int, final_step: int) -> list[int]:
    """Steps with a saved checkpoint: every ``save_steps`` (transformers' ``save_strategy="steps"``) and the final
    model, which transformers also saves at the end of training."""
    return sorted({*range(save_steps, final_step + 1, save_steps), final_step}) if final_step > 0 else []


def choose_checkpoint(log_history: list[dict[str, Any]], save_steps: int, final_step: int,
                      criterion: str) -> tuple[int, list[dict[str, Any]]]:
    """The blog's "better of the last two checkpoints": the last two *saved* checkpoints, the final model included
    (``saved_steps``), each scored by the held-out metric TRL logged at that step (``eval_<criterion>``). Higher is
    better except for ``loss``; a tie goes to the later checkpoint. Returns (chosen step, candidates with scores)."""
    grid = saved_steps(save_steps, final_step)[-2:]
    if len(grid) < 2:
        raise StageError(f"dpo: {final_step} step(s) save fewer than two checkpoints (save_steps={save_steps}); "
                         "lower dpo.save_steps or use dpo.checkpoint_choice=last")
    key = f"eval_{criterion}"
    scores = {h["step"]: h for h in log_history if key in h}
    candidates = []
    for step in grid:
        if step not in scores:
            raise StageError(f"dpo: no held-out {key} logged at checkpoint step {step}")
        h = scores[step]
        candidates.append({"step": step, "score": h[key], "eval_loss": h.get("eval_loss"),
                           "eval_rewards/accuracies": h.get("eval_rewards/accuracies"),
                           "eval_rewards/margins": h.get("eval_rewards/margins")})
    sign = -1.0 if criterion == "loss" else 1.0
    best = max(candidates, key=lambda c: (sign * c["score"], c["step"]))
    return best["step"], candidates


def evaluate_final_model(trainer: Any, save_steps: int) -> None:
    """Score the final model on the held-out split when its step is off the eval grid (transformers evaluates only
    every ``eval_steps``, but saves the final model too): logged at the final step like the others."""
    if trainer.state.global_step % save_steps:
        trainer.evaluate()


def build_trainer(loss: str, init_model: Path | str, args: Any, train_dataset: Any, eval_dataset: Any,
                  tokenizer: Any, dtype: Any, ref_init: Path | str | None = None) -> Any:
    """The loss's trainer on the policy loaded from ``init_model``; a loss with a reference model gets π_ref loaded
    from the same checkpoint as a second, explicit model (the papers' π_ref is the SFT model).

    TRL's fallback (no ``ref_model``: ``create_reference_model`` deep-copies the policy) is refused under DeepSpeed
    ZeRO-3, whose parameters are partitioned; TRL prepares an explicitly loaded reference for ZeRO-3 itself
    (``_prepare_deepspeed``), as alignment-handbook's ``run_dpo.py`` and the WRPO authors' ``run_wrpo.py`` do.
    Built after ``args`` so that, under ZeRO-3, ``from_pretrained`` partitions the weights as it loads them.
    SimPO has no reference model. ``ref_init`` (tests only) loads π_ref from another checkpoint.
    """
    from transformers import AutoModelForCausalLM

    trainer_cls, _ = TRAINERS[loss]()
    model = AutoModelForCausalLM.from_pretrained(init_model, torch_dtype=dtype)
    extra: dict[str, Any] = {}
    if LOSSES[loss].reference_model:
        extra["ref_model"] = AutoModelForCausalLM.from_pretrained(ref_init or init_model, torch_dtype=dtype)
    return trainer_cls(model=model, args=args, train_dataset=train_dataset, eval_dataset=eval_dataset,
                       processing_class=tokenizer, **extra)


def data_file(ctx: StageContext) -> Path:
    """Pairs from the FuseChat-3.0 export, or WRPO rows from the WRPO build, whichever the pipeline wired in."""
    if "wrpo_build" in ctx.input_dirs:
        name = "wrpo.jsonl" if LOSSES[ctx.recipe.dpo.loss].data == "multi_chosen" else "pairs.jsonl"
        return ctx.input("wrpo_build") / "trl" / name
    # the build's export, or (depth 2) the released data written in the export's layout
    return ctx.input("release_data" if "release_data" in ctx.input_dirs else "export") / "trl" / "dpo.jsonl"


def _check_data(cfg: DPOConfig, path: Path, first: dict[str, Any]) -> None:
    need = LOSSES[cfg.loss].data
    multi = isinstance(first.get("chosen"), list) and len(first["chosen"]) == 2 and isinstance(
        first["chosen"][0], list | str) and not isinstance(first["chosen"][0], dict)
    if (need == "multi_chosen") != multi:
        want = "chosen=[y_ws, y_wt], rejected=[y_l]" if need == "multi_chosen" else "one chosen and one rejected"
        raise StageError(f"{path}: row 0: dpo.loss={cfg.loss} needs rows with {want}")


def run(ctx: StageContext) -> StageResult:
    import torch
    from datasets import load_dataset
    from transformers import AutoTokenizer

    cfg = ctx.recipe.dpo
    path = data_file(ctx)
    wrpo = ctx.recipe.wrpo
    if wrpo is not None and wrpo.preference_init == "target":  # the Target-DPO/IPO/SimPO rows: no SFT
        from fusechat.tiny_world import resolve, settings_from

        sft_model: Path | str = resolve(ctx.recipe.sft.model, settings_from(ctx.recipe.world))
    else:
        sft_model = ctx.input("sft") / MODEL_SUBDIR
    lines = path.read_text(encoding="utf-8").splitlines()
    if not lines:
        raise StageError(f"{path}: no preference rows to train on")
    _check_data(cfg, path, json.loads(lines[0]))
    dataset = load_dataset("json", data_files=str(path), split="train")
    best_of_two = cfg.checkpoint_choice == "best_of_last_two"
    eval_dataset = None
    n_heldout = 0
    if best_of_two:
        if len(dataset) < 2:
            raise StageError(f"{path}: {len(dataset)} row(s); best_of_last_two needs a held-out split")
        train_idx, held_idx = heldout_split(len(dataset), cfg.checkpoint_heldout_fraction, ctx.recipe.run.seed)
        dataset, eval_dataset = dataset.select(train_idx), dataset.select(held_idx)
        n_heldout = len(held_idx)
    # The guard runs before TRL's config object exists: building it already sets up the distributed state.
    check_global_batch(cfg, grad_accum(cfg.global_batch_size, cfg.per_device_train_batch_size, cfg.num_gpus),
                       in_process_world_size(os.environ, visible_accelerators()))
    trainer_cls, _ = TRAINERS[cfg.loss]()
    args = trl_config(cfg, ctx.out_dir / "checkpoints", ctx.recipe.run.seed, with_eval=best_of_two)
    (ctx.out_dir / "trl_config.json").write_text(json.dumps(
        {"class": type(args).__name__, **args.to_dict()}, indent=2, default=str))
    if os.environ.get("RANK", "0") == "0":  # one writer under a multi-process launch
        write_handbook_recipe(ctx.out_dir / "alignment_handbook", cfg, args.to_dict(), str(sft_model), {
            "train": dataset.to_list(),
            # the handbook's drivers need a test split; with no held-out rows it is the first row, not trained on
            "test": eval_dataset.to_list() if eval_dataset is not None else dataset.select([0]).to_list()})
    from fusechat.generation import pin_chat_date  # no date of the run in DPO prompts

    tok = pin_chat_date(AutoTokenizer.from_pretrained(sft_model))
    if tok.pad_token is None:
        tok.pad_token = tok.eos_token
    dtype = torch.bfloat16 if (cfg.bf16 and torch.cuda.is_available()) else torch.float32
    trainer = build_trainer(cfg.loss, sft_model, args, dataset, eval_dataset, tok, dtype)
    result = trainer.train()
    out_model = ctx.out_dir / MODEL_SUBDIR
    history = trainer.state.log_history
    stats: dict[str, Any] = {
        "trainer": trainer_cls.__name__, "loss": cfg.loss, "length_normalised": LOSSES[cfg.loss].length_normalised,
        "beta": cfg.beta, "train_loss": result.training_loss, "global_steps": trainer.state.global_step,
        "checkpoint_choice": cfg.checkpoint_choice, "heldout_rows": n_heldout,
    }
    if best_of_two:
        evaluate_final_model(trainer, cfg.save_steps)  # appends to ``history`` (the same list)
        step, candidates = choose_checkpoint(history, cfg.save_steps, trainer.state.global_step,
                                             cfg.checkpoint_criterion)
        chosen = ctx.out_dir / "checkpoints" / f"checkpoint-{step}"
        if not (chosen / "config.json").exists():
            raise StageError(f"dpo: chosen checkpoint {chosen} has no model files")
        if trainer.is_world_process_zero():  # one copy, by the main process (every rank runs this body)
            shutil.copytree(chosen, out_model, ignore=shutil.ignore_patterns("rng_state*", "trainer_state.json",
                                                                              "training_args.bin"),
                            dirs_exist_ok=True)  # a resumed stage may hold a partial copy
        stats.update(checkpoint_criterion=cfg.checkpoint_criterion, checkpoint_candidates=candidates,
                     chosen_checkpoint=step)
    else:
        trainer.save_model(str(out_model))
    tok.save_pretrained(out_model)
    stats["init_model"] = str(sft_model)
    train_logs = [h for h in history if "loss" in h]
    stats["last_log"] = train_logs[-1] if train_logs else None
    if cfg.loss == "wrpo":
        stats["alpha_by_step"] = {h["step"]: h["alpha"] for h in train_logs if "alpha" in h}
        stats["alpha_after_training"] = trainer.current_alpha()
    (ctx.out_dir / "log_history.json").write_text(json.dumps(history, indent=1))
    n_rows = len(lines)
    counts = [Counts("preference rows", n_rows, n_rows - n_heldout, {"heldout_for_checkpoint_choice": n_heldout}
                     if n_heldout else {})]
    return StageResult(counts, stats)
