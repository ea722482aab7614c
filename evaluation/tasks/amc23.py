"""AMC 23 (the 40 problems of the 2023 AMC 12A/12B with numeric answers), as FuseEval's Math-Eval runs it:
zero-shot CoT prompt type per family, greedy, 2,048 tokens; accuracy = correct / 40, so every score is a
multiple of 2.5 (as every FuseChat-3.0 value is). See ``evaluation/tasks/_math.py``.

Data: the Qwen2.5-Math toolkit's own file ``evaluation/data/amc23/test.jsonl`` (fields ``id``, ``problem``,
``answer`` as a float, ``url``, ``question``) at commit a45202b, fetched by URL and checked by sha256. There is
no canonical hub copy; the problems are MAA material redistributed via AoPS (no licence stated), so no item is
committed here.
"""

from __future__ import annotations

import random
from typing import Any

from evaluation.tasks._math import MathTask, fmt_number
from evaluation.tasks.base import FUSECHAT_TABLES, DataFile, DataSpec

QWEN_MATH_COMMIT = "a45202bd16f1ec06f433442dc1152d0074773465"
URL = f"https://raw.githubusercontent.com/QwenLM/Qwen2.5-Math/{QWEN_MATH_COMMIT}/evaluation/data/amc23/test.jsonl"


class AMC23(MathTask):
    id = "amc23"
    version = "2"
    display = "AMC 23"
    tolerance = 5.0
    tolerance_why = "40 problems: one problem = 2.5 points, so ±2 problems"
    tables = FUSECHAT_TABLES
    order = 8
    data = DataSpec(None, expected_items=40, licence="none stated (MAA/AoPS problems)",
                    files=(DataFile("test.jsonl", URL,
                                    "43707e1ca784602d8479de24ee8ce36609dbebc46dd152b0b12a46611aa898a4"),),
                    note="Qwen2.5-Math evaluation/data/amc23/test.jsonl @a45202b")

    def question(self, item: dict[str, Any]) -> str:
        return item.get("question") or item["problem"]

    def gold(self, item: dict[str, Any]) -> str:
        return fmt_number(item["answer"])

    def synthetic(self, rng: random.Random, n: int) -> list[dict[str, Any]]:
        """Problems in the toolkit's amc23 schema; the answer is a float like the real file's (e.g. 27.0)."""
        out = []
        for i in range(n):
            a, b = rng.randint(10, 60), rng.randint(2, 9)
            text = (f"Cities $A$ and $B$ are ${a * b}$ miles apart. A cyclist rides at ${b}$ miles per hour. "
                    "How many hours does the trip take?")
            out.append({"id": i, "problem": text, "answer": float(a),
                        "url": f"https://artofproblemsolving.com/wiki/index.php/2023_AMC_12A_Problems/Problem_{i + 1}",
                        "question": text})
        return out


TASK = AMC23()
