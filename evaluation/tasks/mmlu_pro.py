"""MMLU-Pro (12,032 questions, up to 10 options), as FuseEval's MC-Eval runs it: zero-shot CoT ending with
"The best answer is X", greedy, 2,048 tokens, three-stage extraction, seeded random fallback, micro accuracy
(see ``evaluation/tasks/_mc.py``). Upstream MMLU-Pro's official protocol is 5-shot CoT; FuseEval is zero-shot.

Data: ``TIGER-Lab/MMLU-Pro`` split ``test`` (MIT), read as the parquet file FuseEval vendors
(``General-Eval/MC-Eval/data/MMLU-Pro``, sha256 2bd1ae25...; the bytes the paper's harness read): ``question``, ``options``, ``answer`` (letter),
``answer_index``, ``cot_content``, ``category``, ``src``.
"""

from __future__ import annotations

import random
from typing import Any

from evaluation.tasks._mc import LETTERS, MultipleChoiceTask
from evaluation.tasks.base import FUSECHAT_TABLES, FUSEEVAL_COMMIT, FUSEEVAL_RAW, DataFile, DataSpec

_SUBJECTS = ("math", "physics", "law", "history", "biology")


class MMLUPro(MultipleChoiceTask):
    id = "mmlu_pro"
    version = "2"
    display = "MMLU-Pro"
    tolerance = 2.0
    tolerance_why = "ground truth on 12,032 questions; ±2 points covers template, extraction and batch noise"
    tables = FUSECHAT_TABLES
    order = 9
    data = DataSpec(None, split="test", expected_items=12032, licence="MIT", files=(DataFile(
        "test-00000-of-00001.parquet", f"{FUSEEVAL_RAW}/General-Eval/MC-Eval/data/MMLU-Pro/data/test-00000-of-00001.parquet",
        "2bd1ae25ec6c21d94ccc6d29be57cd489c4983e376f12531a968f61f666d8e5c"),),
        note=f"TIGER-Lab/MMLU-Pro test as FuseEval vendors it (data/MMLU-Pro, SLIT-AI/FuseChat-3.0@{FUSEEVAL_COMMIT[:7]})")

    def fields(self, item: dict[str, Any]) -> tuple[str, list[str], int]:
        return item["question"], list(item["options"]), int(item["answer_index"])

    def synthetic(self, rng: random.Random, n: int) -> list[dict[str, Any]]:
        """Questions in MMLU-Pro's schema with 10 options (some rows padded with "N/A", as the real set has)."""
        from fusechat.tiny_world.synthetic import MC_FACTS

        out = []
        for i in range(n):
            q, choices, ans = MC_FACTS[i % len(MC_FACTS)]
            fillers = [f"option {k}" for k in range(6)]
            opts = [*choices, *fillers]
            rng.shuffle(opts)
            if i % 4 == 3:  # a padded row: one filler option is "N/A" (dropped by the protocol)
                opts[opts.index(fillers[0])] = "N/A"
            gold = opts.index(choices[ans])
            out.append({"question_id": i, "question": q, "options": opts, "answer": LETTERS[gold],
                        "answer_index": gold, "cot_content": "", "category": _SUBJECTS[i % len(_SUBJECTS)],
                        "src": f"synthetic-{i}"})
        return out


TASK = MMLUPro()
