"""LiveBench language category: ``connections``, ``plot_unscrambling``, ``typos``.

Rules follow (no code copied) https://github.com/LiveBench/LiveBench/blob/e84e548/livebench/process_results/
writing/{connections,plot_unscrambling,typos}/utils.py (identical in FuseEval 5af2bad).
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Callable
from typing import Any

from evaluation.livebench.mathematics import sequence_edit_distance


def _groups_of_four(text: str) -> list[list[str]]:
    """Comma-separated words, stripped and lower-cased, cut into consecutive groups of four."""
    words = [w.strip().lower() for w in text.split(",")]
    return [words[i:i + 4] for i in range(0, len(words), 4)] or [[]]


def score_connections(ground_truth: str, response: str) -> float:
    """Each ``**bold**`` span is read as a solution (16 comma-separated words, groups of four in order); its
    score is the fraction of true groups whose words all fall into one of its groups; the response scores the
    best span. No bold: 0."""
    spans = re.findall(r"\*\*(.*?)\*\*", response)
    truth = _groups_of_four(ground_truth)
    best = 0.0
    for span in spans:
        groups = _groups_of_four(span)
        hits = sum(any(all(w in g for w in t) for g in groups) for t in truth)
        best = max(best, hits / len(truth))
    return best


def score_plot_unscrambling(ground_truth: str, response: str) -> float:
    """Keep what follows ``<PLOT_SUMMARY>`` (if present); split both texts into sentences at full stops; map
    each true sentence to the index of its closest answer sentence (difflib, no cutoff); score
    ``1 - edit_distance(0..n-1, mapped indices) / n``."""
    m = re.search(r"<PLOT_SUMMARY>(.*)", response, re.DOTALL)
    answer = m.group(1) if m else response
    truth_sents = [s.strip() for s in ground_truth.split(".") if s.strip()]
    answer_sents = [s.strip() for s in answer.split(".") if s.strip()]
    order = []
    for sent in truth_sents:
        match = difflib.get_close_matches(sent, answer_sents, n=1, cutoff=0.0)
        if match:
            order.append(answer_sents.index(match[0]))
    return 1.0 - sequence_edit_distance(list(range(len(truth_sents))), order) / len(truth_sents)


def score_typos(ground_truth: str, response: str) -> float:
    """The corrected text must appear verbatim in the response's last non-empty line. An empty response
    scores 0 (upstream would fail on it)."""
    lines = [ln for ln in response.split("\n") if ln]
    return 1.0 if lines and ground_truth in lines[-1] else 0.0


SCORERS: dict[str, Callable[[dict[str, Any], str], float]] = {
    "connections": lambda q, r: score_connections(q["ground_truth"], r),
    "plot_unscrambling": lambda q, r: score_plot_unscrambling(q["ground_truth"], r),
    "typos": lambda q, r: score_typos(q["ground_truth"], r),
}
