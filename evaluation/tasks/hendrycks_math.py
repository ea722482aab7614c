"""MATH (Hendrycks et al.), as FuseEval's Math-Eval runs it: zero-shot CoT prompt type per family, greedy,
2,048 tokens, accuracy (see ``evaluation/tasks/_math.py``). The file is not called ``math.py`` so that it can
never shadow the standard library module.

Which copy. The Qwen2.5-Math toolkit (which FuseEval vendors) evaluates ``data/math/test.jsonl``: the **full
5,000-problem** MATH test set, not MATH-500. Its blob is not in the public snapshots, and the original hub
dataset ``hendrycks/competition_math`` was taken down (AoPS DMCA notice, 2025-01-02). Task ``math`` therefore
loads ``EleutherAI/hendrycks_math``: the same 5,000 test problems in the original schema (``problem``,
``level``, ``type``, ``solution``), split by subject into seven configs that are concatenated in the order
below. The gold answer is the last ``\\boxed{}`` of ``solution``, as the toolkit extracts it. The documented
variant ``math500`` loads ``HuggingFaceH4/MATH-500`` (the 500-problem subset of "Let's Verify Step by Step",
with an ``answer`` field) for quick runs; it is not a paper-table row. Both are read at pinned commits
(``MATH_REVISION``, ``MATH500_REVISION``); the metrics JSON records which copy and revision were used.
"""

from __future__ import annotations

import random
from typing import Any

from evaluation.tasks._math import MathTask
from evaluation.tasks.base import FUSECHAT_TABLES, DataSpec
from fusechat.math_answers import extract_answer

SUBJECTS = ("algebra", "counting_and_probability", "geometry", "intermediate_algebra", "number_theory",
            "prealgebra", "precalculus")
_TYPES = {"algebra": "Algebra", "counting_and_probability": "Counting & Probability", "geometry": "Geometry",
          "intermediate_algebra": "Intermediate Algebra", "number_theory": "Number Theory",
          "prealgebra": "Prealgebra", "precalculus": "Precalculus"}
#: The commit public evaluation code pins; a public audit reports its 12,500 rows equal the original
#: ``hendrycks/competition_math`` rows as a multiset, all fields (docs/evaluation.md, "Data pins").
MATH_REVISION = "21a5633873b6a120296cce3e2df9d5550074f4a3"
#: The commit of MATH-500 that public evaluation code pins (500 rows; the dataset's content predates the paper).
MATH500_REVISION = "6e4ed1a2a79af7d8630a6b768ec859cb5af4d3be"
_TOL = "ground truth on 5,000 problems; ±2 points covers template, grader (math-verify vs Qwen) and batch noise"


def _synthetic_problem(rng: random.Random, i: int) -> tuple[str, str, str]:
    """(problem, solution with a final \\boxed{}, subject key): answers include nested braces (fractions)."""
    kind = i % 3
    if kind == 0:
        a, b = rng.randint(2, 9), rng.randint(2, 9)
        return (f"What is ${a} \\times {b}$?", f"We multiply: ${a} \\times {b} = \\boxed{{{a * b}}}$.", "prealgebra")
    if kind == 1:
        p, q = rng.randint(1, 5), rng.randint(6, 11)
        return (f"Simplify $\\frac{{{p}}}{{{q}}} \\cdot 1$.",
                f"Multiplying by one changes nothing, so the answer is $\\boxed{{\\frac{{{p}}}{{{q}}}}}$.", "algebra")
    a = rng.randint(2, 9)
    return (f"Solve $x - {a} = 0$ for $x$.", f"Adding {a} to both sides gives $x = \\boxed{{{a}}}$.", "algebra")


class MATH(MathTask):
    id = "math"
    version = "2"
    display = "MATH"
    tolerance = 2.0
    tolerance_why = _TOL
    tables = FUSECHAT_TABLES
    order = 7
    data = DataSpec("EleutherAI/hendrycks_math", configs=SUBJECTS, split="test", expected_items=5000,
                    revision=MATH_REVISION,
                    licence="MIT (repo); AoPS DMCA took the original hub copy down",
                    note="full 5,000-problem MATH test (the Qwen2.5-Math toolkit's data/math/test.jsonl), "
                         "gold = last \\boxed{} of 'solution'")

    def question(self, item: dict[str, Any]) -> str:
        return item["problem"]

    def gold(self, item: dict[str, Any]) -> str:
        found = extract_answer(item["solution"], "boxed")
        if found is None:
            raise ValueError(f"MATH item without a \\boxed answer in its solution: {item['problem'][:60]!r}")
        return found

    def synthetic(self, rng: random.Random, n: int) -> list[dict[str, Any]]:
        """Problems in ``EleutherAI/hendrycks_math``'s schema (``problem``, ``level``, ``type``, ``solution``)."""
        out = []
        for i in range(n):
            problem, solution, subject = _synthetic_problem(rng, i)
            out.append({"problem": problem, "level": f"Level {rng.randint(1, 5)}", "type": _TYPES[subject],
                        "solution": solution})
        return out


class MATH500(MATH):
    """Documented variant: MATH-500, for quick runs (not what FuseEval evaluates; not a paper-table row)."""

    id = "math500"
    display = "MATH-500 (variant)"
    tolerance_why = "variant: 500 problems, not comparable with the paper's full-MATH row"
    tables = ()
    order = 7.5
    data = DataSpec("HuggingFaceH4/MATH-500", split="test", expected_items=500, licence="MIT", revision=MATH500_REVISION,
                    note="500-problem subset (PRM800K split); gold = 'answer'")

    def gold(self, item: dict[str, Any]) -> str:
        return item["answer"]

    def synthetic(self, rng: random.Random, n: int) -> list[dict[str, Any]]:
        """Problems in ``HuggingFaceH4/MATH-500``'s schema (``answer``, ``subject``, ``unique_id`` added)."""
        out = []
        for i in range(n):
            problem, solution, subject = _synthetic_problem(rng, i)
            out.append({"problem": problem, "solution": solution, "answer": extract_answer(solution, "boxed"),
                        "subject": _TYPES[subject], "level": rng.randint(1, 5),
                        "unique_id": f"test/{subject}/{i}.json"})
        return out


TASKS = [MATH(), MATH500()]
