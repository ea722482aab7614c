"""MMLU-Pro, MMLU-redux, MMLU (variant) and GPQA-Diamond: FuseEval MC-Eval prompt (same for every family, Qwen
default system prompt dropped), three-stage extraction on real response formats, the seeded random fallback
(reset per guess), micro accuracy."""

from __future__ import annotations

import random

import pytest

from evaluation.tasks import get_task
from evaluation.tasks._mc import COT_INSTRUCTION, HEAD, extract_choice, random_guess
from evaluation.tasks.base import ScoreContext

MC_TASKS = ("mmlu_pro", "mmlu_redux", "mmlu", "gpqa_diamond")


@pytest.mark.parametrize("task_id", MC_TASKS)
def test_prompt_is_one_user_turn_for_every_family(task_id: str) -> None:
    task = get_task(task_id)
    item = task.synthetic(random.Random(0), 4)[0]
    question, _, _ = task.fields(item)
    prompts = {fam: task.prompt(item, fam) for fam in ("llama3", "qwen2", "gemma2", "mistral")}
    assert len({str(p.messages) for p in prompts.values()}) == 1
    p = prompts["qwen2"]
    assert not p.default_system and p.prefill == "" and [m["role"] for m in p.messages] == ["user"]
    text = p.messages[0]["content"]
    assert text.startswith(HEAD + "Question:\n" + question + "\nOptions:\nA. ")
    assert text.endswith("The best answer is [the_answer_letter].\nwhere the [the_answer_letter] is the correct "
                         "letter choice.\n\nAnswer: Let's think step by step.")
    assert COT_INSTRUCTION in text


def test_mmlu_pro_ten_options_and_na_dropped() -> None:
    task = get_task("mmlu_pro")
    items = task.synthetic(random.Random(0), 8)
    assert all(len(it["options"]) == 10 for it in items)
    padded = [it for it in items if "N/A" in it["options"]]
    assert padded and all(len(task.options(it)) == 9 for it in padded)
    text = task.prompt(padded[0], "llama3").messages[0]["content"]
    assert "N/A" not in text and "I. " in text and "J. " not in text
    assert all(it["options"][it["answer_index"]] == task.options(it)[it["answer_index"]] for it in items
               if it["answer_index"] < 9)


EXTRACT = [
    ("## Step 1: ...\nThe best answer is (C).", "C", "answer_is"),
    ("The best answer is C.", "C", "answer_is"),
    ("the answer is (B) but later the answer is D", "B", "answer_is"),  # FuseEval takes the FIRST match
    ("The Answer Is B", "B", "last_letter"),  # stage 1 is case sensitive
    ("Reasoning...\nAnswer: D\nmore text", "D", "answer_colon"),
    ("answer:   J", "J", "answer_colon"),
    ("I think it is B or maybe A", "A", "last_letter"),
    ("no letter here at all", None, None),
    ("", None, None),
]


@pytest.mark.parametrize(("text", "letter", "stage"), EXTRACT)
def test_three_stage_extraction(text: str, letter: str | None, stage: str | None) -> None:
    assert extract_choice(text) == (letter, stage)


def test_random_fallback_is_reseeded_before_every_guess() -> None:
    rng = random.Random(1)
    guesses = [random_guess(rng, 4) for _ in range(5)]
    assert len(set(guesses)) == 1 and guesses[0] == random.Random(12345).randint(0, 3)
    assert random_guess(rng, 10) == random.Random(12345).randint(0, 9)


def test_scoring_extraction_fallback_and_micro_accuracy() -> None:
    task = get_task("mmlu")
    items = [{"question": "q", "subject": "s", "choices": ["a", "b", "c", "d"], "answer": k} for k in range(4)]
    fallback = random.Random(12345).randint(0, 3)
    responses = [["The best answer is A."], ["The best answer is (C)."], ["Answer: C"], ["???"]]
    results = task.score_batch(items, responses, ScoreContext())
    assert [r.extracted for r in results] == ["A", "C", "C", None]
    assert results[3].detail["stage"] == "random_fallback"
    assert results[3].score == float(fallback == 3)
    expected = 100 * (2 + (fallback == 3)) / 4
    assert task.aggregate(items, results) == pytest.approx(expected)


def test_guess_share_in_summary_and_under_the_table() -> None:
    """The share of answers scored by the seeded guess is in the task summary (metrics) and in the table notes."""
    from evaluation.render import guess_lines

    task = get_task("mmlu")
    items = [{"question": "q", "subject": "s", "choices": ["a", "b", "c", "d"], "answer": k} for k in range(4)]
    fallback = random.Random(12345).randint(0, 3)
    results = task.score_batch(items, [["???"], ["The best answer is B."], ["nothing"], ["..."]], ScoreContext())
    summary = task.summary(items, results)
    assert summary == {"random_fallback": 3, "random_fallback_share": 75.0,
                       "random_fallback_correct": int(fallback in (0, 2, 3))}
    metrics = [{"model": "M", "benchmarks": {"mmlu": {"value": 50.0, "summary": summary}, "gsm8k": {"value": 1.0}}}]
    (line,) = guess_lines(metrics)
    assert line.startswith("MMLU: 3 answers (75.0%) fell back to the seeded random guess") and line.endswith("(M).")


def test_letter_beyond_the_options_is_wrong_not_an_error() -> None:
    task = get_task("gpqa_diamond")
    item = task.synthetic(random.Random(0), 1)[0]
    assert task.score(item, ["The best answer is J."], ScoreContext()).score == 0.0


def test_gpqa_uses_fuseeval_option_order_as_is() -> None:
    """FuseEval's gpqa_formatted/diamond rows keep their option order; the gold is the row's ``answer`` index."""
    task = get_task("gpqa_diamond")
    item = {"Question": "Q?", "options": ["w", "x", "y", "z\n"], "answer": 2, "Canary String": "c"}
    assert task.fields(item) == ("Q?", ["w", "x", "y", "z\n"], 2)
    assert task.score(item, ["The best answer is C."], ScoreContext()).score == 1.0
    assert task.max_model_len == 8192 and task.data.expected_items == 198 and task.data.hub_id is None
    (parquet,) = task.data.files
    assert "gpqa_formatted/diamond" in parquet.url and parquet.sha256 and "5af2bad" in parquet.url


def test_mmlu_redux_keeps_only_ok_questions_and_mmlu_is_the_1b_row() -> None:
    redux, mmlu = get_task("mmlu_redux"), get_task("mmlu")
    rows = redux.synthetic(random.Random(0), 12)
    kept = redux.prepare(rows)
    assert 0 < len(kept) < len(rows) and all(r["error_type"] == "ok" for r in kept)
    assert len(redux.data.configs) == 57 and redux.data.expected_items == 5700
    assert "mmlu_no_train/all/test" in mmlu.data.files[0].url and mmlu.data.expected_items == 14042
    assert mmlu.tables == ("llama32_1b",) and "llama32_1b" not in redux.tables


@pytest.mark.parametrize("task_id", MC_TASKS)
def test_decoding_and_protocol(task_id: str) -> None:
    task = get_task(task_id)
    assert task.decoding.temperature == 0.0 and task.decoding.max_new_tokens == 2048
    assert task.decoding.stop == ("Question:",)
    proto = task.protocol()
    assert proto["task"] == task_id and proto["decoding"]["stop"] == ("Question:",) and "random" in proto["extraction"]
