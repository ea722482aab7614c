"""GPQA-Diamond (198 graduate-level questions, 4 options), as FuseEval's MC-Eval runs it: the MMLU-Pro zero-shot
CoT prompt, greedy, 2,048 new tokens (vLLM context 8,192 instead of 4,096), three-stage extraction, seeded
random fallback, accuracy (see ``evaluation/tasks/_mc.py``).

Data: ``Idavidrein/gpqa`` config ``gpqa_diamond``, split ``train`` (the only split), CC-BY-4.0 and **gated**
(accept the terms on the hub, then ``huggingface-cli login``); its card asks that examples not be revealed in
plain text online, so no item is committed here. The rows hold the correct answer and three incorrect answers
in separate fields; FuseEval used a pre-formatted copy (``gpqa_formatted/diamond``: ``Question``, ``options``,
``answer`` index) whose option order cannot be checked. Here the four options are shuffled deterministically
per question (``random.Random("gpqa:" + Record ID)``), so the gold letter is spread over A-D and the order is
the same in every run.
"""

from __future__ import annotations

import random
from typing import Any

from evaluation.tasks._mc import MultipleChoiceTask
from evaluation.tasks.base import FUSECHAT_TABLES, DataSpec

_ANSWERS = ("Correct Answer", "Incorrect Answer 1", "Incorrect Answer 2", "Incorrect Answer 3")


def shuffled_options(item: dict[str, Any]) -> tuple[list[str], int]:
    """The four answers in this question's fixed shuffled order, and the index of the correct one."""
    answers = [str(item[k]).strip() for k in _ANSWERS]
    order = list(range(4))
    random.Random(f"gpqa:{item['Record ID']}").shuffle(order)
    return [answers[j] for j in order], order.index(0)


class GPQADiamond(MultipleChoiceTask):
    id = "gpqa_diamond"
    version = "1"
    display = "GPQA-Diamond"
    tolerance = 4.0
    tolerance_why = "198 questions: one question = 0.5 points; greedy-decoding flips move it by several"
    tables = FUSECHAT_TABLES
    order = 11
    max_model_len = 8192
    data = DataSpec("Idavidrein/gpqa", config="gpqa_diamond", split="train", expected_items=198,
                    licence="CC-BY-4.0, gated; do not reveal examples", gated=True,
                    note="options shuffled per question with seed 'gpqa:<Record ID>'")

    def fields(self, item: dict[str, Any]) -> tuple[str, list[str], int]:
        options, gold = shuffled_options(item)
        return str(item["Question"]).strip(), options, gold

    def synthetic(self, rng: random.Random, n: int) -> list[dict[str, Any]]:
        """Questions in ``Idavidrein/gpqa``'s schema (correct / incorrect answers in separate fields)."""
        from fusechat.tiny_world.synthetic import MC_FACTS

        out = []
        for i in range(n):
            q, choices, ans = MC_FACTS[i % len(MC_FACTS)]
            wrong = [c for j, c in enumerate(choices) if j != ans]
            out.append({"Record ID": f"rec{rng.randrange(10**8):08d}", "Question": q,
                        "Correct Answer": choices[ans], "Incorrect Answer 1": wrong[0],
                        "Incorrect Answer 2": wrong[1], "Incorrect Answer 3": wrong[2],
                        "High-level domain": "Synthetic", "Subdomain": "Tiny world",
                        "Canary String": "SYNTHETIC ITEM, NOT FROM GPQA"})
        return out


TASK = GPQADiamond()
