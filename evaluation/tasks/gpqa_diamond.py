"""GPQA-Diamond (198 graduate-level questions, 4 options), as FuseEval's MC-Eval runs it: the MMLU-Pro zero-shot
CoT prompt, greedy, 2,048 new tokens (vLLM context 8,192 instead of 4,096), three-stage extraction, seeded
random fallback, accuracy (see ``evaluation/tasks/_mc.py``).

Data: the copy FuseEval reads, ``General-Eval/MC-Eval/data/gpqa_formatted/diamond/train-00000-of-00001.parquet``
(SLIT-AI/FuseChat-3.0 at 5af2bad; columns ``Question``, ``options`` (four strings in a fixed order), ``answer`` (the
gold index), ``Canary String``), fetched from FuseEval's tree and sha256-checked. Its option order is FuseEval's
order and is used as is: 198 rows with gold letters A 46 / B 58 / C 47 / D 47 (counted on the file). GPQA is
CC-BY-4.0 and its card asks that examples not be revealed in plain text online, so no item is committed here.
FuseEval's loader renames ``Question`` to ``question`` and scores ``pred == chr(65 + answer)``.
"""

from __future__ import annotations

import random
from typing import Any

from evaluation.tasks._mc import MultipleChoiceTask
from evaluation.tasks.base import FUSECHAT_TABLES, FUSEEVAL_COMMIT, FUSEEVAL_RAW, DataFile, DataSpec

PARQUET = DataFile("train-00000-of-00001.parquet",
                   f"{FUSEEVAL_RAW}/General-Eval/MC-Eval/data/gpqa_formatted/diamond/train-00000-of-00001.parquet",
                   "0124d3dbbb790dfc0a15b1d5c25450e50c7dbf66c8fc9c8da0b32b3daf57da1f")


class GPQADiamond(MultipleChoiceTask):
    id = "gpqa_diamond"
    version = "2"
    display = "GPQA-Diamond"
    tolerance = 4.0
    tolerance_why = "198 questions: one question = 0.5 points; greedy-decoding flips move it by several"
    tables = FUSECHAT_TABLES
    order = 11
    max_model_len = 8192
    data = DataSpec(None, split="train", expected_items=198, licence="CC-BY-4.0; do not reveal examples",
                    files=(PARQUET,),
                    note=f"FuseEval's gpqa_formatted/diamond (SLIT-AI/FuseChat-3.0@{FUSEEVAL_COMMIT[:7]}), its "
                         "option order")

    def fields(self, item: dict[str, Any]) -> tuple[str, list[str], int]:
        return str(item["Question"]), [str(o) for o in item["options"]], int(item["answer"])

    def synthetic(self, rng: random.Random, n: int) -> list[dict[str, Any]]:
        """Questions in FuseEval's ``gpqa_formatted`` schema (``Question``, ``options``, ``answer`` index)."""
        from fusechat.tiny_world.synthetic import MC_FACTS

        out = []
        for i in range(n):
            q, choices, ans = MC_FACTS[i % len(MC_FACTS)]
            order = list(range(len(choices)))
            rng.shuffle(order)
            out.append({"Question": q, "options": [choices[j] for j in order], "answer": order.index(ans),
                        "Canary String": "SYNTHETIC ITEM, NOT FROM GPQA"})
        return out


TASK = GPQADiamond()
