"""Benchmark registry: the one place that says what each benchmark is and how the paper aggregates it.

Rules implemented here (sources: research/upstream.md §3 "Global rules", research/evaluation.md §1.3):

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
    paper: bool = True  # one of the FuseChat-3.0 table rows (False: extra WRPO metrics)

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


_GT = "ground truth; ±2 points covers template, extraction and vLLM batch nondeterminism on a large test set"

BENCHMARKS: dict[str, Benchmark] = {b.id: b for b in [
    Benchmark("alpacaeval2", "AlpacaEval-2 (LC %)", INSTRUCTION_FOLLOWING, "length-controlled win rate", PERCENT,
              "gpt-4-1106-preview (weighted_alpaca_eval_gpt4_turbo)", 3.0,
              "LLM judge + sampled decoding (T 0.5-0.7); 805 prompts"),
    Benchmark("arena_hard", "Arena-Hard (WR %)", INSTRUCTION_FOLLOWING, "win rate vs gpt-4-0314", PERCENT,
              "gpt-4-1106-preview", 4.0, "LLM judge; Bradley-Terry bootstrap CIs are about ±2-3 on 500 prompts"),
    Benchmark("mt_bench", "MT-Bench", INSTRUCTION_FOLLOWING, "mean judge score, both turns", TEN_POINT,
              "gpt-4-0125-preview", 0.3, "LLM judge on only 80 questions x 2 turns"),
    Benchmark("alignbench", "AlignBench v1.1", INSTRUCTION_FOLLOWING, "overall score (总分)", TEN_POINT,
              "gpt-4 (snapshot unverified)", 0.3, "LLM judge; judge snapshot behind the 'gpt-4' alias unknown"),
    Benchmark("livebench", "LiveBench 0831", GENERAL, "mean over categories", PERCENT, None, 2.0, _GT),
    Benchmark("gsm8k", "GSM8K", MATH, "accuracy", PERCENT, None, 2.0, _GT + " (1,319 problems)"),
    Benchmark("math", "MATH", MATH, "accuracy", PERCENT, None, 2.0, _GT + " (5,000 problems)"),
    Benchmark("amc23", "AMC 23", MATH, "accuracy", PERCENT, None, 5.0,
              "40 problems: one problem = 2.5 points, so ±2 problems"),
    Benchmark("mmlu_pro", "MMLU-Pro", GENERAL, "micro accuracy", PERCENT, None, 2.0, _GT + " (12,032 questions)"),
    Benchmark("mmlu_redux", "MMLU-redux", GENERAL, "micro accuracy", PERCENT, None, 2.0,
              _GT + "; FuseEval actually loads full MMLU (research/upstream.md §3.1)"),
    Benchmark("mmlu", "MMLU", GENERAL, "micro accuracy", PERCENT, None, 2.0,
              _GT + " (14,042 questions; the Llama-3.2-1B table's row)"),
    Benchmark("gpqa_diamond", "GPQA-Diamond", GENERAL, "accuracy", PERCENT, None, 4.0,
              "198 questions: one question = 0.5 points; greedy-decoding flips move it by several"),
    Benchmark("humaneval", "HumanEval", CODE, "pass@1", PERCENT, None, 3.0,
              "164 problems (0.6 points each); base vs plus tests not stated by the paper"),
    Benchmark("mbpp", "MBPP", CODE, "pass@1", PERCENT, None, 3.0,
              "MBPP+ v0.1.0 (399) vs v0.2.0 (378) not pinned by FuseEval"),
    Benchmark("livecodebench", "LiveCodeBench 2408-2411", CODE, "pass@1 (n=10, T 0.2)", PERCENT, None, 3.0,
              "problem window depends on the release downloaded; sampled pass@1"),
    # WRPO main table's extra metrics (research/upstream.md §4.6)
    Benchmark("alpacaeval2_wr", "AlpacaEval-2 (WR %)", INSTRUCTION_FOLLOWING, "raw win rate", PERCENT,
              "gpt-4-1106-preview", 3.0, "LLM judge + sampled decoding", paper=False),
    Benchmark("mt_bench_turn1", "MT-Bench T1", INSTRUCTION_FOLLOWING, "mean judge score, turn 1", TEN_POINT,
              "gpt-4-0125-preview", 0.3, "LLM judge on 80 questions", paper=False),
    Benchmark("mt_bench_turn2", "MT-Bench T2", INSTRUCTION_FOLLOWING, "mean judge score, turn 2", TEN_POINT,
              "gpt-4-0125-preview", 0.3, "LLM judge on 80 questions", paper=False),
]}

#: The 14 benchmarks of the FuseChat-3.0 tables, in the seed blog's row order.
PAPER_BENCHMARKS: tuple[str, ...] = (
    "alpacaeval2", "arena_hard", "mt_bench", "alignbench", "livebench", "gsm8k", "math", "amc23",
    "mmlu_pro", "mmlu_redux", "gpqa_diamond", "humaneval", "mbpp", "livecodebench",
)
#: The Llama-3.2-1B table: 13 rows, "MMLU" replaces "MMLU-redux", no LiveCodeBench.
PAPER_BENCHMARKS_1B: tuple[str, ...] = (
    "alpacaeval2", "arena_hard", "mt_bench", "alignbench", "livebench", "gsm8k", "math", "amc23",
    "mmlu_pro", "mmlu", "gpqa_diamond", "humaneval", "mbpp",
)
WRPO_METRICS: tuple[str, ...] = (
    "alpacaeval2", "alpacaeval2_wr", "arena_hard", "mt_bench_turn1", "mt_bench_turn2", "mt_bench",
)

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
