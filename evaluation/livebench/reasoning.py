"""LiveBench reasoning category: ``zebra_puzzle``, ``web_of_lies_v2``, ``spatial``.

Rules follow (no code copied) https://github.com/LiveBench/LiveBench/blob/e84e548/livebench/process_results/
reasoning/{zebra_puzzle,web_of_lies_v2,spatial}/utils.py (identical in FuseEval 5af2bad).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

from evaluation.livebench._boxed import last_boxed

_DIGIT_WORDS = ["zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine", "ten", "eleven",
                "twelve", "thirteen", "fourteen", "fifteen", "sixteen", "seventeen", "eighteen", "nineteen",
                "twenty"]


def _zebra_match(word: str, truth: str) -> bool:
    """A candidate equals the truth case-insensitively, or is a digit 1-9 whose English word is the truth,
    or is the truth minus a trailing ``" movies"``."""
    w, t = word.lower(), truth.lower()
    spelled = _DIGIT_WORDS[int(word)] if word in {str(i) for i in range(1, 10)} else None
    return w == t or spelled == t or w + " movies" == t


def score_zebra_puzzle(ground_truth: str, response: str) -> float:
    """The answer is the last word in triple-asterisk bold (``***word***``); without any, the last word of the
    response. Correct when it matches the truth (see ``_zebra_match``)."""
    bold = re.findall(r"\*\*\*(\w+)\*\*\*", response)
    if bold:
        return 1.0 if _zebra_match(bold[-1], ground_truth) else 0.0
    words = re.findall(r"\b\w+\b", response)
    return 1.0 if _zebra_match(words[-1] if words else "", ground_truth) else 0.0


def score_web_of_lies(ground_truth: str, response: str) -> float:
    """The answer is the last ``**bold**`` span: correct if it equals the truth (``yes, no, yes``), or if it
    holds exactly three yes/no words in total and contains the truth. No bold: 0."""
    bold = re.findall(r"\*\*(.*?)\*\*", response)
    if not bold:
        return 0.0
    last, truth = bold[-1].lower(), ground_truth.lower()
    if last == truth:
        return 1.0
    return 1.0 if last.count("yes") + last.count("no") == 3 and truth in last else 0.0


_SHAPES = ("tetrahedra", "tetrahedron", "triangle", "square")


def score_spatial(ground_truth: str, response: str) -> float:
    """Any of the last three ``**bold**`` spans equals the truth, or spells it as a number word (zero-twenty),
    or, for the truths tetrahedra/tetrahedron/triangle/square, contains it and is shorter than
    ``2 * len(truth) + 5`` ("equilateral triangle" passes, "circle square triangle" does not). Otherwise the
    last ``\\boxed{}`` must equal the truth exactly."""
    truth = ground_truth.strip().lower()
    bold = re.findall(r"\*\*([^\*]+)\*\*", response)
    for word in (b.strip().lower() for b in bold[::-1][:3]):
        if word == truth:
            return 1.0
        if word in _DIGIT_WORDS and str(_DIGIT_WORDS.index(word)) == truth:
            return 1.0
        if truth in _SHAPES and truth in word and len(word) < 2 * len(truth) + 5:
            return 1.0
    return 1.0 if last_boxed(response) == ground_truth else 0.0


SCORERS: dict[str, Callable[[dict[str, Any], str], float]] = {
    "zebra_puzzle": lambda q, r: score_zebra_puzzle(q["ground_truth"], r),
    "web_of_lies_v2": lambda q, r: score_web_of_lies(q["ground_truth"], r),
    "spatial": lambda q, r: score_spatial(q["ground_truth"], r),
}
