"""Math answer extraction and equivalence: table-driven."""

from __future__ import annotations

import pytest

from fusechat import math_answers as ma
from fusechat.math_answers import Verdict, check_many, check_response, extract_answer, is_equivalent

EXTRACT = [
    ("So the result is \\boxed{\\frac{1}{2}}.", "auto", "\\frac{1}{2}"),
    ("first \\boxed{3} then \\boxed{\\sqrt{2}}", "boxed", "\\sqrt{2}"),
    ("nested \\boxed{\\frac{\\sqrt{3}}{2}} done", "auto", "\\frac{\\sqrt{3}}{2}"),
    ("\\fbox{42}", "auto", "42"),
    ("Natalia sold 48/2 = 24 clips in May.\n#### 72", "gsm8k", "72"),
    ("#### 1,234", "gsm8k", "1234"),
    ("#### 5\n(and 7 more)", "auto", "5"),
    ("Thus, the answer is $\\frac{3}{4}$.", "answer_is", "\\frac{3}{4}"),
    ("The final answer is 12. I hope it is correct.", "auto", "12"),
    ("所以答案是 9", "auto", "9"),
    ("She has 3 apples and then 1,500 pears", "last_number", "1500"),
    ("no numbers here", "auto", None),
    ("", "auto", None),
    ("\\boxed{}", "boxed", None),
]


@pytest.mark.parametrize(("text", "conv", "expected"), EXTRACT)
def test_extract(text, conv, expected):
    assert extract_answer(text, conv) == expected


def test_unknown_convention():
    with pytest.raises(ValueError, match="unknown answer convention"):
        extract_answer("1", "roman")


EQUIV = [  # (pred, gold, equivalent)
    ("\\frac{1}{2}", "0.5", True),
    ("\\frac12", "1/2", True),
    ("\\dfrac{3}{4}", "0.75", True),
    ("50\\%", "0.5", True),
    ("10\\text{ cm}", "10", True),
    ("1,000", "1000", True),
    ("[1,2)", "[1,2)", True),
    ("(x+1)^2", "x^2+2x+1", True),
    ("\\sqrt{8}", "2\\sqrt{2}", True),
    ("\\pi", "\\pi", True),
    ("72", "72", True),
    ("3", "4", False),
    ("\\frac{1}{3}", "0.5", False),
    ("[1,2]", "[1,2)", False),
    ("(1,2)", "[1,2]", False),
    ("x^2+1", "(x+1)^2", False),
    ("-5", "5", False),
    ("10\\text{ cm}", "11", False),
]


@pytest.mark.parametrize(("pred", "gold", "same"), EQUIV)
def test_equivalence(pred, gold, same):
    assert is_equivalent(pred, gold) is same


CHECKS = [  # (response, gold, convention, status)
    ("... so \\boxed{\\frac{1}{2}}", "0.5", "auto", "correct"),
    ("She pays 5 * 3 = 15 dollars.\n#### 15", "15", "gsm8k", "correct"),
    ("She pays 5 * 3 = 15 dollars.\n#### 16", "15", "gsm8k", "incorrect"),
    ("The answer is 50%.", "0.5", "auto", "correct"),
    ("I am not sure.", "3", "boxed", "no_answer"),
    ("Therefore \\boxed{7}", "8", "auto", "incorrect"),
]


@pytest.mark.parametrize(("resp", "gold", "conv", "status"), CHECKS)
def test_check_response(resp, gold, conv, status):
    v = check_response(resp, gold, conv)
    assert v.status == status
    assert v.correct is (status == "correct")


def test_check_many_pool_matches_in_process_and_keeps_order(tmp_path):
    items = [(r, g) for r, g, c, _ in CHECKS if c == "auto"] * 2
    expected = [check_response(r, g).status for r, g in items]
    got = check_many(items, workers=2, timeout_s=20, cache_path=tmp_path / "cache.sqlite")
    assert [v.status for v in got] == expected
    assert all(isinstance(v, Verdict) for v in got)
    # the on-disk cache now answers without grading
    ma._MEMORY_CACHE.mem.clear()
    cache = ma.VerdictCache(tmp_path / "cache.sqlite")
    key = ma._key("\\frac{1}{2}", "0.5")
    assert cache.get(key) == "correct"
    cache.close()


def test_timeout_is_enforced_and_never_correct(monkeypatch):
    import time

    def slow(pred, gold, timeout_s):  # works (the budget is CPU time: a grader that only sleeps is not over it)
        end = time.monotonic() + 30
        while time.monotonic() < end:
            pass
        return "correct"

    monkeypatch.setattr(ma, "_grade", slow)
    ma._MEMORY_CACHE.mem.clear()
    t0 = time.monotonic()
    got = check_many([("\\boxed{123456789}", "987654321")], workers=1, timeout_s=0.5)
    assert got[0].status == "timeout" and not got[0].correct
    assert time.monotonic() - t0 < 5
    assert ma._key("123456789", "987654321") not in ma._MEMORY_CACHE.mem  # timeouts are not cached


def test_cache_hit_skips_grading(monkeypatch):
    ma._MEMORY_CACHE.put_many({ma._key("41", "42"): "correct"})  # a planted (wrong) entry proves the lookup

    def boom(*a, **k):
        raise AssertionError("graded although cached")

    monkeypatch.setattr(ma, "_grade_pool", boom)
    assert check_many([("\\boxed{41}", "42")])[0].status == "correct"
    ma._MEMORY_CACHE.mem.clear()
