"""Preference losses by name, each a plain function of log-probabilities: the reference the trainers are tested
against (``tests/unit/test_losses.py`` runs every trainer's own loss path on hand-built tensors and compares).

``LOSSES`` is the one registry: the recipe key ``dpo.loss`` names an entry, and ``training.dpo`` dispatches on it.
Each entry states whether the loss length-normalises its log-probs and what data it trains on.

Notation: ``log π(y|x)`` is the sum of per-token log-probs of the response tokens; ``|y|`` their number.

- ``dpo`` (Rafailov et al., arXiv 2305.18290; FuseChat-3.0's Qwen/Gemma targets, the WRPO paper's Target-DPO):
  L = −log σ(β·[log π_θ(y_w)/π_ref(y_w) − log π_θ(y_l)/π_ref(y_l)])
- ``ln_dpo`` (FuseChat-3.0 blog, Llama targets): the same with each log-ratio divided by its own |y|.
- ``ipo`` (Azar et al., arXiv 2310.12036) as TRL 0.24 implements it: L = (h − 1/(2β))², with h the difference of
  the two log-ratios of *per-token-averaged* log-probs (TRL divides by |y| for IPO).
- ``simpo`` (Meng et al., arXiv 2405.14734) through TRL's CPO trainer (``loss_type=simpo``, ``cpo_alpha=0``):
  L = −log σ(β/|y_w|·log π_θ(y_w) − β/|y_l|·log π_θ(y_l) − γ); no reference model.
- ``wrpo`` (Yang et al., arXiv 2412.03187; https://github.com/SLIT-AI/WRPO commit e6f2867):
  L = −log σ(α·r(y_ws) + (1−α)·r(y_wt) − r(y_l)),  r(y) = β·log π_θ(y)/π_ref(y) on summed log-probs, with α rising
  linearly from 0 to α_end over the optimiser steps (``alpha_at``).

Label smoothing ε (conservative DPO) turns −log σ(z) into −(1−ε)·log σ(z) − ε·log σ(−z) wherever TRL supports it
(dpo, ln_dpo, simpo, wrpo; not ipo).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

import torch
import torch.nn.functional as F  # noqa: N812


@dataclass(frozen=True)
class LossSpec:
    """What a named loss needs: whether it averages log-probs over |y|, its data shape, a reference model."""

    name: str
    length_normalised: bool
    data: Literal["pairs", "multi_chosen"]  # pairs: prompt/chosen/rejected; multi_chosen: chosen=[y_ws, y_wt]
    reference_model: bool
    label_smoothing: bool
    source: str


LOSSES: dict[str, LossSpec] = {s.name: s for s in [
    LossSpec("dpo", False, "pairs", True, True, "arXiv 2305.18290; TRL DPOTrainer loss_type=sigmoid"),
    LossSpec("ln_dpo", True, "pairs", True, True, "FuseChat-3.0 blog §DPO; TRL DPOTrainer + per-token averaging"),
    LossSpec("ipo", True, "pairs", True, False, "arXiv 2310.12036; TRL DPOTrainer loss_type=ipo"),
    LossSpec("simpo", True, "pairs", False, True, "arXiv 2405.14734; TRL CPOTrainer loss_type=simpo, cpo_alpha=0"),
    LossSpec("wrpo", False, "multi_chosen", True, True, "arXiv 2412.03187; WRPOTrainer (TRL DPOTrainer subclass)"),
]}


def _smoothed(z: torch.Tensor, label_smoothing: float) -> torch.Tensor:
    return -F.logsigmoid(z) * (1 - label_smoothing) - F.logsigmoid(-z) * label_smoothing


def dpo_loss(policy_chosen: torch.Tensor, policy_rejected: torch.Tensor, ref_chosen: torch.Tensor,
             ref_rejected: torch.Tensor, beta: float, label_smoothing: float = 0.0) -> torch.Tensor:
    """Per-example sigmoid DPO loss on summed log-probs."""
    return _smoothed(beta * ((policy_chosen - ref_chosen) - (policy_rejected - ref_rejected)), label_smoothing)


def ln_dpo_loss(policy_chosen: torch.Tensor, policy_rejected: torch.Tensor, ref_chosen: torch.Tensor,
                ref_rejected: torch.Tensor, chosen_len: torch.Tensor, rejected_len: torch.Tensor,
                beta: float, label_smoothing: float = 0.0) -> torch.Tensor:
    """Per-example LN-DPO loss: each log-ratio divided by its own response length (the blog formula)."""
    chosen = beta / chosen_len * (policy_chosen - ref_chosen)
    rejected = beta / rejected_len * (policy_rejected - ref_rejected)
    return _smoothed(chosen - rejected, label_smoothing)


def ipo_loss(policy_chosen: torch.Tensor, policy_rejected: torch.Tensor, ref_chosen: torch.Tensor,
             ref_rejected: torch.Tensor, chosen_len: torch.Tensor, rejected_len: torch.Tensor,
             beta: float) -> torch.Tensor:
    """Per-example IPO loss (h − 1/(2β))² on per-token-averaged log-ratios, as TRL 0.24 computes it (β = τ)."""
    h = (policy_chosen - ref_chosen) / chosen_len - (policy_rejected - ref_rejected) / rejected_len
    return (h - 1 / (2 * beta)) ** 2


def simpo_loss(policy_chosen: torch.Tensor, policy_rejected: torch.Tensor, chosen_len: torch.Tensor,
               rejected_len: torch.Tensor, beta: float, gamma: float, label_smoothing: float = 0.0) -> torch.Tensor:
    """Per-example SimPO loss: length-averaged policy log-probs, target margin γ, no reference model."""
    return _smoothed(beta * policy_chosen / chosen_len - beta * policy_rejected / rejected_len - gamma,
                     label_smoothing)


def wrpo_rewards(policy: torch.Tensor, ref: torch.Tensor, beta: float) -> torch.Tensor:
    """r(x, y) = β·log π_θ(y|x)/π_ref(y|x) on summed log-probs (WRPO's implicit reward)."""
    return beta * (policy - ref)


def wrpo_loss(policy_source: torch.Tensor, policy_target: torch.Tensor, policy_rejected: torch.Tensor,
              ref_source: torch.Tensor, ref_target: torch.Tensor, ref_rejected: torch.Tensor,
              alpha: float, beta: float, label_smoothing: float = 0.0) -> torch.Tensor:
    """Per-example WRPO loss −log σ(α·r(y_ws) + (1−α)·r(y_wt) − r(y_l)) (with optional label smoothing)."""
    weighted = alpha * wrpo_rewards(policy_source, ref_source, beta) \
        + (1 - alpha) * wrpo_rewards(policy_target, ref_target, beta)
    return _smoothed(weighted - wrpo_rewards(policy_rejected, ref_rejected, beta), label_smoothing)


def alpha_at(step: int, total_steps: int, alpha_end: float, schedule: Literal["linear", "constant"]) -> float:
    """WRPO's fusion coefficient after ``step`` optimiser steps: α_end·step/T, clamped at α_end (``linear``, the
    authors' "dynamic" schedule), or α_end throughout (``constant``)."""
    if schedule == "constant":
        return alpha_end
    if total_steps <= 0:
        return alpha_end
    return alpha_end * min(max(step, 0), total_steps) / total_steps
