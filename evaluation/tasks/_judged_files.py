"""Helpers shared by MT-Bench and AlignBench: the judge's fetched files (or the tiny world's stand-ins) and the
local tiny judge's reward -> rating mapping.

* Real items use the files ``evaluation/fetch_data.py`` put under ``<data_dir>/<task>/files/<name>`` (pinned
  upstream commits, sha256-checked); scoring finds that folder in ``ScoreContext.options["data_dir"]``.
* Synthetic items (the tiny world, ``Task.synthetic``) carry question ids from ``SYNTHETIC_ID_BASE`` up; they are
  judged with stand-in files written by us in the real files' structure, never with the real ones (a synthetic
  question has no real reference answer). A batch must not mix the two.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from pathlib import Path
from typing import Any

#: Question ids of synthetic items start here (MT-Bench's real ids are 81-160, AlignBench's 1-683).
SYNTHETIC_ID_BASE = 10_000


class JudgedDataError(RuntimeError):
    """A judge file that scoring needs is missing (one line naming the fetch command)."""


def is_synthetic(item: dict[str, Any]) -> bool:
    return int(item["question_id"]) >= SYNTHETIC_ID_BASE


def all_synthetic(task_id: str, items: Sequence[dict[str, Any]]) -> bool:
    """True when every item is synthetic, False when none is; mixing both is an error."""
    flags = {is_synthetic(it) for it in items}
    if len(flags) > 1:
        raise JudgedDataError(f"{task_id}: synthetic (tiny world) and real items in one batch")
    return flags == {True}


def fetched_file(task_id: str, options: dict[str, Any], name: str) -> Path:
    """``<data_dir>/files/<name>`` of a task (``name`` may also be an absolute path given as a task option)."""
    if Path(name).is_absolute():
        path = Path(name)
    else:
        if "data_dir" not in options:
            raise JudgedDataError(f"{task_id}: scoring context has no data_dir to find {name} in")
        path = Path(options["data_dir"]) / "files" / name
    if not path.is_file():
        raise JudgedDataError(f"{task_id}: judge file {path} not found; run: python evaluation/fetch_data.py "
                              f"--task {task_id}")
    return path


def reward_rating(reward: float) -> int:
    """The local tiny judge's 1-10 rating of a reward-model score: ``1 + floor(10 * sigmoid(reward))``, capped at
    10. Monotone non-decreasing in the reward; reward 0 maps to 6."""
    return min(10, 1 + math.floor(10.0 / (1.0 + math.exp(-reward))))


def reward_rating_vs_reference(answer_reward: float, reference_reward: float) -> int:
    """The local tiny judge's 1-10 rating of an answer against a reference worth 8 (AlignBench's rubric anchors
    the reference answer at 8): ``8 + 7 * tanh(answer_reward - reference_reward)``, rounded and clipped to 1-10.
    Monotone non-decreasing in the answer's reward; equal rewards give 8."""
    value = 8.0 + 7.0 * math.tanh(answer_reward - reference_reward)
    return max(1, min(10, round(value)))
