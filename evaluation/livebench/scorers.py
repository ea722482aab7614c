"""Which scorer scores a LiveBench question: by category, then by task (upstream dispatches on subtask/task in
https://github.com/LiveBench/LiveBench/blob/e84e548/livebench/gen_ground_truth_judgment.py; every
instruction-following task goes through the IFEval checkers). Coding is scored in batches through the sandbox
(``evaluation.livebench.coding``) and is not in this table."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from evaluation.livebench import data_analysis, instruction_following, language, mathematics, reasoning

Scorer = Callable[[dict[str, Any], str], float]

#: the tasks of release 2024-08-31, per category (LiveBench's six categories, 18 tasks)
CATEGORY_TASKS: dict[str, tuple[str, ...]] = {
    "math": ("AMPS_Hard", "math_comp", "olympiad"),
    "reasoning": ("spatial", "web_of_lies_v2", "zebra_puzzle"),
    "coding": ("LCB_generation", "coding_completion"),
    "data_analysis": ("cta", "tablejoin", "tablereformat"),
    "language": ("connections", "plot_unscrambling", "typos"),
    "instruction_following": ("paraphrase", "simplify", "story_generation", "summarize"),
}

_BY_CATEGORY: dict[str, dict[str, Scorer]] = {
    "math": mathematics.SCORERS,
    "reasoning": reasoning.SCORERS,
    "data_analysis": data_analysis.SCORERS,
    "language": language.SCORERS,
    "instruction_following": instruction_following.SCORERS,
}


def is_coding(question: dict[str, Any]) -> bool:
    return question.get("category") == "coding"


def scorer_for(question: dict[str, Any]) -> Scorer:
    """The scorer of a non-coding question; a one-line error for an unknown category or task."""
    category, task = question.get("category"), question.get("task")
    if category == "instruction_following":
        return instruction_following.score_instruction_following
    table = _BY_CATEGORY.get(str(category))
    if table is None or task not in table:
        raise ValueError(f"livebench question {question.get('question_id')}: no scorer for "
                         f"category {category!r} task {task!r}")
    return table[task]


def score_question(question: dict[str, Any], response: str) -> float:
    """Score in [0, 1] of ``response`` to a non-coding question."""
    return float(scorer_for(question)(question, response))
