"""GSM8K (FuseEval Math-Eval, Qwen2.5-Math harness): zero-shot CoT, "put your final answer within \\boxed{}",
greedy decoding; the prediction is the last ``\\boxed{}`` (fallback: last number), compared with the gold after
``####`` by math-verify. Metric: accuracy (%).
"""

from __future__ import annotations

import random
from typing import Any

from evaluation.benchmarks.common import load_items
from fusechat.math_answers import check_response, extract_answer

METRIC = "accuracy"
INSTRUCTION = "Please reason step by step, and put your final answer within \\boxed{}."


def load(path: str, limit: int | None = None, **hub: Any) -> list[dict[str, Any]]:
    return load_items(path, limit, **hub)


def gold(item: dict[str, Any]) -> str:
    found = extract_answer(item["answer"], "gsm8k")
    if found is None:
        raise ValueError(f"GSM8K item without a '#### N' answer: {item['answer'][:80]!r}")
    return found.replace(",", "")


def messages(item: dict[str, Any]) -> list[dict[str, str]]:
    return [{"role": "user", "content": f"{item['question']}\n{INSTRUCTION}"}]


def score(item: dict[str, Any], response: str, rng: random.Random | None = None) -> tuple[bool, str | None]:
    """Correct when the extracted answer is math-verify-equivalent to the gold (``rng`` unused)."""
    verdict = check_response(response, gold(item), convention="auto")
    return verdict.correct, verdict.extracted
