"""Task registry: every module in this package that defines ``TASK`` (a ``Task``) or ``TASKS`` (a list) is a
benchmark. Discovery is by module listing, so adding a benchmark is adding one file; there is no central dict."""

from __future__ import annotations

import importlib
import pkgutil
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import cache
from typing import Any

from evaluation.tasks.base import Task

_NOT_TASKS = {"base"}


@cache
def all_tasks() -> dict[str, Task]:
    """Task id -> task, for every task module in this package (modules starting with ``_`` are helpers)."""
    found: dict[str, Task] = {}
    for info in sorted(pkgutil.iter_modules(__path__), key=lambda m: m.name):
        if info.name.startswith("_") or info.name in _NOT_TASKS:
            continue
        mod = importlib.import_module(f"{__name__}.{info.name}")
        tasks = list(getattr(mod, "TASKS", [])) + ([mod.TASK] if hasattr(mod, "TASK") else [])
        for task in tasks:
            if task.id in found:
                raise ValueError(f"task id {task.id!r} defined twice ({info.name} and another module)")
            found[task.id] = task
    return found


def get_task(task_id: str) -> Task:
    """The task with this id; a one-line error naming the known ids otherwise."""
    tasks = all_tasks()
    if task_id not in tasks:
        raise KeyError(f"unknown benchmark {task_id!r}; known: {', '.join(sorted(tasks))}")
    return tasks[task_id]


@dataclass(frozen=True)
class TrainingFormats:
    """The evaluation's own prompt formats that the tiny world's models are trained on, so that their answers to the
    synthetic benchmark items branch (some right, some wrong): the math tasks' instruction and per-family prompt
    (Qwen2.5-Math CoT type) and the multiple-choice tasks' question layout."""

    math_instruction: str
    math_prompt: Callable[..., Any]
    mc_question: Callable[[str, Sequence[str]], str]


def training_formats() -> TrainingFormats:
    """The registry's public answer to the tiny world (``fusechat/stage_table.py`` hook ``training_formats``)."""
    from evaluation.tasks._math import INSTRUCTION, math_prompt
    from evaluation.tasks._mc import format_question

    return TrainingFormats(INSTRUCTION, math_prompt, format_question)
