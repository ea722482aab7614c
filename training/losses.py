"""Preference losses as plain functions of log-probabilities, the reference the trainers are tested against.

LN-DPO (blog §DPO, used for the Llama-3.1/3.2 targets):

    L = -log σ( β/|y_w| · log[π_θ(y_w|x)/π_ref(y_w|x)] − β/|y_l| · log[π_θ(y_l|x)/π_ref(y_l|x)] )

where |y| counts the response tokens and log π(y|x) is the sum of per-token log-probs. Standard DPO (Qwen, Gemma)
is the same without the division by |y|.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F  # noqa: N812


def dpo_loss(policy_chosen: torch.Tensor, policy_rejected: torch.Tensor, ref_chosen: torch.Tensor,
             ref_rejected: torch.Tensor, beta: float) -> torch.Tensor:
    """Per-example sigmoid DPO loss on summed log-probs."""
    return -F.logsigmoid(beta * ((policy_chosen - ref_chosen) - (policy_rejected - ref_rejected)))


def ln_dpo_loss(policy_chosen: torch.Tensor, policy_rejected: torch.Tensor, ref_chosen: torch.Tensor,
                ref_rejected: torch.Tensor, chosen_len: torch.Tensor, rejected_len: torch.Tensor,
                beta: float) -> torch.Tensor:
    """Per-example LN-DPO loss: each log-ratio divided by its own response length (the blog formula)."""
    chosen = beta / chosen_len * (policy_chosen - ref_chosen)
    rejected = beta / rejected_len * (policy_rejected - ref_rejected)
    return -F.logsigmoid(chosen - rejected)
