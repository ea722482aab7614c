"""MMLU / MMLU-redux style multiple choice as FuseEval's MC-Eval runs it (TIGER-Lab MMLU-Pro script): zero-shot
CoT with the Llama-3.1-evals instruction to end with "The best answer is X", greedy decoding, regex extraction with
fallbacks; an unparsable answer becomes a random option drawn with seed 12345. Metric: micro accuracy (%).
"""

from __future__ import annotations

import random
import re
from typing import Any

from evaluation.benchmarks.common import load_items
from fusechat.tiny_world.synthetic import mc_prompt

METRIC = "accuracy"
LETTERS = "ABCDEFGHIJ"
_PATTERNS = [
    re.compile(r"best answer is\s*\(?([A-J])\)?", re.IGNORECASE),
    re.compile(r"answer is\s*\(?([A-J])\)?", re.IGNORECASE),
    re.compile(r"\b([A-J])\)?\s*$"),
]


def load(path: str, limit: int | None = None, **hub: Any) -> list[dict[str, Any]]:
    return load_items(path, limit, **hub)


def messages(item: dict[str, Any]) -> list[dict[str, str]]:
    return [{"role": "user", "content": mc_prompt(item)}]


def extract_choice(response: str, n_choices: int) -> str | None:
    for pat in _PATTERNS:
        found = pat.findall(response)
        if found and LETTERS.index(found[-1].upper()) < n_choices:
            return found[-1].upper()
    return None


def score(item: dict[str, Any], response: str, rng: random.Random | None = None) -> tuple[bool, str | None]:
    n = len(item["choices"])
    choice = extract_choice(response, n)
    if choice is None:  # FuseEval: unparsable → random option (seed 12345)
        choice = LETTERS[(rng or random.Random(12345)).randrange(n)]
    return LETTERS.index(choice) == item["answer"], choice
