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


def test_stage2_line_is_the_line_of_the_first_answer_colon() -> None:
    """The greedy ``.*`` spans the line where the first "Answer: X" starts, not the text's first line, and stops at
    that line's end (later lines' "Answer: X" are not reached)."""
    assert extract_choice("intro\nAnswer: A and Answer: C") == ("C", "answer_colon")
    assert extract_choice("Answer: A\nAnswer: B\nend") == ("A", "answer_colon")


def test_fallback_guess_is_within_the_options_for_every_count() -> None:
    rng = random.Random(0)
    for n in range(2, 11):
        assert random_guess(rng, n) == random.Random(FALLBACK_SEED).randint(0, n - 1)


def test_mc_prompt_drops_the_default_system_and_keeps_vllm_bos() -> None:
    from evaluation.tasks import get_task

    task = get_task("mmlu")
    item = task.synthetic(random.Random(0), 1)[0]
    p = task.prompt(item, "qwen2")
    assert p.default_system is False and p.add_bos is True


def test_mc_detail_records_stage_guess_and_gold() -> None:
    from evaluation.tasks import get_task
    from evaluation.tasks.base import ScoreContext

    task = get_task("mmlu")
    item = task.synthetic(random.Random(0), 1)[0]
    _, options, gold = task.fields(item)
    n = len(task.options(item))
    r = task.score(item, ["no letter here"], ScoreContext())
    guess = random.Random(FALLBACK_SEED).randint(0, n - 1)
    assert r.detail == {"stage": "random_fallback", "guess": "ABCDEFGHIJ"[guess], "gold": "ABCDEFGHIJ"[gold]}
    r = task.score(item, ["the answer is (B)"], ScoreContext())
    assert r.detail == {"stage": "answer_is", "gold": "ABCDEFGHIJ"[gold]} and r.score == float(gold == 1)
    assert task.summary([], []) == {"random_fallback": 0, "random_fallback_share": 0.0, "random_fallback_correct": 0}


def test_mc_protocol_names_prompt_extraction_and_context() -> None:
    from evaluation.tasks import get_task

    proto = get_task("mmlu_pro").protocol()
    assert proto["prompt"] == "FuseEval MC-Eval zero-shot CoT (Llama-3.1-evals instruction)"
    assert proto["extraction"] == "answer is (X) | Answer: X | last lone letter; else random (seed 12345 per guess)"
    assert proto["max_model_len"] == 4096 and proto["task"] == "mmlu_pro"
