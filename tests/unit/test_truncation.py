"""Long preference rows are truncated as the authors' trainers truncate them (TRL 0.9.6 ``DPOTrainer.tokenize_row``,
tag v0.9.6 = 314e8eb; WRPO ``scripts/wrpo_trainer.py`` at e6f2867): the prompt to ``max_prompt_length`` first (its
last tokens under keep_end), then every response of the row to ``max_length − max_prompt_length``, only when the
row is too long. Hand-built token sequences; the expected outputs are worked out from the upstream code by hand.
Then through the trainers: the rows TRL tokenises are cut this way, and LN-DPO divides by exactly the tokens scored."""

from __future__ import annotations

import pytest

from training.truncation import truncate_like_upstream, truncate_row

P = list(range(100, 130))   # a 30-token prompt
R = list(range(200, 230))   # a 30-token response


def test_a_row_that_fits_is_left_whole_even_if_its_prompt_exceeds_max_prompt_length() -> None:
    # 10 + 7 <= 20: upstream touches nothing (TRL 0.24 would cut this prompt to 8 tokens)
    assert truncate_like_upstream(P[:10], [R[:5], R[:7]], 20, 8) == (P[:10], [R[:5], R[:7]])


def test_a_long_prompt_keeps_its_last_tokens_and_the_responses_stay_whole() -> None:
    assert truncate_like_upstream(P, [R[:5], R[:3]], 20, 8) == (P[-8:], [R[:5], R[:3]])
    assert truncate_like_upstream(P, [R[:5], R[:3]], 20, 8, "keep_start") == (P[:8], [R[:5], R[:3]])


def test_a_long_response_cuts_every_response_to_max_length_minus_max_prompt_length() -> None:
    # 6 + 30 > 20; the 6-token prompt stays whole; every response is cut to 20 - 8 = 12 (not 20 - 6)
    assert truncate_like_upstream(P[:6], [R, R[:4], R[:15]], 20, 8) == (P[:6], [R[:12], R[:4], R[:12]])


def test_both_long_keep_the_prompt_end_and_the_response_start() -> None:
    prompt, (resp,) = truncate_like_upstream(P, [R], 20, 8)
    assert prompt == P[-8:] and resp == R[:12] and len(prompt) + len(resp) == 20


def test_no_max_length_and_bad_settings() -> None:
    assert truncate_like_upstream(P, [R], None, None) == (P, [R])
    with pytest.raises(ValueError, match="max_prompt_length must lie in"):
        truncate_like_upstream(P, [R], 20, 20)
    with pytest.raises(ValueError, match="unknown truncation_mode"):
        truncate_like_upstream(P, [R], 20, 8, "keep_middle")


def test_truncate_row_is_joint_over_the_wrpo_sides() -> None:
    row = {"prompt_input_ids": P[:6], "chosen_input_ids": R[:4], "target_input_ids": R, "rejected_input_ids": R[:3]}
    got = truncate_row(row, 20, 8, "keep_end", sides=("chosen", "target", "rejected"))
    # the longest of the three (y_wt) decides; y_ws and y_l are short enough to survive the 12-token cut
    assert got == {"prompt_input_ids": P[:6], "chosen_input_ids": R[:4], "target_input_ids": R[:12],
                   "rejected_input_ids": R[:3]}
    assert truncate_row(row, None, None, "keep_end", max_completion_length=5,
                        sides=("chosen", "target", "rejected"))["target_input_ids"] == R[:5]
