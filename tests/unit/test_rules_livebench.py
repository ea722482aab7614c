"""LiveBench math scorers' rules at their exact boundaries (upstream LiveBench e84e548
process_results/math/*): the letter run of four, the AIME tail of 20 characters, the option value's tail of
20 + len(value), proof-rearrangement edit distance, and the dispatch by subtask."""

from __future__ import annotations

import pytest

from evaluation.livebench import mathematics as m

Q = r"What is it? $\textbf{(A) }12\qquad\textbf{(B) }17\qquad\textbf{(C) }23\qquad\textbf{(D) }5\qquad\textbf{(E) }8$"


def test_amc_letter_run_of_exactly_four_counts() -> None:
    filler = " and then some words without the option's number at all, for length"
    assert m.score_multiple_choice("B", "so BBBB" + filler, Q) == 1.0
    assert m.score_multiple_choice("B", "so BBB" + filler, Q) == 0.0


def test_amc_option_value_in_the_last_20_plus_len_characters() -> None:
    assert m.choice_value(Q, "B") == "17" and m.choice_value(Q, "D") == "5"
    assert m.score_multiple_choice("B", "value 17" + "x" * 20, Q) == 1.0  # "17" ends 20 before the end: inside
    assert m.score_multiple_choice("B", "value 17" + "x" * 21, Q) == 0.0
    assert m.score_multiple_choice("B", r"so \boxed{B}", Q) == 1.0
    assert m.score_multiple_choice("B", r"so \boxed{C}", Q) == 0.0


def test_aime_answer_in_the_last_20_characters() -> None:
    assert m.score_aime("042", "answer 042" + "." * 17) == 1.0  # the last 20 characters are "042" + 17 dots
    assert m.score_aime("042", "answer 042" + "." * 18) == 0.0
    assert m.score_aime("042", "answer 042" + "." * 10) == 1.0


def test_proof_rearrangement_edit_distance() -> None:
    assert m.extract_expression_order("steps... Answer: 3, 1, 2") == [3, 1, 2]
    assert m.extract_expression_order("Answer: <1>, 2x, 3") == [1, 2]  # stops after a later token with extras
    assert m.sequence_edit_distance([1, 2, 3], [1, 3]) == 1 and m.sequence_edit_distance([], [1, 2]) == 2
    assert m.sequence_edit_distance([1, 2, 3], [3, 2, 1]) == 2
    assert m.score_proof_rearrangement("1,2,3,4", "Answer: 1, 2, 4, 3") == pytest.approx(1 - 2 / 4)
    assert m.score_proof_rearrangement("1,2,3", "Answer: 1, 2, 3") == 1.0


@pytest.mark.parametrize(("subtask", "task", "gt", "scorer"), [
    ("amc_12a_2023", "math_comp", "B", m._mc), ("smc_2023", "math_comp", "B", m._mc),
    ("2023_amc_12a", "math_comp", "B", m._mc), ("aime_2024_I", "math_comp", "204", m._aime),
    ("amc_12a_2023", "olympiad", "B", m._mc), ("smc_2023", "olympiad", "B", m._mc),
    ("2023_amc", "olympiad", "B", m._mc), ("2023_amc_12a", "AMPS_Hard", "B", m._mc),
    ("imo_2023", "olympiad", "1,2", m._olympiad), ("usamo_2023", "olympiad", "1,2", m._olympiad),
    ("integral_amps_hard", "AMPS_Hard", "x", m._amps), ("", "AMPS_Hard", "x", m._amps),
    ("", "olympiad", "1,2", m._olympiad), ("other", "math_comp", "C", m._mc), ("other", "math_comp", "12", m._aime),
    ("Some_AMPS_Hard_x", "AMPS_Hard", "x", m._amps), (None, "olympiad", "1,2", m._olympiad),
    (None, "math_comp", "B", m._mc), (None, "math_comp", "204", m._aime), ("other", "math_comp", "AB", m._aime),
    # upstream reads only the subtask: where it names a scorer, the task does not count
    ("aime_2024_I", "olympiad", "204", m._aime), ("imo_2023", "math_comp", "B", m._olympiad),
    ("usamo_2023", "AMPS_Hard", "1,2", m._olympiad), ("Integral_AMPS_Hard", "olympiad", "x", m._amps),
])
def test_scorer_dispatch_by_subtask_then_task(subtask: str, task: str, gt: str, scorer) -> None:
    assert m.scorer_for({"subtask": subtask, "task": task, "ground_truth": gt}) is scorer


def test_unknown_math_task_is_a_named_error() -> None:
    with pytest.raises(ValueError, match="no scorer for task 'geometry'"):
        m.scorer_for({"subtask": "", "task": "geometry"})
    with pytest.raises(ValueError, match="no scorer"):
        m.scorer_for({"task": "other", "subtask": "x"})


def test_amc_option_value_from_the_question_text() -> None:
    text = "Which? $\\textbf{(A) }1\\qquad\\textbf{(B) }~7~\\qquad\\textbf{(C) }9$"
    assert m.choice_value(text, "B") == "7" and m.choice_value(text, "E") == "FAILURE"
    assert m.choice_value("$\\textbf{(A) }X\\qquad\\textbf{(B) }X2~\\qquad$", "B") == "X2"  # only $ and ~ go
    q = {"task": "math_comp", "subtask": "amc_12a", "ground_truth": "B", "turns": [text]}
    assert m.score(q, "so the value is 7") == 1.0 and m.score(q, "so the value is 9") == 0.0


def test_amc_ground_truth_letters_a_to_e_inclusive_and_order_after_the_last_answer() -> None:
    assert m.score_multiple_choice("A", "AAAAA", "") == 1.0 and m.score_multiple_choice("E", "EEEEE", "") == 1.0
    assert m.extract_expression_order("draft 1, 2\nAnswer: 3, 4") == [3, 4]
    assert m.extract_expression_order("Answer: " + "7" * 4000) == [int("7" * 4000)]  # 4,000 digits: still an int
    assert m.extract_expression_order("Answer: " + "7" * 4001) == ["7" * 4001]
