"""WRPO (Weighted-Reward Preference Optimisation, arXiv 2412.03187) as a subclass of TRL 0.24's ``DPOTrainer``.

Method (the paper, and the authors' code at https://github.com/SLIT-AI/WRPO commit e6f2867, read, not copied):
each row has one prompt, two chosen responses — y_ws from the source models, y_wt from the target's SFT model — and
one rejected response y_l (``chosen = [y_ws, y_wt]``, ``rejected = [y_l]``). With r(y) = β·log π_θ(y|x)/π_ref(y|x)
on *summed* response log-probs and a frozen copy of the SFT model as π_ref,

    L = −log σ( α·r(y_ws) + (1−α)·r(y_wt) − r(y_l) )          (``training.losses.wrpo_loss``)

α rises linearly from 0 to α_end over the T optimiser steps of the run (α = α_end·k/T after k steps, clamped;
``wrpo_alpha_schedule: constant`` keeps α_end throughout); label smoothing as in TRL's sigmoid loss.

What is TRL's and what is ours: tokenisation of each (prompt, response) is TRL's own (``maybe_apply_chat_template``
+ ``DPOTrainer.tokenize_row``); long rows are then truncated as the authors' trainer does (the prompt to
``max_prompt_length`` first, then all three responses to ``max_length − max_prompt_length``; ``training.truncation``),
so TRL's batch-level cut never drops the start of a prompt. The forward pass is TRL's too
(``concatenated_forward``), fed 3·N rows (y_ws, y_wt, y_l) instead of 2·N. The loss, the α schedule and the
metrics are ours. Logged every logging step (TRL log history): ``alpha``, ``rewards/chosen`` (weighted), ``rewards/source_chosen``, ``rewards/target_chosen``,
``rewards/rejected``, ``rewards/margins`` (and source/target margins), ``rewards/accuracies`` (weighted) and the
source and target accuracies.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Literal

import torch
from accelerate import PartialState
from trl import DPOConfig, DPOTrainer
from trl.data_utils import maybe_apply_chat_template
from trl.trainer.dpo_trainer import DataCollatorForPreference
from trl.trainer.utils import pad, pad_to_length

from training.losses import alpha_at, wrpo_loss, wrpo_rewards
from training.truncation import truncate_row


@dataclass
class WRPOConfig(DPOConfig):
    """``trl.DPOConfig`` plus WRPO's two knobs (the authors' ``alpha`` and ``is_dynamic``)."""

    wrpo_alpha: float = field(default=0.1, metadata={"help": "α_end: the final weight of the source response."})
    wrpo_alpha_schedule: str = field(
        default="linear", metadata={"help": "linear (0 → α_end over the optimiser steps) or constant (α_end)."})

    def __post_init__(self) -> None:
        if self.wrpo_alpha_schedule not in ("linear", "constant"):
            raise ValueError(f"wrpo_alpha_schedule must be linear or constant (got {self.wrpo_alpha_schedule!r})")
        if not 0.0 <= self.wrpo_alpha <= 1.0:
            raise ValueError(f"wrpo_alpha must lie in [0, 1] (got {self.wrpo_alpha})")
        super().__post_init__()


@dataclass
class DataCollatorForWRPO(DataCollatorForPreference):
    """TRL's preference collator, plus the target-chosen response y_wt (right-padded like the others)."""

    def torch_call(self, examples: list[dict[str, Any]]) -> dict[str, Any]:
        out = super().torch_call(examples)
        ids = [torch.tensor(e["target_input_ids"]) for e in examples]
        out["target_input_ids"] = pad(ids, padding_value=self.pad_token_id)
        out["target_attention_mask"] = pad([torch.ones_like(t) for t in ids], padding_value=0)
        return out


def tokenize_wrpo_row(row: dict[str, Any], index: int, tokenizer: Any, max_length: int | None,
                      max_prompt_length: int | None, truncation_mode: str = "keep_end",
                      max_completion_length: int | None = None, tools: Any = None) -> dict[str, list[int]]:
    """One WRPO row → prompt / y_ws / y_wt / y_l token ids, each (prompt, response) rendered exactly as TRL renders
    a DPO pair, then truncated as the authors' ``wrpo_trainer.tokenize_row`` truncates the three responses together
    (``training.truncation``). ``chosen`` must hold two responses and ``rejected`` one (message lists or strings)."""
    chosen, rejected = row["chosen"], row["rejected"]
    if not (isinstance(chosen, list) and len(chosen) == 2 and isinstance(rejected, list) and len(rejected) == 1):
        raise ValueError(f"WRPO data row {index}: need chosen=[y_ws, y_wt] and rejected=[y_l] "
                         f"(got {len(chosen) if isinstance(chosen, list) else type(chosen).__name__} chosen, "
                         f"{len(rejected) if isinstance(rejected, list) else type(rejected).__name__} rejected)")
    toks = []
    for y_w in chosen:
        text = maybe_apply_chat_template({"prompt": row["prompt"], "chosen": y_w, "rejected": rejected[0]},
                                         tokenizer, tools)
        toks.append(DPOTrainer.tokenize_row(text, tokenizer, None, None, add_special_tokens=False))
    if toks[0]["prompt_input_ids"] != toks[1]["prompt_input_ids"]:
        raise ValueError(f"WRPO data row {index}: the prompt renders differently next to y_ws and y_wt")
    whole = {"prompt_input_ids": toks[0]["prompt_input_ids"], "chosen_input_ids": toks[0]["chosen_input_ids"],
             "target_input_ids": toks[1]["chosen_input_ids"], "rejected_input_ids": toks[0]["rejected_input_ids"]}
    return truncate_row(whole, max_length, max_prompt_length, truncation_mode, max_completion_length,
                        sides=("chosen", "target", "rejected"))


UNSUPPORTED = {  # DPOConfig options whose code paths assume two completions per row
    "precompute_ref_log_probs": False, "padding_free": False, "rpo_alpha": None, "ld_alpha": None,
    "use_weighting": False, "use_liger_loss": False, "reference_free": False,
}


class WRPOTrainer(DPOTrainer):
    """TRL ``DPOTrainer`` with WRPO's multi-chosen rows, loss, α schedule and metrics (see the module docstring)."""

    _tag_names = ["trl", "wrpo"]
    _name = "WRPO"

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        cfg = kwargs.get("args")
        if not isinstance(cfg, WRPOConfig):
            raise TypeError("WRPOTrainer needs args=WRPOConfig(...)")
        for name, allowed in UNSUPPORTED.items():
            if getattr(cfg, name) != allowed:
                raise ValueError(f"WRPOTrainer does not support {name}={getattr(cfg, name)!r}")
        if cfg.loss_type not in ("sigmoid", ["sigmoid"]):
            raise ValueError(f"WRPOTrainer computes its own loss; leave loss_type at 'sigmoid' (got {cfg.loss_type})")
        super().__init__(*args, **kwargs)
        if kwargs.get("data_collator") is None:
            self.data_collator = DataCollatorForWRPO(pad_token_id=self.pad_token_id)

    # ------------------------------------------------------------------ data
    def _prepare_dataset(self, dataset, processing_class, args, dataset_name):  # type: ignore[override]
        with PartialState().main_process_first():
            return dataset.map(
                tokenize_wrpo_row, with_indices=True, remove_columns=dataset.column_names,
                fn_kwargs={"tokenizer": processing_class, "max_length": args.max_length,
                           "max_prompt_length": args.max_prompt_length, "truncation_mode": args.truncation_mode,
                           "max_completion_length": args.max_completion_length, "tools": args.tools},
                num_proc=args.dataset_num_proc, desc=f"Tokenizing {dataset_name} WRPO dataset",
            )

    def _set_signature_columns_if_needed(self) -> None:
        if self._signature_columns is None:
            self._signature_columns = ["prompt_input_ids", "chosen_input_ids", "target_input_ids",
                                       "rejected_input_ids"]

    @staticmethod
    def concatenated_inputs(batch: dict[str, Any], padding_value: int) -> dict[str, torch.Tensor]:
        """3·N rows: the prompt thrice, completions y_ws | y_wt | y_l padded to one width (TRL's order for 2·N)."""
        if "target_input_ids" not in batch:
            return DPOTrainer.concatenated_inputs(batch, padding_value)
        sides = ("chosen", "target", "rejected")
        width = max(batch[f"{s}_input_ids"].shape[1] for s in sides)
        return {
            "prompt_input_ids": torch.cat([batch["prompt_input_ids"]] * 3, dim=0),
            "prompt_attention_mask": torch.cat([batch["prompt_attention_mask"]] * 3, dim=0),
            "completion_input_ids": torch.cat(
                [pad_to_length(batch[f"{s}_input_ids"], width, pad_value=padding_value) for s in sides]),
            "completion_attention_mask": torch.cat(
                [pad_to_length(batch[f"{s}_attention_mask"], width, pad_value=0) for s in sides]),
        }

    # ------------------------------------------------------------------ forward
    def concatenated_forward(self, model, batch, is_ref_model: bool = False):  # type: ignore[override]
        """TRL's forward on 3·N rows; its "rejected" half (2·N) is split into y_wt and y_l."""
        out = super().concatenated_forward(model, batch, is_ref_model=is_ref_model)
        n = batch["prompt_input_ids"].shape[0]
        rest = out["rejected_logps"]
        out["target_logps"], out["rejected_logps"] = rest[:n], rest[n:]
        return out

    def compute_ref_log_probs(self, batch):  # type: ignore[override]
        """Reference log-probs of (y_ws, y_wt, y_l) under the frozen SFT model."""
        with torch.no_grad():
            if self.ref_model is None:
                with self.null_ref_context():
                    out = self.concatenated_forward(self.model, batch, is_ref_model=True)
            else:
                out = self.concatenated_forward(self.ref_model, batch, is_ref_model=True)
        return out["chosen_logps"], out["target_logps"], out["rejected_logps"]

    # ------------------------------------------------------------------ loss
    def current_alpha(self) -> float:
        """α after ``state.global_step`` completed optimiser steps of ``state.max_steps`` (``losses.alpha_at``)."""
        return alpha_at(self.state.global_step, self.state.max_steps, self.args.wrpo_alpha,
                        self.args.wrpo_alpha_schedule)

    def wrpo_loss(self, policy: tuple[torch.Tensor, ...], ref: tuple[torch.Tensor, ...],
                  alpha: float) -> torch.Tensor:
        """Per-example WRPO loss on (y_ws, y_wt, y_l) log-probs: ``training.losses.wrpo_loss`` with this trainer's
        β and label smoothing."""
        device = self.accelerator.device
        p = [t.to(device) for t in policy]
        r = [t.to(device) for t in ref]
        return wrpo_loss(*p, *r, alpha=alpha, beta=self.beta, label_smoothing=self.label_smoothing)

    def get_batch_loss_metrics(self, model, batch, train_eval: Literal["train", "eval"] = "train"):  # type: ignore[override]
        out = self.concatenated_forward(model, batch)
        policy = (out["chosen_logps"], out["target_logps"], out["rejected_logps"])
        ref = self.compute_ref_log_probs(batch)
        alpha = self.current_alpha()
        losses = self.wrpo_loss(policy, ref, alpha)
        device = self.accelerator.device
        source, target, rejected = (wrpo_rewards(p.to(device), r.to(device), self.beta).detach()
                                    for p, r in zip(policy, ref, strict=True))
        weighted = alpha * source + (1 - alpha) * target
        if self.aux_loss_enabled:
            losses = losses + self.aux_loss_coef * out["aux_loss"]

        def mean(t: torch.Tensor) -> float:
            return self.accelerator.gather_for_metrics(t.detach()).float().mean().item()

        prefix = "eval_" if train_eval == "eval" else ""
        metrics = {
            "alpha": alpha,
            "rewards/chosen": mean(weighted),
            "rewards/source_chosen": mean(source),
            "rewards/target_chosen": mean(target),
            "rewards/rejected": mean(rejected),
            "rewards/margins": mean(weighted - rejected),
            "rewards/source_margins": mean(source - rejected),
            "rewards/target_margins": mean(target - rejected),
            "rewards/accuracies": mean((weighted > rejected).float()),
            "rewards/source_accuracies": mean((source > rejected).float()),
            "rewards/target_accuracies": mean((target > rejected).float()),
            "logps/source_chosen": mean(policy[0]),
            "logps/target_chosen": mean(policy[1]),
            "logps/rejected": mean(policy[2]),
        }
        return losses.mean(), {f"{prefix}{k}": v for k, v in metrics.items()}
