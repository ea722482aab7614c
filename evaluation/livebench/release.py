"""The LiveBench release filter: which questions make up "LiveBench-2024-08-31" (the paper's LiveBench-0831).

Rule (``--livebench-release-option`` in https://github.com/LiveBench/LiveBench/blob/e84e548/livebench/
gen_ground_truth_judgment.py and show_livebench_result.py, same in FuseEval 5af2bad): a question belongs to
release option R when its ``livebench_release_date`` is on or before R and its ``livebench_removal_date`` is
empty or after R. Upstream accepts only the releases it knows at that snapshot (2024-06-24, 2024-07-26,
2024-08-31) and keeps questions whose release date is one of the known releases up to R; on the hub data that
is the same set as "released on or before R", which is what we implement (questions of later releases are
dated after R).
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, datetime
from typing import Any

#: release options known to the scorer snapshot we follow (upstream rejects any other)
KNOWN_RELEASES: tuple[str, ...] = ("2024-06-24", "2024-07-26", "2024-08-31")
DEFAULT_RELEASE = "2024-08-31"


def as_day(value: Any) -> str:
    """A release/removal date as ``YYYY-MM-DD``; ``""`` for no date. The hub stores release dates as
    timestamps and removal dates as strings (``""`` when the question is live)."""
    if value is None:
        return ""
    if isinstance(value, datetime | date):
        return value.strftime("%Y-%m-%d")
    text = str(value).strip()
    if text and len(text) >= 10 and text[4] == "-" and text[7] == "-":
        return text[:10]
    if text:
        raise ValueError(f"livebench: unreadable date {value!r}")
    return ""


def in_release(question: dict[str, Any], option: str = DEFAULT_RELEASE) -> bool:
    """Whether ``question`` is part of release ``option`` (see module rule)."""
    released = as_day(question.get("livebench_release_date"))
    if not released:
        raise ValueError(f"livebench question {question.get('question_id')}: no livebench_release_date")
    removed = as_day(question.get("livebench_removal_date"))
    return released <= option and (not removed or removed > option)


def select_release(questions: Iterable[dict[str, Any]], option: str = DEFAULT_RELEASE) -> list[dict[str, Any]]:
    """The questions of release ``option``, with their dates normalised to ``YYYY-MM-DD`` strings (as upstream
    does before writing answers). An option the snapshot does not know is an error."""
    if option not in KNOWN_RELEASES:
        raise ValueError(f"livebench: unknown release option {option!r}; known: {', '.join(KNOWN_RELEASES)}")
    kept = []
    for q in questions:
        if in_release(q, option):
            kept.append({**q, "livebench_release_date": as_day(q.get("livebench_release_date")),
                         "livebench_removal_date": as_day(q.get("livebench_removal_date"))})
    return kept
