"""LiveBench's overall number: the mean over categories of the mean over tasks, as a percentage.

Rule (https://github.com/LiveBench/LiveBench/blob/e84e548/livebench/show_livebench_result.py, "All Groups"):
scores are ×100; group by (task, category) and average the questions; average the tasks of each category;
the overall is the plain mean of the category means. Tasks are grouped by ``task`` (not ``subtask``), so e.g.
the AMC and AIME questions of ``math_comp`` form one task. Upstream drops a model whose judgments are
incomplete; here every scored question counts, and ``breakdown`` reports how many questions, tasks and
categories the number covers.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field


@dataclass(frozen=True)
class Breakdown:
    """The overall score and its parts, all in percent."""

    overall: float | None
    categories: dict[str, float] = field(default_factory=dict)
    tasks: dict[str, float] = field(default_factory=dict)  # "category/task" -> mean
    counts: dict[str, int] = field(default_factory=dict)  # "category/task" -> questions


def breakdown(scored: Iterable[tuple[str, str, float]]) -> Breakdown:
    """From (category, task, score in [0, 1]) per question: task means, category means of task means, and the
    mean of category means."""
    by_task: dict[tuple[str, str], list[float]] = defaultdict(list)
    for category, task, score in scored:
        by_task[(category, task)].append(100.0 * score)
    task_means = {key: sum(v) / len(v) for key, v in sorted(by_task.items())}
    by_category: dict[str, list[float]] = defaultdict(list)
    for (category, _), mean in task_means.items():
        by_category[category].append(mean)
    category_means = {c: sum(v) / len(v) for c, v in sorted(by_category.items())}
    overall = sum(category_means.values()) / len(category_means) if category_means else None
    return Breakdown(overall, category_means, {f"{c}/{t}": m for (c, t), m in task_means.items()},
                     {f"{c}/{t}": len(by_task[(c, t)]) for (c, t) in task_means})
