"""Math-Eval rules (evaluation/tasks/_math.py, fusechat/math_answers.py) stated at the cases mutation testing found
unpinned: the hand-written FuseEval prompt string per family (with vLLM's BOS), the grading call (first sample,
``auto`` extraction, one grader process, a 5 s CPU budget), the recorded detail and protocol, and the extraction
and caching rules of the grader."""

from __future__ import annotations

import pytest

import fusechat.math_answers as ma
from evaluation.tasks import get_task
from evaluation.tasks._math import FUSEEVAL_TEMPLATES, INSTRUCTION, PROMPT_TYPES, math_prompt
from evaluation.tasks.base import ScoreContext


@pytest.mark.parametrize("family", ["qwen2", "llama3", "gemma2"])
def test_fuseeval_prompt_string_is_the_template_with_the_question(family: str) -> None:
    p = math_prompt("  What is 2+2?\n", family)
    assert p.text == FUSEEVAL_TEMPLATES[family].replace("{input}", "What is 2+2?")
    assert "{input}" not in p.text and p.add_bos is True


def test_mistral_has_no_fuseeval_string_and_no_extra_bos() -> None:
    p = math_prompt("Q", "mistral")
    assert p.text is None and p.add_bos is False
    assert p.messages == [{"role": "user", "content": f"Q\n{INSTRUCTION}"}]


def test_grading_call_is_first_sample_auto_one_worker_5s(monkeypatch: pytest.MonkeyPatch) -> None:
    calls = []

    def fake_check_many(pairs, **kw):
        calls.append((pairs, kw))
        return [ma.Verdict("correct", "4"), ma.Verdict("no_answer", None)]

    monkeypatch.setattr(ma, "check_many", fake_check_many)
    task = get_task("math")
    items = [{"problem": "p", "solution": "\\boxed{4}"}, {"problem": "q", "solution": "\\boxed{5}"}]
    results = task.score_batch(items, [["first \\boxed{4}", "second"], ["none"]], ScoreContext())
    assert calls == [([("first \\boxed{4}", "4"), ("none", "5")],
                      {"convention": "auto", "workers": 1, "timeout_s": 5.0})]
    assert [r.score for r in results] == [1.0, 0.0] and results[0].extracted == "4"
    assert results[0].detail == {"status": "correct", "gold": "4", "grader_cpu_s": 5.0}
    assert results[1].detail == {"status": "no_answer", "gold": "5", "grader_cpu_s": 5.0}
    with pytest.raises(ValueError):  # one response list per item, never silently truncated
        task.score_batch(items, [["x"]], ScoreContext())


def test_math_protocol_records_prompt_types_instruction_grader() -> None:
    proto = get_task("gsm8k").protocol()
    assert proto["prompt_types"] == PROMPT_TYPES and proto["instruction"] == INSTRUCTION
    assert proto["grader"] == "math-verify (fusechat.math_answers), first sample" and proto["max_model_len"] == 4096


def _fresh_cache(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(ma, "_MEMORY_CACHE", ma.VerdictCache())


def test_grader_exceptions_are_timeout_or_error_never_correct(monkeypatch: pytest.MonkeyPatch) -> None:
    seen = []

    def equivalent(pred: str, gold: str, timeout_s: int | None = None) -> bool:
        seen.append(timeout_s)
        if pred == "slow":
            raise TimeoutError
        if pred == "bad":
            raise RecursionError
        return pred == gold

    monkeypatch.setattr(ma, "is_equivalent", equivalent)
    assert [ma._grade(p, "1", 7) for p in ("1", "2", "slow", "bad")] == ["correct", "incorrect", "timeout", "error"]
    assert seen == [7, 7, 7, 7]  # the caller's budget reaches math-verify


def test_check_response_grades_once_per_answer_and_gold(monkeypatch: pytest.MonkeyPatch) -> None:
    """The verdict cache is keyed by (extracted answer, gold): the same pair is graded once, a new gold again; the
    in-process grader gets math-verify's 5 s signal timeout in the main thread only (signals work nowhere else)."""
    import threading

    _fresh_cache(monkeypatch)
    calls = []

    def grade(pred: str, gold: str, timeout_s: int | None) -> str:
        calls.append((pred, gold, timeout_s))
        return "correct" if pred == gold else "incorrect"

    monkeypatch.setattr(ma, "_grade", grade)
    assert ma.check_response("so \\boxed{3}", "3") == ma.Verdict("correct", "3")
    assert ma.check_response("again \\boxed{3}", "3") == ma.Verdict("correct", "3")  # cached, extracted kept
    assert ma.check_response("\\boxed{3}", "4") == ma.Verdict("incorrect", "3")
    assert calls == [("3", "3", 5), ("3", "4", 5)]
    # the convention is honoured: gsm8k's "#### N" wins over a later box
    assert ma.check_response("#### 8 then \\boxed{9}", "8", convention="gsm8k") == ma.Verdict("correct", "8")
    out = []
    t = threading.Thread(target=lambda: out.append(ma.check_response("\\boxed{11}", "11")))
    t.start()
    t.join()
    assert out == [ma.Verdict("correct", "11")] and calls[-1] == ("11", "11", None)


def test_single_item_score_is_the_batch_verdict(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(ma, "check_many", lambda pairs, **kw: [ma.Verdict("incorrect", "3") for _ in pairs])
    r = get_task("gsm8k").score({"question": "q", "answer": "#### 4"}, ["\\boxed{3}"], ScoreContext())
    assert (r.score, r.extracted, r.detail["gold"], r.detail["status"]) == (0.0, "3", "4", "incorrect")


def test_is_equivalent_passes_its_timeout_to_math_verify(monkeypatch: pytest.MonkeyPatch) -> None:
    """The caller's budget (None in worker processes, whose pool enforces its own) reaches both math-verify calls;
    math-verify's own default (5 s, signal-based) would break outside the main thread."""
    import math_verify

    seen = []
    monkeypatch.setattr(math_verify, "parse", lambda s, parsing_timeout=5: seen.append(("parse", parsing_timeout)) or [s])
    monkeypatch.setattr(math_verify, "verify",
                        lambda g, p, timeout_seconds=5: seen.append(("verify", timeout_seconds)) or g == p)
    assert ma.is_equivalent("1", "1", timeout_s=None) and not ma.is_equivalent("1", "2", timeout_s=3)
    assert seen == [("parse", None), ("parse", None), ("verify", None), ("parse", 3), ("parse", 3), ("verify", 3)]


def test_unparseable_answers_compare_as_cleaned_strings() -> None:
    """When math-verify parses nothing from either side, the cleaned strings decide."""
    assert ma.is_equivalent("\\\\", "\\\\.") is True
    assert ma.is_equivalent("\\\\", "7") is False
