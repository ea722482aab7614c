"""DPO's checkpoint choice (blog: "the better of the last two checkpoints", training/dpo.py) and its held-out
split, stated at the edges: the last two saved checkpoints (the final model included), the metric's direction, ties, missing logs."""

from __future__ import annotations

import pytest

from fusechat.stage_runner import StageError
from training.dpo import choose_checkpoint, heldout_split


def _hist(scores: dict[int, float], key: str = "eval_rewards/accuracies") -> list[dict]:
    return [{"step": s, key: v, "eval_loss": 1.0 / (1 + s), "eval_rewards/margins": 0.1 * s} for s, v in scores.items()]


def test_candidates_are_the_last_two_saved_checkpoints_the_final_model_included() -> None:
    hist = _hist({2: 0.9, 4: 0.1, 6: 0.6, 8: 0.5, 9: 0.4})
    step, cands = choose_checkpoint(hist, 2, 9, "rewards/accuracies")
    assert [c["step"] for c in cands] == [8, 9] and step == 8  # the final model (9) is saved too; 2's 0.9 is not
    assert cands[0] == {"step": 8, "score": 0.5, "eval_loss": 1 / 9, "eval_rewards/accuracies": 0.5,
                        "eval_rewards/margins": pytest.approx(0.8)}
    assert [c["step"] for c in choose_checkpoint(hist, 2, 8, "rewards/accuracies")[1]] == [6, 8]  # final on the grid
    assert [c["step"] for c in choose_checkpoint(_hist({3: 0.1, 4: 0.2}), 3, 4, "rewards/accuracies")[1]] == [3, 4]


def test_higher_is_better_except_loss_and_ties_go_to_the_later_step() -> None:
    hist = [{"step": 1, "eval_loss": 0.5, "eval_rewards/accuracies": 0.7},
            {"step": 2, "eval_loss": 0.6, "eval_rewards/accuracies": 0.6}]
    assert choose_checkpoint(hist, 1, 2, "loss")[0] == 1
    assert choose_checkpoint(hist, 1, 2, "rewards/accuracies")[0] == 1
    tie = [{"step": 1, "eval_loss": 0.5}, {"step": 2, "eval_loss": 0.5}]
    assert choose_checkpoint(tie, 1, 2, "loss")[0] == 2


def test_no_grid_step_or_no_logged_metric_is_a_named_error() -> None:
    with pytest.raises(StageError, match=r"4 step\(s\) save fewer than two checkpoints \(save_steps=5\); lower dpo.save_steps "
                                         "or use dpo.checkpoint_choice=last"):
        choose_checkpoint([], 5, 4, "loss")
    with pytest.raises(StageError, match="no held-out eval_loss logged at checkpoint step 2"):
        choose_checkpoint([{"step": 1, "eval_loss": 0.1}], 1, 2, "loss")


def test_heldout_split_is_seeded_with_at_least_one_row_each_side() -> None:
    train, held = heldout_split(10, 0.1, 3)
    assert len(held) == 1 and sorted(train + held) == list(range(10)) and train == sorted(train)
    assert heldout_split(10, 0.1, 3) == (train, held)
    assert {tuple(heldout_split(10, 0.3, s)[1]) for s in range(5)} != {tuple(heldout_split(10, 0.3, 0)[1])}
    assert len(heldout_split(10, 0.25, 0)[1]) == 2  # round(2.5) = 2
    assert len(heldout_split(4, 0.0, 0)[1]) == 1 and len(heldout_split(4, 1.0, 0)[1]) == 3
