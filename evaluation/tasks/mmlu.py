"""MMLU, full (14,042 test questions, 4 options): what FuseEval's MC-Eval actually loads for the row the
FuseChat-3.0 tables call "MMLU-redux" (its ``test.sh ... mmlu`` reads ``data/mmlu_no_train``, a copy of
``cais/mmlu`` without the auxiliary train split; nothing in FuseEval loads MMLU-Redux). This task is the
Llama-3.2-1B table's "MMLU" row, and the documented variant to compare with the other tables' "MMLU-redux" row
(task ``mmlu_redux`` runs the real MMLU-Redux). Same prompt, decoding and scoring as MMLU-Pro
(``evaluation/tasks/_mc.py``).

Data: ``cais/mmlu`` config ``all``, split ``test`` (MIT), read as FuseEval's vendored parquet
(``data/mmlu_no_train/all/test-00000-of-00001.parquet``, sha256-pinned): ``question``, ``subject``, ``choices``, ``answer``
(index).
"""

from __future__ import annotations

import random
from typing import Any

from evaluation.tasks._mc import MultipleChoiceTask
from evaluation.tasks.base import FUSEEVAL_COMMIT, FUSEEVAL_RAW, DataFile, DataSpec


class MMLU(MultipleChoiceTask):
    id = "mmlu"
    version = "2"
    display = "MMLU"
    tolerance = 2.0
    tolerance_why = "ground truth on 14,042 questions (the Llama-3.2-1B table's row)"
    tables = ("llama32_1b",)
    order = 10
    data = DataSpec(None, split="test", expected_items=14042, licence="MIT", files=(DataFile(
        "test-00000-of-00001.parquet", f"{FUSEEVAL_RAW}/General-Eval/MC-Eval/data/mmlu_no_train/all/test-00000-of-00001.parquet",
        "02033371a64dbe5a0d8b6fb9d612900afcd0fea5140e53490993a4540b3a58fd"),),
        note=f"cais/mmlu all/test as FuseEval vendors it (data/mmlu_no_train, SLIT-AI/FuseChat-3.0@{FUSEEVAL_COMMIT[:7]})")

    def fields(self, item: dict[str, Any]) -> tuple[str, list[str], int]:
        return item["question"], list(item["choices"]), int(item["answer"])

    def synthetic(self, rng: random.Random, n: int) -> list[dict[str, Any]]:
        """Questions in ``cais/mmlu``'s schema (``choices`` list, integer ``answer``), choices shuffled."""
        from fusechat.tiny_world.synthetic import mmlu_items

        return mmlu_items(rng, n)


TASK = MMLU()
