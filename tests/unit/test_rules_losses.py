"""The preference losses and WRPO's α schedule (training/losses.py) as formulas, checked value by value on small
tensors: each test names the rule it pins (mutation testing, tools/mutation.py losses, showed them missing)."""

from __future__ import annotations

import math

import pytest
import torch

from training.losses import (
    LOSSES,
    alpha_at,
    dpo_loss,
    ipo_loss,
    ln_dpo_loss,
    simpo_loss,
    wrpo_loss,
    wrpo_rewards,
)

T = torch.tensor


def nll_sigmoid(z: float, eps: float = 0.0) -> float:
    """−(1−ε)·log σ(z) − ε·log σ(−z)."""
    return -(1 - eps) * math.log(1 / (1 + math.exp(-z))) - eps * math.log(1 / (1 + math.exp(z)))


def test_alpha_schedule_rises_linearly_and_is_clamped() -> None:
    """α(t) = α_end·min(max(t, 0), T)/T (linear), α_end throughout (constant)."""
    assert alpha_at(0, 10, 0.5, "linear") == 0.0 and alpha_at(0, 1, 0.5, "linear") == 0.0
    assert alpha_at(4, 10, 0.5, "linear") == pytest.approx(0.2)
    assert alpha_at(10, 10, 0.5, "linear") == 0.5
    assert alpha_at(15, 10, 0.5, "linear") == 0.5 and alpha_at(-3, 10, 0.5, "linear") == 0.0
    assert alpha_at(0, 10, 0.5, "constant") == 0.5 and alpha_at(7, 10, 0.3, "constant") == 0.3


@pytest.mark.parametrize("total", [0, -1])
def test_alpha_without_steps_is_alpha_end(total: int) -> None:
    """No optimiser step planned (T <= 0): α is α_end, never a division by zero or a negative fraction."""
    assert alpha_at(0, total, 0.1, "linear") == 0.1
    assert alpha_at(5, total, 0.1, "linear") == 0.1


def test_dpo_family_values() -> None:
    pc, pr, rc, rr = T([-2.0]), T([-3.0]), T([-2.5]), T([-2.75])  # chosen log-ratio 0.5, rejected −0.25
    beta, eps = 0.4, 0.1
    assert dpo_loss(pc, pr, rc, rr, beta).item() == pytest.approx(nll_sigmoid(beta * 0.75))
    assert dpo_loss(pc, pr, rc, rr, beta, eps).item() == pytest.approx(nll_sigmoid(beta * 0.75, eps))
    lc, lr = T([2.0]), T([5.0])
    z = beta / 2 * 0.5 - beta / 5 * -0.25
    assert ln_dpo_loss(pc, pr, rc, rr, lc, lr, beta).item() == pytest.approx(nll_sigmoid(z))
    assert ln_dpo_loss(pc, pr, rc, rr, lc, lr, beta, eps).item() == pytest.approx(nll_sigmoid(z, eps))
    h = 0.5 / 2 - -0.25 / 5
    assert ipo_loss(pc, pr, rc, rr, lc, lr, beta).item() == pytest.approx((h - 1 / (2 * beta)) ** 2)
    gamma = 0.3
    zs = beta * -2.0 / 2 - beta * -3.0 / 5 - gamma
    assert simpo_loss(pc, pr, lc, lr, beta, gamma).item() == pytest.approx(nll_sigmoid(zs))
    assert simpo_loss(pc, pr, lc, lr, beta, gamma, eps).item() == pytest.approx(nll_sigmoid(zs, eps))


def test_wrpo_loss_weights_source_and_target_chosen_by_alpha() -> None:
    ps, pt, pr = T([-1.0]), T([-2.0]), T([-4.0])
    rs, rt, rr = T([-1.5]), T([-2.2]), T([-3.0])
    beta, alpha, eps = 0.5, 0.3, 0.05
    assert wrpo_rewards(ps, rs, beta).item() == pytest.approx(0.25)
    z = alpha * beta * 0.5 + (1 - alpha) * beta * 0.2 - beta * -1.0
    assert wrpo_loss(ps, pt, pr, rs, rt, rr, alpha, beta).item() == pytest.approx(nll_sigmoid(z))
    assert wrpo_loss(ps, pt, pr, rs, rt, rr, alpha, beta, eps).item() == pytest.approx(nll_sigmoid(z, eps))


def test_loss_registry_states_each_losses_needs() -> None:
    """Which losses length-normalise, need a reference model and take label smoothing."""
    assert {n: (s.length_normalised, s.reference_model, s.label_smoothing) for n, s in LOSSES.items()} == {
        "dpo": (False, True, True), "ln_dpo": (True, True, True), "ipo": (True, True, False),
        "simpo": (True, False, True), "wrpo": (False, True, True)}
    assert LOSSES["wrpo"].data == "multi_chosen" and LOSSES["dpo"].data == "pairs"
