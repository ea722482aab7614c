"""The paper-table rows (derived from the tasks) and how the paper aggregates them.

The rows are not listed here: each task in ``evaluation/tasks/`` declares the reported tables it is a row of
(``Task.tables`` / ``Task.table_rows``), once: every row of the paper tables has a runnable task. The layouts below
(``PAPER_BENCHMARKS`` ...) are computed from those declarations; only the reported tables' titles are data of this
module.

Rules implemented here (sources: the FuseChat-3.0 README tables, https://github.com/SLIT-AI/FuseChat-3.0 commit
5af2bad; the arithmetic is checked in ``results/audit.md``):

* The FuseChat-3.0 tables use 14 benchmarks (``PAPER_BENCHMARKS``); the Llama-3.2-1B table uses 13:
  "MMLU" instead of "MMLU-redux" and no LiveCodeBench (``TABLE_BENCHMARKS["llama32_1b"]``).
* "Average" is the plain arithmetic mean of the raw scores as printed: MT-Bench and AlignBench stay on their
  1-10 scale (they are *not* multiplied by 10). ``average`` implements it; a row missing any benchmark gets no
  silent zero: its average is computed over what is present and marked incomplete.
* Every benchmark carries a reproduction tolerance (absolute, in the benchmark's own unit). These are this
  repository's documented choice, not the paper's: judge-based benchmarks and small test sets get wider bands.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

PERCENT = "percent"
TEN_POINT = "1-10"

INSTRUCTION_FOLLOWING = "instruction_following"
GENERAL = "general"
MATH = "math"
CODE = "code"


@dataclass(frozen=True)
class Benchmark:
    """One benchmark (or one reported metric of a benchmark, e.g. MT-Bench turn 1)."""

    id: str
    display: str  # as printed in the blog's Llama-3.1-8B table (other tables vary slightly, e.g. "AMC23")
    category: str
    metric: str
    scale: str  # PERCENT (0-100) or TEN_POINT (1-10)
    judge: str | None  # None: ground-truth scoring
    tolerance: float  # |reproduced - reported| allowed, in the benchmark's unit
    tolerance_why: str
    higher_is_better: bool = True
    tables: tuple[str, ...] = ()  # reported tables this row belongs to
    task: str | None = None  # the task that produces it

    @property
    def paper(self) -> bool:
        """One of the FuseChat-3.0 table rows (False: an extra WRPO metric or a variant outside the tables)."""
        return any(t in self.tables for t in ("llama31_8b", "llama32_1b"))

    @property
    def decimals(self) -> int:
        """Digits to print: 2 on the 1-10 scale (as the seed blog does), 1 for percentages."""
        return 2 if self.scale == TEN_POINT else 1

    @property
    def bounds(self) -> tuple[float, float]:
        """The valid value range on this benchmark's scale."""
        return (0.0, 10.0) if self.scale == TEN_POINT else (0.0, 100.0)

    @property
    def judge_based(self) -> bool:
        return self.judge is not None


def _rows() -> dict[str, Benchmark]:
    """Every table row, derived from the tasks' ``table_rows`` (``evaluation.tasks``), ordered by the seed blog's
    row order (each row's ``order``)."""
    from evaluation.tasks import all_tasks

    found: dict[str, tuple[float, Benchmark]] = {}
    for task in all_tasks().values():
        for r in task.table_rows():
            if r.id in found:
                raise ValueError(f"table row {r.id!r} declared by two tasks")
            found[r.id] = (r.order, Benchmark(
                r.id, r.display, r.category or task.category, r.metric or task.metric, r.scale or task.scale,
                r.judge if r.judge is not None else task.judge,
                task.tolerance if r.tolerance is None else r.tolerance, r.tolerance_why or task.tolerance_why,
                tables=r.tables, task=task.id))
    return {b.id: b for _, b in sorted(found.values(), key=lambda ob: (ob[0], ob[1].id))}


#: Every benchmark row known to the tables, in the paper's row order (derived, see ``_rows``).
BENCHMARKS: dict[str, Benchmark] = _rows()


def _layout(table: str) -> tuple[str, ...]:
    return tuple(b.id for b in BENCHMARKS.values() if table in b.tables)


#: The 14 benchmarks of the FuseChat-3.0 tables, in the seed blog's row order.
PAPER_BENCHMARKS: tuple[str, ...] = _layout("llama31_8b")
#: The Llama-3.2-1B table: 13 rows, "MMLU" replaces "MMLU-redux", no LiveCodeBench.
PAPER_BENCHMARKS_1B: tuple[str, ...] = _layout("llama32_1b")
WRPO_METRICS: tuple[str, ...] = _layout("wrpo_main")

#: Reported results tables: id -> (title as printed, benchmark ids in row order).
RESULT_TABLES: dict[str, tuple[str, tuple[str, ...]]] = {
    "llama31_8b": ("FuseChat-Llama3.1-8B-Instruct Performance", PAPER_BENCHMARKS),
    "qwen25_7b": ("FuseChat-Qwen2.5-7B-Instruct Performance", PAPER_BENCHMARKS),
    "gemma2_9b": ("FuseChat-gemma2-9b-Instruct Performance", PAPER_BENCHMARKS),
    "llama32_3b": ("FuseChat-Llama-3.2-3B-Instruct Performance", PAPER_BENCHMARKS),
    "llama32_1b": ("FuseChat-Llama-3.2-1B-Instruct Performance", PAPER_BENCHMARKS_1B),
    "wrpo_main": ("WRPO main results (LLaMA3-8B-Instruct target)", WRPO_METRICS),
}
#: Tables whose average row is the FuseChat "Average" rule.
AVERAGED_TABLES: tuple[str, ...] = ("llama31_8b", "qwen25_7b", "gemma2_9b", "llama32_3b", "llama32_1b")
DATASET_TABLES: dict[str, str] = {
    "dataset_seed": "Dataset composition, seed version (blog, 2024-12-11)",
    "dataset_final": "Dataset composition, final version (README = paper Table 1, 2025-02-07)",
}
DATASET_COLUMNS: tuple[str, ...] = ("total", "sft", "dpo")

#: Roles a model column plays in a FuseChat table.
ROLES: tuple[str, ...] = ("base", "tulu3", "sft", "instruct")


def get(benchmark_id: str) -> Benchmark:
    """The registry entry; a clear error for an unknown id."""
    try:
        return BENCHMARKS[benchmark_id]
    except KeyError:
        raise KeyError(f"unknown benchmark {benchmark_id!r}; known: {', '.join(BENCHMARKS)}") from None


def table_benchmarks(table_id: str) -> tuple[str, ...]:
    """Benchmark ids of a reported results table, in row order."""
    if table_id not in RESULT_TABLES:
        raise KeyError(f"unknown results table {table_id!r}; known: {', '.join(RESULT_TABLES)}")
    return RESULT_TABLES[table_id][1]


def fmt(benchmark_id: str, value: float | None) -> str:
    """A value printed at the benchmark's precision; "—" for a missing value (never 0)."""
    if value is None:
        return "—"
    return f"{value:.{get(benchmark_id).decimals}f}" if benchmark_id in BENCHMARKS else f"{value:.1f}"


@dataclass(frozen=True)
class Average:
    """A FuseChat "Average" cell: ``value`` over ``n_present`` of ``n_expected`` benchmarks."""

    value: float | None
    n_present: int
    n_expected: int

    @property
    def complete(self) -> bool:
        return self.n_present == self.n_expected


def average(values: Mapping[str, float | None], benchmarks: Iterable[str]) -> Average:
    """The paper's average: plain mean of the raw scores over ``benchmarks`` (1-10 scales not rescaled).

    Missing (absent or None) benchmarks are left out, never counted as 0; the result says how many were present
    so callers can mark it incomplete. NaN is rejected.
    """
    expected = list(benchmarks)
    present = []
    for b in expected:
        v = values.get(b)
        if v is None:
            continue
        if isinstance(v, float) and math.isnan(v):
            raise ValueError(f"{b}: NaN is not a score")
        present.append(float(v))
    value = sum(present) / len(present) if present else None
    return Average(value, len(present), len(expected))


def within_tolerance(benchmark_id: str, delta: float) -> bool:
    """True when ``|delta|`` is inside the benchmark's reproduction tolerance (1e-9 slack for float noise)."""
    return abs(delta) <= get(benchmark_id).tolerance + 1e-9
