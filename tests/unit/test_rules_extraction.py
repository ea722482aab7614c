"""Answer extraction rules of FuseEval's MC-Eval (evaluation/tasks/_mc.py) stated at the cases that tell the
stages' regular expressions apart: stage 1 takes the FIRST "answer is (X)", stage 2 the LAST "Answer: X" of the
first line that has one (greedy ``.*``), stage 3 the last standalone letter; the fallback guess is reseeded."""

from __future__ import annotations

import random

from evaluation.tasks._mc import FALLBACK_SEED, extract_choice, format_question, random_guess


def test_stage1_takes_the_first_answer_is() -> None:
    assert extract_choice("the answer is (B), not: the answer is (C)") == ("B", "answer_is")
    assert extract_choice("so the answer is D.") == ("D", "answer_is")


def test_stage2_is_greedy_within_a_line() -> None:
    assert extract_choice("Answer: A was wrong; Answer: C") == ("C", "answer_colon")
    assert extract_choice("answer: E") == ("E", "answer_colon")
    assert extract_choice("Answer: B\nlater Answer: D") == ("B", "answer_colon")  # '.' stops at the newline


def test_stage3_takes_the_last_standalone_letter() -> None:
    assert extract_choice("Between A and\nB, I pick C for sure") == ("C", "last_letter")
    assert extract_choice("nothing here at all") == (None, None)
    assert extract_choice("ABBA is a band") == (None, None)  # letters inside words are not standalone


def test_fallback_guess_depends_only_on_the_option_count() -> None:
    rng = random.Random(99)
    rng.random()
    want = random.Random(FALLBACK_SEED).randint(0, 3)
    assert random_guess(rng, 4) == want and random_guess(rng, 4) == want


def test_question_lists_lettered_options() -> None:
    text = format_question("Q?", ["x", "y", "z"])
    assert "Question:\nQ?\nOptions:\nA. x\nB. y\nC. z\n" in text and text.endswith("Answer: Let's think step by step.")
