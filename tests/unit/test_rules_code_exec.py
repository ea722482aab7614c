"""Code-benchmark rules of evaluation/code_exec.py outside the sandbox programs, at the cases mutation testing
probes: pass@k's domain and its all-pass corner, evalplus' per-test time limit, LiveCodeBench's fence rule, and
when a test value travels as a Python literal or as the compressed loader."""

from __future__ import annotations

import math

import pytest

from evaluation import code_exec, sandbox_programs


def test_pass_at_k_domain_and_corners() -> None:
    for n, c, k in ((0, 0, 1), (5, -1, 1), (5, 6, 1), (5, 2, 0)):
        with pytest.raises(ValueError, match="pass@k"):
            code_exec.pass_at_k(n, c, k)
    assert code_exec.pass_at_k(1, 0, 1) == 0.0 and code_exec.pass_at_k(1, 1, 1) == 1.0
    assert code_exec.pass_at_k(5, 2, 3) == pytest.approx(1 - math.comb(3, 3) / math.comb(5, 3))  # n - c == k
    assert code_exec.pass_at_k(5, 3, 3) == 1.0  # n - c < k: every draw of k has a pass


def test_evalplus_time_limit_is_the_larger_of_floor_and_scaled_reference() -> None:
    assert code_exec.evalplus_time_limits([0.01, 2.0], min_time_limit=1.0, factor=4.0) == [1.0, 8.0]
    floor, factor = code_exec.EVALPLUS_MIN_TIME_LIMIT, code_exec.EVALPLUS_GT_TIME_LIMIT_FACTOR
    assert code_exec.evalplus_time_limits([0.0, 10.0]) == [floor, max(floor, 10.0 * factor)]


def test_lcb_code_is_between_the_first_two_fence_lines() -> None:
    assert code_exec.lcb_extract_code("```\n```") == ""
    assert code_exec.lcb_extract_code("a\n```py\nx\ny\n```\nz\n```\nw") == "x\ny"


def test_values_travel_as_literals_only_when_repr_round_trips() -> None:
    literal = [1, "a", None, True, 2.5, b"b", (1,), {"k": [1]}, {3}]
    for value in literal:
        assert code_exec.embed_value(value) == repr(value)
    for value in (float("nan"), float("inf"), set(), frozenset({1}), complex(1, 2), [float("-inf")],
                  {"k": float("nan")}, {float("nan"): 1}, (1, float("nan"))):
        assert code_exec.embed_value(value).startswith("_fcx_load("), value
    assert code_exec._literal_safe([1, 2, 3], [4]) and not code_exec._literal_safe([1, 2, 3], [3])  # a node budget
    big = "x" * (code_exec.LITERAL_MAX_CHARS + 1)
    assert code_exec.embed_value(big).startswith("_fcx_load(")
    assert code_exec.embed_value("x" * (code_exec.LITERAL_MAX_CHARS - 2)) == repr("x" * (code_exec.LITERAL_MAX_CHARS - 2))


def test_loader_uses_marshal_and_pickle_only_where_marshal_cannot() -> None:
    import base64
    import zlib

    def tag(value: object) -> bytes:
        text = code_exec.embed_value(value)
        assert text.startswith("_fcx_load('")
        return zlib.decompress(base64.b64decode(text[len("_fcx_load('"):-2]))[:1]

    assert tag([float("nan")]) == b"M" and tag(complex(1, 2)) == b"M"
    assert tag(range(3)) == b"P"  # marshal raises ValueError on a range: pickle


def test_a_set_with_a_non_finite_member_is_not_a_literal_and_pickled_values_round_trip() -> None:
    assert code_exec.embed_value({float("nan")}).startswith("_fcx_load(")
    ns: dict = {}
    exec(sandbox_programs.source("loader"), ns)  # noqa: S102 - our own loader module's text
    assert eval(code_exec.embed_value(range(3)), ns) == range(3)  # noqa: S307 - our own data expression
