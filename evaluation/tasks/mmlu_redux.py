"""MMLU-Redux: the FuseChat-3.0 tables' "MMLU-redux" row, run on the real MMLU-Redux with FuseEval's MC-Eval
protocol (zero-shot CoT, "The best answer is X", greedy, three-stage extraction, seeded fallback; see
``evaluation/tasks/_mc.py``).

FuseEval's code never loads MMLU-Redux: the row was produced on full MMLU (task ``mmlu``, the documented
variant). Running the benchmark the table names is this task; to match the paper's numbers run ``mmlu`` too and
compare (README "Evaluation"). Which copy: ``edinburgh-dawg/mmlu-redux-2.0`` (CC-BY-4.0), the 57 MMLU subjects x
100 re-annotated questions (5,700), concatenated in subject order; questions whose ``error_type`` is not "ok"
are dropped before evaluation, as the Redux authors recommend and as lm-evaluation-harness's
``mmlu_redux`` tasks do (``fxmarty/mmlu-redux-2.0-ok``). The metrics JSON records the kept count.
"""

from __future__ import annotations

import random
from typing import Any

from evaluation.tasks._mc import MultipleChoiceTask
from evaluation.tasks.base import TABLES_14, DataSpec

#: The 57 MMLU subjects (the configs of edinburgh-dawg/mmlu-redux-2.0 and cais/mmlu), alphabetical.
SUBJECTS = (
    "abstract_algebra", "anatomy", "astronomy", "business_ethics", "clinical_knowledge", "college_biology",
    "college_chemistry", "college_computer_science", "college_mathematics", "college_medicine", "college_physics",
    "computer_security", "conceptual_physics", "econometrics", "electrical_engineering", "elementary_mathematics",
    "formal_logic", "global_facts", "high_school_biology", "high_school_chemistry", "high_school_computer_science",
    "high_school_european_history", "high_school_geography", "high_school_government_and_politics",
    "high_school_macroeconomics", "high_school_mathematics", "high_school_microeconomics", "high_school_physics",
    "high_school_psychology", "high_school_statistics", "high_school_us_history", "high_school_world_history",
    "human_aging", "human_sexuality", "international_law", "jurisprudence", "logical_fallacies",
    "machine_learning", "management", "marketing", "medical_genetics", "miscellaneous", "moral_disputes",
    "moral_scenarios", "nutrition", "philosophy", "prehistory", "professional_accounting", "professional_law",
    "professional_medicine", "professional_psychology", "public_relations", "security_studies", "sociology",
    "us_foreign_policy", "virology", "world_religions",
)
#: The commit public reproductions of MMLU-Redux 2.0 pin (docs/evaluation.md, "Data pins"). FuseEval never read
#: this dataset, so no commit of the paper's era exists to match; this one fixes what is read.
REDUX_REVISION = "372ea425445d51e1ba1188c56e5e893f8138621f"
ERROR_TYPES = ("ok", "bad_question_clarity", "bad_options_clarity", "no_correct_answer", "multiple_correct_answers",
               "wrong_groundtruth", "expert")


class MMLURedux(MultipleChoiceTask):
    id = "mmlu_redux"
    version = "2"
    display = "MMLU-redux"
    tolerance = 2.0
    tolerance_why = ("ground truth; the paper's row was measured on full MMLU (FuseEval loads cais/mmlu), so a "
                     "gap to the reported value can be the dataset, not the model")
    tables = TABLES_14
    order = 10
    data = DataSpec("edinburgh-dawg/mmlu-redux-2.0", configs=SUBJECTS, split="test", expected_items=5700,
                    revision=REDUX_REVISION,
                    licence="CC-BY-4.0", note="57 subjects x 100; only error_type == 'ok' is evaluated")

    def prepare(self, rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
        """Keep the questions annotated ``ok`` (the others have an unclear question/options or a wrong gold)."""
        return [r for r in rows if r.get("error_type", "ok") == "ok"]

    def fields(self, item: dict[str, Any]) -> tuple[str, list[str], int]:
        return item["question"], list(item["choices"]), int(item["answer"])

    def synthetic(self, rng: random.Random, n: int) -> list[dict[str, Any]]:
        """Questions in MMLU-Redux's schema: ``choices``, ``answer`` index and the annotation fields; about one
        in six annotated with an error (dropped by ``prepare``)."""
        from fusechat.tiny_world.synthetic import mmlu_items

        out = []
        for i, it in enumerate(mmlu_items(rng, n)):
            err = "ok" if i % 6 != 5 else rng.choice(ERROR_TYPES[1:])
            out.append({"question": it["question"], "choices": it["choices"], "answer": it["answer"],
                        "error_type": err, "source": "synthetic", "correct_answer": None,
                        "potential_reason": "" if err == "ok" else "synthetic annotation"})
        return out


TASK = MMLURedux()
