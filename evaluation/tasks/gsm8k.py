"""GSM8K (1,319 grade-school word problems), as FuseEval's Math-Eval (Qwen2.5-Math toolkit) runs it: zero-shot
CoT prompt type per family, greedy, 2,048 tokens, accuracy (see ``evaluation/tasks/_math.py``).

Data: ``openai/gsm8k`` main/test (MIT) as FuseEval's Math-Eval reads it: its vendored ``data/gsm8k/test.jsonl``
(1,319 problems, ``question`` / ``answer``), fetched from FuseEval's tree and sha256-checked; the gold answer is the
number after ``####`` in the reference solution.
"""

from __future__ import annotations

import random
from typing import Any

from evaluation.tasks._math import MathTask
from evaluation.tasks.base import FUSECHAT_TABLES, FUSEEVAL_COMMIT, FUSEEVAL_RAW, DataFile, DataSpec
from fusechat.math_answers import extract_answer


class GSM8K(MathTask):
    id = "gsm8k"
    version = "2"
    display = "GSM8K"
    tolerance = 2.0
    tolerance_why = "ground truth on 1,319 problems; ±2 points covers template, grader and vLLM batch nondeterminism"
    tables = FUSECHAT_TABLES
    order = 6
    data = DataSpec(None, split="test", expected_items=1319, licence="MIT", files=(DataFile(
        "test.jsonl", f"{FUSEEVAL_RAW}/Math-Eval/data/gsm8k/test.jsonl",
        "9f098df7ff4522078d6ccec27a5c38a454790fdb51131bedfaa0e490070d5394"),),
        note=f"FuseEval Math-Eval data/gsm8k/test.jsonl (SLIT-AI/FuseChat-3.0@{FUSEEVAL_COMMIT[:7]}); "
             "gold = the number after '####' in 'answer'")

    def gold(self, item: dict[str, Any]) -> str:
        found = extract_answer(item["answer"], "gsm8k")
        if found is None:
            raise ValueError(f"GSM8K item without a '#### N' answer: {item['answer'][:80]!r}")
        return found

    def synthetic(self, rng: random.Random, n: int) -> list[dict[str, Any]]:
        """Word problems in ``openai/gsm8k``'s schema (``question``; ``answer`` with ``<<calc>>`` and ``#### N``)."""
        from fusechat.tiny_world.synthetic import gsm8k_items

        return gsm8k_items(rng, n)


TASK = GSM8K()
