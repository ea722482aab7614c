"""The math grader's limit is a budget of work (CPU seconds of the grader process), not of wall-clock time: the
same answers get the same verdicts while CPU hogs load the machine as on an idle one, and an answer over the budget
is still a timeout."""

from __future__ import annotations

import multiprocessing as mp
import time

from fusechat import math_answers
from fusechat.math_answers import check_many, is_equivalent

#: answers that take math-verify 0.01-0.7 CPU seconds here; with 4 hogs on 2 cores each takes several times that
#: in wall-clock time, over the budget below
PAIRS = [("(x+1)^{9}", "x^9+9x^8+36x^7+84x^6+126x^5+126x^4+84x^3+36x^2+9x+1"),
         ("(x+y)^{7}-(x-y)^{7}", "14x^6y+70x^4y^3+42x^2y^5+2y^7"), ("\\int_0^1 x^2 dx", "1/3"),
         ("\\frac{\\sqrt{3}}{2}", "\\sin(\\pi/3)"), ("e^{i\\pi}", "-1"), ("(x+1)^{8}", "x^8+1"),
         ("\\binom{30}{15}", "155117520"), ("(x-2)^{9}", "x^9-18x^8")]
BUDGET_S = 1.5


def _spin() -> None:  # pragma: no cover - a CPU hog
    while True:
        pass


def _verdicts() -> list[str]:
    math_answers._MEMORY_CACHE.mem.clear()  # grade every time, never from the in-process cache
    return [v.status for v in check_many([(f"\\boxed{{{p}}}", g) for p, g in PAIRS], convention="boxed",
                                         workers=1, timeout_s=BUDGET_S)]


def test_verdicts_under_a_cpu_hog_equal_the_idle_ones() -> None:
    is_equivalent("1", "1")  # sympy imported before the grader forks
    idle = _verdicts()
    assert "correct" in idle and "incorrect" in idle and "timeout" not in idle, idle
    ctx = mp.get_context("fork")
    hogs = [ctx.Process(target=_spin, daemon=True) for _ in range(4)]
    for h in hogs:
        h.start()
    try:
        t0 = time.monotonic()
        loaded = _verdicts()
        loaded_wall = time.monotonic() - t0
    finally:
        for h in hogs:
            h.kill()
            h.join()
    assert loaded == idle, (loaded, idle, loaded_wall)


def test_an_answer_over_the_cpu_budget_is_a_timeout() -> None:
    is_equivalent("1", "1")
    math_answers._MEMORY_CACHE.mem.clear()
    [v] = check_many([("\\boxed{(x+1)^{9}}", PAIRS[0][1])], convention="boxed", timeout_s=0.05)
    assert v.status == "timeout"
