"""LiveBench instruction-following category (``paraphrase``, ``simplify``, ``story_generation``, ``summarize``).

Rule (https://github.com/LiveBench/LiveBench/blob/e84e548/livebench/process_results/instruction_following/
utils.py and .../if_runner/instruction_following_eval/evaluation_main.py): every question carries IFEval
instruction ids and kwargs; each instruction is checked **strictly** (the response as is, no loose variants)
with Google's IFEval checkers; an empty (whitespace) response follows nothing. The question's score is
``(all followed + fraction followed) / 2``.

The checkers are not rewritten: we use lm-evaluation-harness' copy of Google's IFEval library
(``lm_eval.tasks.ifeval``), which has the same 25 registered instructions as LiveBench's vendored copy. Two
environment notes: the checkers need ``langdetect`` and ``immutabledict``, and the sentence/word counters need
the nltk ``punkt_tab`` data, which must be fetched before an offline run (the LiveBench fetch step does it, or
``python -m nltk.downloader punkt_tab``); a missing resource is a one-line error, never a silent miss.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

#: the nltk resource the sentence/word counters load (``python evaluation/fetch_data.py --task livebench`` fetches it)
NLTK_DATA = "punkt_tab"


def _registry() -> dict[str, Any]:
    from lm_eval.tasks.ifeval import instructions_registry

    return instructions_registry.INSTRUCTION_DICT


def follow_list(question: dict[str, Any], response: str) -> list[bool]:
    """For each instruction of ``question`` (``instruction_id_list`` with ``kwargs``), whether ``response``
    follows it strictly. ``None`` kwargs are dropped (upstream). Upstream's runner also hands the prompt to a
    checker whose arguments name ``prompt``; none of the 25 registered checkers has one (a test checks the
    registry), so no checker here needs the prompt."""
    registry = _registry()
    result = []
    for instruction_id, kwargs in zip(question["instruction_id_list"], question["kwargs"], strict=True):
        if instruction_id not in registry:
            raise ValueError(f"livebench instruction_following: unknown instruction {instruction_id!r} "
                             f"in question {question.get('question_id')}")
        checker = registry[instruction_id](instruction_id)
        checker.build_description(**{k: v for k, v in (kwargs or {}).items() if v is not None})
        try:
            result.append(bool(response.strip()) and bool(checker.check_following(response)))
        except LookupError:  # nltk data missing: never a silent "not followed"
            raise LookupError(f"livebench instruction_following: nltk data {NLTK_DATA!r} is missing (checker "
                              f"{instruction_id}); run: python -m nltk.downloader {NLTK_DATA}") from None
    return result


def score_instruction_following(question: dict[str, Any], response: str) -> float:
    """``(1 if all followed else 0 + followed / total) / 2``."""
    followed = follow_list(question, response)
    if not followed:
        raise ValueError(f"livebench instruction_following: question {question.get('question_id')} "
                         "has no instructions")
    return (float(all(followed)) + sum(followed) / len(followed)) / 2


_TASKS = ("paraphrase", "simplify", "story_generation", "summarize")
SCORERS: dict[str, Callable[[dict[str, Any], str], float]] = {t: score_instruction_following for t in _TASKS}
