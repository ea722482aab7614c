"""Property tests (hypothesis) of every scorer under what a model may write: every registered task, LiveBench split
into its task scorers, scored the way the scoring stage scores them (``evaluation.score_guard``: responses checked
at the boundary, per-item scorers in the killable worker under a CPU budget).

Inputs: arbitrary Unicode (lone surrogates, NUL, right-to-left marks, combining marks), huge and degenerate strings
(100 kB lines, ``\\boxed{`` / ``\\frac`` / ``(`` runs, 5,000-digit numbers, code that never parses), and responses
of the wrong type (``42``, ``None``, a bare string, a list of numbers). Every scorer must: raise nothing (no
``scorer_error`` either: the scorer itself is total), finish (over-budget items become ``scorer_timeout``), write
verdict rows that can be stored, and never score a hostile answer correct (0 on a right/wrong task, below full
credit on a task with partial credit; FuseEval's multiple-choice random fallback guess is the protocol's and is
exempt). Judged tasks get a fake judge that answers with hostile text too.

Cost: ``FUSECHAT_HYPOTHESIS_EXAMPLES`` examples per scorer (default 4, derandomized) and degenerate strings of
4 kB (one of 100 kB); ``FUSECHAT_PROPERTY_PROFILE=deep`` draws 100 examples and uses 1 MB strings.
"""

from __future__ import annotations

import os
import random
import time
from typing import Any

import orjson
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from evaluation import score_guard
from evaluation.judge import JUDGE_OPTION, Judge, JudgeReply
from evaluation.livebench import synthetic as lb_synthetic
from evaluation.tasks import all_tasks
from evaluation.tasks.base import ScoreContext, Task

DEEP = os.environ.get("FUSECHAT_PROPERTY_PROFILE") == "deep"
EXAMPLES = int(os.environ.get("FUSECHAT_HYPOTHESIS_EXAMPLES", "100" if DEEP else "4"))
HUGE = 1_000_000 if DEEP else 4_000
SETTINGS = settings(max_examples=EXAMPLES, deadline=None, derandomize=not os.environ.get("FUSECHAT_HYPOTHESIS_RANDOM"),
                    database=None, suppress_health_check=list(HealthCheck))
#: per-item CPU budget of the guard in these tests (the stage's default is 20 s)
BUDGET = {"scorer_cpu_s": 1.0, "scorer_wall_s": 60.0, "scorer_memory_mb": 1024}
#: tasks scored with partial credit: a hostile answer may get some, never full
PARTIAL = {"livebench:plot_unscrambling", "livebench:olympiad", "livebench:simplify", "livebench:paraphrase",
           "livebench:summarize", "livebench:story_generation", "livebench:connections", "livebench:typos",
           "livebench:tablereformat", "livebench:tablejoin"}

SPECIAL = ["\ud800", "\udfff", "\udc80", "\x00", "\u202e", "\u200f", "\u0301", "\u0300" * 3, "\ufeff", "\\", "{", "}",
           "$", "\\boxed{", "####", "Answer:", "\\frac", "\\text{", "```", "\n", "<|im_start|>", "{output_1}",
           "{instruction}", "(", "9"]
HOSTILE_TEXT = st.lists(st.one_of(st.text(alphabet=st.characters(codec=None, categories=None), max_size=20),
                                  st.sampled_from(SPECIAL)), max_size=12).map("".join)


def degenerate() -> list[str]:
    """Huge and degenerate answers (none of them a right answer to any synthetic item)."""
    n = HUGE
    return ["", "a" * 100_000, "\\boxed{" * (n // 7), "\\boxed{$" + "x" * n, "\\frac" * (n // 5), "\\text{" * (n // 6),
            "(" * n, "9" * 5000, "The answer is " * (n // 14), "\n" * n, "x = (1, [2, {3\n" * (n // 2000),
            "\\boxed{\ud800}", "```python\ndef f(:\n```" * (n // 25), "#### " + "1," * (n // 2)]


WRONG_TYPES: list[Any] = [42, None, "a bare string", [1, 2], [None], {"text": "x"}]


class HostileJudge(Judge):
    """Answers every request with ``text`` (and that text as the one top-logprob token)."""

    text: str = ""

    def chat(self, requests: Any, desc: str = "judging") -> list[JudgeReply]:
        return [JudgeReply(text=self.text, top_logprobs=({self.text[:5]: -0.5, "m": -1.0},)) for _ in requests]


def _units() -> dict[str, tuple[Task, list[dict[str, Any]]]]:
    """Every registered task with one synthetic item, LiveBench split into one unit per task scorer."""
    units: dict[str, tuple[Task, list[dict[str, Any]]]] = {}
    for tid, task in sorted(all_tasks().items()):
        if tid == "livebench":
            for lb_task, build in lb_synthetic.BUILDERS.items():
                item = build(random.Random(lb_task))
                if item["task"] == lb_task:  # the four instruction-following tasks share one builder
                    units[f"livebench:{lb_task}"] = (task, [item])
            continue
        units[tid] = (task, task.synthetic(random.Random(0), 1))
    return units


UNITS = _units()


def _score(unit: str, answers: list[str], judge_text: str = "", raw: tuple[Any, ...] = ()
           ) -> list[tuple[Any, score_guard.ItemResult]]:
    """Score each answer (every sample/turn of a generation) and each ``raw`` value (a generation's whole
    ``responses`` field, any type) against the unit's item(s), as the stage does; every invariant but
    correctness is checked here."""
    task, base_items = UNITS[unit]
    width = max(task.turns, task.decoding.n)
    values = [*([a] * width for a in answers), *raw]
    if not task.ground_truth:  # a judged task's items are distinct questions (its aggregation keys on them);
        base_items = []       # at least 4 (AlpacaEval's length-controlled GLM needs more than one question)
        values += [["A plain answer."] * width] * max(0, 4 - len(values))
        items, gens = task.synthetic(random.Random(0), len(values)), [{"index": i, "responses": r}
                                                                       for i, r in enumerate(values)]
    else:
        items, gens = [], []
    for r in values if base_items else ():
        for it in base_items:
            items.append(it)
            gens.append({"index": len(gens), "responses": r})
    judge = HostileJudge(model="hostile")
    judge.text = judge_text
    ctx = ScoreContext(options={JUDGE_OPTION: lambda t: judge, "data_dir": "/nonexistent", **BUDGET})
    texts, invalid = score_guard.checked_responses(task, gens)
    t0 = time.monotonic()
    try:
        results = score_guard.score_batch(task, items, texts, ctx)
    finally:
        ctx.close()
    for i in invalid:
        results[i] = score_guard.mark_invalid(task, results[i])
    errors = [r.detail.get("error") for r in results if r.detail.get("verdict") == score_guard.SCORER_ERROR]
    assert not errors, f"{unit}: the scorer raised: {errors[:3]}"
    task.aggregate_rows(items, results)
    task.summary(items, results)
    elapsed = time.monotonic() - t0
    assert elapsed < 120 + 20 * len(items), f"{unit}: {elapsed:.0f} s"
    for g, r in zip(gens, results, strict=True):
        orjson.dumps(score_guard.storable({"index": g["index"], "score": r.score, "extracted": r.extracted,
                                           "detail": r.detail}))
    assert [i for i, g in enumerate(gens) if not _text_list(g["responses"])] == invalid
    return [(g["responses"], r) for g, r in zip(gens, results, strict=True)]


def _text_list(value: Any) -> bool:
    return isinstance(value, list) and all(isinstance(x, str) for x in value)


def _never_correct(unit: str, scored: list[tuple[Any, score_guard.ItemResult]]) -> None:
    task, _ = UNITS[unit]
    if not task.ground_truth:
        return
    for resp, r in scored:
        if r.detail.get("stage") == "random_fallback":
            continue
        if unit in PARTIAL:
            assert r.score < 1.0, (unit, repr(resp)[:200], r)
        else:
            assert r.score == 0.0, (unit, repr(resp)[:200], r)


@pytest.mark.parametrize("unit", sorted(UNITS))
def test_degenerate_answers_and_wrong_types(unit: str) -> None:
    scored = _score(unit, degenerate(), judge_text="[[A>>B]] Rating: [[11]] \ud800", raw=tuple(WRONG_TYPES))
    _never_correct(unit, scored)
    task, base = UNITS[unit]
    invalid = scored[-len(WRONG_TYPES) * (len(base) if task.ground_truth else 1):]
    assert all(r.detail.get("verdict") == score_guard.INVALID_RESPONSE for _, r in invalid)
    if task.ground_truth:
        assert all(r.score == 0.0 for _, r in invalid)


@pytest.mark.parametrize("unit", sorted(UNITS))
def test_arbitrary_unicode(unit: str) -> None:
    @SETTINGS
    @given(answers=st.lists(HOSTILE_TEXT, min_size=1, max_size=3), judge_text=HOSTILE_TEXT)
    def check(answers: list[str], judge_text: str) -> None:
        _never_correct(unit, _score(unit, answers, judge_text))

    check()
