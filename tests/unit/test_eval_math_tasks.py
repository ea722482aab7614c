"""GSM8K, MATH (+ MATH-500 variant), AMC23: FuseEval Math-Eval prompts per family, gold extraction from the real
schemas, math-verify grading of real answer formats, accuracy aggregation."""

from __future__ import annotations

import random

import pytest

from evaluation.tasks import get_task
from evaluation.tasks._math import INSTRUCTION, fmt_number
from evaluation.tasks.base import ItemResult, ScoreContext

MATH_TASKS = ("gsm8k", "math", "math500", "amc23")


@pytest.mark.parametrize("task_id", MATH_TASKS)
def test_prompt_types_per_family(task_id: str) -> None:
    """qwen25-math-cot / llama3-math-cot: instruction is the system turn; gemma2-math-cot: appended to the user
    turn after a newline (Gemma has no system role); mistral gets Gemma's placement."""
    task = get_task(task_id)
    item = task.synthetic(random.Random(0), 1)[0]
    q = task.question(item)
    for fam in ("llama3", "qwen2"):
        p = task.prompt(item, fam)
        assert p.messages == [{"role": "system", "content": INSTRUCTION}, {"role": "user", "content": q}]
        assert p.prefill == "" and p.default_system
    for fam in ("gemma2", "mistral"):
        assert task.prompt(item, fam).messages == [{"role": "user", "content": f"{q}\n{INSTRUCTION}"}]
    assert INSTRUCTION == "Please reason step by step, and put your final answer within \\boxed{}."


@pytest.mark.parametrize("task_id", MATH_TASKS)
def test_decoding_is_greedy_2048_single_sample(task_id: str) -> None:
    d = get_task(task_id).decoding
    assert (d.temperature, d.top_p, d.n, d.max_new_tokens) == (0.0, 1.0, 1, 2048)
    assert get_task(task_id).max_model_len == 4096


def test_gold_answers_from_the_real_schemas() -> None:
    gsm = get_task("gsm8k")
    assert gsm.gold({"question": "q", "answer": "Janet sells 16 - 3 - 4 = <<16-3-4=9>>9 eggs.\n#### 1,018"}) == "1018"
    with pytest.raises(ValueError, match="####"):
        gsm.gold({"question": "q", "answer": "no marker"})
    math = get_task("math")
    sol = "Thus $x = \\boxed{\\frac{\\sqrt{3}}{2}}$, and not \\boxed{1} as in the draft: \\boxed{\\frac{\\sqrt{3}}{2}}."
    assert math.gold({"problem": "p", "solution": sol}) == "\\frac{\\sqrt{3}}{2}"  # nested braces, last box
    assert get_task("math500").gold({"answer": "\\left( 3, \\frac{\\pi}{2} \\right)"}).startswith("\\left(")
    amc = get_task("amc23")
    assert amc.gold({"answer": 27.0}) == "27" and amc.gold({"answer": 2.5}) == "2.5"
    assert amc.question({"problem": "P", "question": "Q"}) == "Q" and amc.question({"problem": "P"}) == "P"
    assert fmt_number("7") == "7"


@pytest.mark.parametrize("task_id", MATH_TASKS)
def test_synthetic_items_are_in_the_real_schema(task_id: str) -> None:
    task = get_task(task_id)
    items = task.synthetic(random.Random(1), 6)
    keys = {"gsm8k": {"question", "answer"}, "math": {"problem", "level", "type", "solution"},
            "math500": {"problem", "solution", "answer", "subject", "level", "unique_id"},
            "amc23": {"id", "problem", "answer", "url", "question"}}[task_id]
    assert all(set(it) == keys for it in items) and len(items) == 6
    assert all(task.gold(it) for it in items)
    if task_id == "amc23":
        assert all(isinstance(it["answer"], float) for it in items)


def test_grading_real_formats_and_accuracy() -> None:
    """Right, wrong, nested-box, "the answer is", last-number fallback and no-answer responses."""
    math = get_task("math")
    items = [{"problem": "p", "solution": "so \\boxed{\\frac{1}{2}}"}] * 3 + \
            [{"problem": "p", "solution": "\\boxed{12}"}] * 3
    responses = [["Step 1 ... \\boxed{\\dfrac{1}{2}}"], ["\\boxed{0.5}"], ["\\boxed{\\frac{1}{3}}"],
                 ["The answer is 12."], ["we get 3 then 12"], ["I cannot solve this."]]
    results = math.score_batch(items, responses, ScoreContext())
    assert [r.score for r in results] == [1.0, 1.0, 0.0, 1.0, 1.0, 0.0]
    assert results[0].extracted == "\\dfrac{1}{2}" and results[5].detail["status"] == "no_answer"
    assert math.aggregate(items, results) == pytest.approx(100 * 4 / 6)
    assert math.aggregate_rows(items, results) == {"math": pytest.approx(100 * 4 / 6)}
    assert math.aggregate([], []) is None


def test_amc23_scores_in_steps_of_2_5_on_40_problems() -> None:
    amc = get_task("amc23")
    items = [{"answer": 1.0}] * 40
    results = [ItemResult(1.0 if i < 11 else 0.0) for i in range(40)]
    assert amc.aggregate(items, results) == 27.5
    assert amc.data.expected_items == 40 and amc.data.files[0].sha256 and "a45202b" in amc.data.files[0].url


def test_gsm8k_scores_the_first_sample_only() -> None:
    gsm = get_task("gsm8k")
    item = {"question": "q", "answer": "#### 5"}
    r = gsm.score_batch([item], [["\\boxed{4}", "\\boxed{5}"]], ScoreContext())[0]
    assert r.score == 0.0 and r.extracted == "4"


def test_math_copy_is_the_full_test_set_and_recorded() -> None:
    math, m500 = get_task("math"), get_task("math500")
    assert math.data.expected_items == 5000 and len(math.data.configs) == 7 and "5,000" in math.data.note
    assert m500.data.hub_id == "HuggingFaceH4/MATH-500" and m500.tables == ()
    proto = math.protocol()
    assert proto["data"]["hub_id"] == "EleutherAI/hendrycks_math" and proto["version"] == math.version
    assert proto["prompt_types"]["qwen2"] == "qwen25-math-cot" and "math-verify" in proto["grader"]
