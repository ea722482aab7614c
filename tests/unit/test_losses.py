"""LN-DPO equals the blog formula on hand-built tensors, through the same code path the trainer uses."""

from __future__ import annotations

import math
from types import SimpleNamespace

import torch

from training.dpo import normalize_logps
from training.losses import dpo_loss, ln_dpo_loss


def blog_ln_dpo(pw: float, pl: float, rw: float, rl: float, lw: int, ll: int, beta: float) -> float:
    """−log σ(β/|y_w|·(log π_θ(y_w) − log π_ref(y_w)) − β/|y_l|·(log π_θ(y_l) − log π_ref(y_l))), by hand."""
    z = beta / lw * (pw - rw) - beta / ll * (pl - rl)
    return -math.log(1.0 / (1.0 + math.exp(-z)))


def test_ln_dpo_loss_matches_blog_formula() -> None:
    pw, pl = torch.tensor([-12.0, -30.0]), torch.tensor([-20.0, -25.0])
    rw, rl = torch.tensor([-13.0, -28.0]), torch.tensor([-19.0, -26.0])
    lw, ll = torch.tensor([4.0, 10.0]), torch.tensor([8.0, 5.0])
    got = ln_dpo_loss(pw, pl, rw, rl, lw, ll, beta=10.0)
    for i in range(2):
        want = blog_ln_dpo(pw[i].item(), pl[i].item(), rw[i].item(), rl[i].item(), int(lw[i]), int(ll[i]), 10.0)
        assert math.isclose(got[i].item(), want, rel_tol=1e-6)
    # Without the division the value differs: length normalisation is not a no-op here.
    assert not torch.allclose(got, dpo_loss(pw, pl, rw, rl, beta=10.0))


def test_trainer_path_normalises_policy_and_reference_to_the_formula() -> None:
    """normalize_logps (used inside LengthNormalizedDPOTrainer) + TRL's sigmoid loss == the blog formula."""
    from trl import DPOTrainer

    batch = {
        "prompt_attention_mask": torch.tensor([[1, 1, 1], [0, 1, 1]]),
        "chosen_attention_mask": torch.tensor([[1, 1, 1, 1, 0], [1, 1, 1, 1, 1]]),
        "rejected_attention_mask": torch.tensor([[1, 1, 0, 0, 0], [1, 1, 1, 0, 0]]),
    }
    args = SimpleNamespace(max_length=None, truncation_mode="keep_end")
    sums = {"pw": torch.tensor([-8.0, -15.0]), "pl": torch.tensor([-6.0, -9.0]),
            "rw": torch.tensor([-9.0, -14.0]), "rl": torch.tensor([-5.0, -10.0])}
    norm = {
        "pw": normalize_logps(sums["pw"], batch, "chosen", args), "rw": normalize_logps(sums["rw"], batch, "chosen", args),
        "pl": normalize_logps(sums["pl"], batch, "rejected", args),
        "rl": normalize_logps(sums["rl"], batch, "rejected", args),
    }
    fake_self = SimpleNamespace(beta=10.0, label_smoothing=0.0, f_divergence_type="reverse_kl", reference_free=False,
                                use_weighting=False, args=SimpleNamespace(), accelerator=SimpleNamespace(device="cpu"),
                                loss_type=["sigmoid"], f_alpha_divergence_coef=1.0)
    losses, _, _ = DPOTrainer.dpo_loss(fake_self, norm["pw"], norm["pl"], norm["rw"], norm["rl"], "sigmoid")
    lens_w, lens_l = [4, 5], [2, 3]
    for i in range(2):
        want = blog_ln_dpo(sums["pw"][i].item(), sums["pl"][i].item(), sums["rw"][i].item(), sums["rl"][i].item(),
                           lens_w[i], lens_l[i], 10.0)
        assert math.isclose(losses[i].item(), want, rel_tol=1e-5), (i, losses[i].item(), want)


def test_the_normaliser_counts_the_scored_completion_tokens_and_refuses_rows_trl_would_cut() -> None:
    """Rows arrive truncated to max_length (training.truncation), so every completion token is scored; a row TRL
    would still cut, or one without a prompt token before its response, is an error, not a wrong count."""
    import pytest

    from training.dpo import scored_completion_tokens

    batch = {"prompt_attention_mask": torch.tensor([[1, 1, 1, 1], [0, 0, 1, 1]]),
             "chosen_attention_mask": torch.tensor([[1, 1, 1, 1, 1, 1], [1, 1, 0, 0, 0, 0]])}
    assert scored_completion_tokens(batch, "chosen", None).tolist() == [6, 2]
    assert scored_completion_tokens(batch, "chosen", 10).tolist() == [6, 2]
    with pytest.raises(ValueError, match="longer than max_length=9"):
        scored_completion_tokens(batch, "chosen", 9)
    with pytest.raises(ValueError, match="empty prompt"):
        scored_completion_tokens({**batch, "prompt_attention_mask": torch.tensor([[1, 1, 1, 1], [0, 0, 0, 0]])},
                                 "chosen", None)
