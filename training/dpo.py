"""DPO and length-normalised DPO with TRL's ``DPOTrainer`` (blog §DPO), alignment-handbook-style recipes.

Paper settings: 1 epoch, global batch 128, max length 2048, cosine schedule, warmup ratio 0.1, a checkpoint every
100 steps; the reference model is the SFT checkpoint. Llama targets use LN-DPO (β = 10; lr 8e-7 for 3.1-8B, 1e-6 for
3.2-1B/3B); Qwen-2.5-7B (lr 3e-7) and Gemma-2-9B (lr 5e-7) use standard DPO with β = 0.01.

Why not alignment-handbook itself: version 0.3.0 cannot be imported offline and pins protobuf<=3.20.2
(research/packages.md §2); its ``run_dpo.py`` is a thin driver of the same ``DPOTrainer``, which we call directly.

LN-DPO on TRL 0.24 (no built-in ``sigmoid_norm``): ``LengthNormalizedDPOTrainer`` divides the summed completion
log-probs of policy *and* reference by the completion token count after truncation, then TRL's sigmoid loss gives
exactly ``training.losses.ln_dpo_loss``.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING, Any

from fusechat.recipe import DPOConfig
from fusechat.stage import Counts, StageContext, StageError, StageResult
from training.sft import MODEL_SUBDIR, grad_accum

if TYPE_CHECKING:
    import torch
    from trl import DPOConfig as TRLDPOConfig


def completion_lengths(completion_mask: torch.Tensor, prompt_mask: torch.Tensor, max_length: int | None,
                       truncation_mode: str) -> torch.Tensor:
    """Completion tokens that survive TRL's ``max_length`` truncation of prompt+completion (≥ 1).

    ``keep_end`` drops tokens from the start (the prompt first), so min(|y|, max_length) completion tokens remain;
    ``keep_start`` drops from the end, so max_length − |x| of the completion remain.
    """
    import torch

    c = completion_mask.sum(-1)
    if max_length is not None:
        if truncation_mode == "keep_end":
            c = c.clamp(max=max_length)
        else:
            c = torch.minimum(c, (max_length - prompt_mask.sum(-1)).clamp(min=0))
    return c.clamp(min=1)


def length_normalized_trainer_class() -> type:
    """``LengthNormalizedDPOTrainer``: TRL ``DPOTrainer`` whose log-probs are per-token averages (blog LN-DPO),
    for policy and reference alike. Built on first use so importing this module does not import TRL."""
    from trl import DPOTrainer

    class LengthNormalizedDPOTrainer(DPOTrainer):
        def concatenated_forward(self, model, batch, is_ref_model: bool = False):  # type: ignore[override]
            out = super().concatenated_forward(model, batch, is_ref_model=is_ref_model)
            for side in ("chosen", "rejected"):
                out[f"{side}_logps"] = normalize_logps(out[f"{side}_logps"], batch, side, self.args)
            return out

    return LengthNormalizedDPOTrainer


def normalize_logps(logps: torch.Tensor, batch: dict, side: str, args) -> torch.Tensor:
    """Summed completion log-probs → per-token average over the completion tokens TRL kept."""
    lengths = completion_lengths(batch[f"{side}_attention_mask"], batch["prompt_attention_mask"],
                                 args.max_length, args.truncation_mode)
    return logps / lengths.to(logps.dtype)


def trl_config(cfg: DPOConfig, output_dir: Path, seed: int) -> TRLDPOConfig:
    import torch
    from trl import DPOConfig as TRLDPOConfig

    use_cpu = not torch.cuda.is_available()
    kwargs: dict[str, Any] = dict(
        output_dir=str(output_dir),
        beta=cfg.beta,
        loss_type="sigmoid",
        learning_rate=cfg.learning_rate,
        num_train_epochs=cfg.num_train_epochs,
        per_device_train_batch_size=cfg.per_device_train_batch_size,
        gradient_accumulation_steps=grad_accum(cfg.global_batch_size, cfg.per_device_train_batch_size, cfg.num_gpus),
        max_length=cfg.max_length,
        max_prompt_length=cfg.max_prompt_length,
        lr_scheduler_type=cfg.lr_scheduler_type,
        warmup_ratio=cfg.warmup_ratio,
        save_strategy="steps",
        save_steps=cfg.save_steps,
        save_only_model=True,
        bf16=cfg.bf16 and not use_cpu,
        gradient_checkpointing=cfg.gradient_checkpointing,
        gradient_checkpointing_kwargs={"use_reentrant": False} if cfg.gradient_checkpointing else None,
        logging_steps=1,
        report_to="none",
        seed=seed,
        use_cpu=use_cpu,
        dataloader_num_workers=0,
    )
    kwargs.update(cfg.extra)
    return TRLDPOConfig(**kwargs)


def run(ctx: StageContext) -> StageResult:
    import torch
    from datasets import load_dataset
    from transformers import AutoModelForCausalLM, AutoTokenizer
    from trl import DPOTrainer

    cfg = ctx.recipe.dpo
    data_file = ctx.input("export") / "trl" / "dpo.jsonl"
    sft_model = ctx.input("sft") / MODEL_SUBDIR
    n_pairs = sum(1 for _ in data_file.open())
    if n_pairs == 0:
        raise StageError(f"{data_file}: no preference pairs to train on")
    dataset = load_dataset("json", data_files=str(data_file), split="train")
    tok = AutoTokenizer.from_pretrained(sft_model)
    if tok.pad_token is None:
        tok.pad_token = tok.eos_token
    dtype = torch.bfloat16 if (cfg.bf16 and torch.cuda.is_available()) else torch.float32
    model = AutoModelForCausalLM.from_pretrained(sft_model, torch_dtype=dtype)
    trainer_cls = length_normalized_trainer_class() if cfg.length_normalized else DPOTrainer
    args = trl_config(cfg, ctx.out_dir / "checkpoints", ctx.recipe.run.seed)
    (ctx.out_dir / "trl_dpo_config.json").write_text(json.dumps(args.to_dict(), indent=2, default=str))
    trainer = trainer_cls(model=model, ref_model=None, args=args, train_dataset=dataset, processing_class=tok)
    result = trainer.train()
    out_model = ctx.out_dir / MODEL_SUBDIR
    trainer.save_model(str(out_model))
    tok.save_pretrained(out_model)
    last = [h for h in trainer.state.log_history if "loss" in h]
    stats: dict[str, Any] = {
        "trainer": trainer_cls.__name__, "length_normalized": cfg.length_normalized, "beta": cfg.beta,
        "train_loss": result.training_loss, "global_steps": trainer.state.global_step,
        "last_log": last[-1] if last else None, "model_dir": str(out_model),
    }
    return StageResult([Counts("dpo pairs", n_pairs, n_pairs)], stats)
