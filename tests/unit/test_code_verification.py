"""Code verdicts of the verification stage: static checks first, then the prompt's tests in the sandbox."""

from __future__ import annotations

from data_construction.verification import check_code

TESTS = {"kind": "self_oss", "tests": "assert add(1, 2) == 3\nassert add(-1, 1) == 0\n", "entry_point": None}


def test_code_verdicts_cover_every_branch() -> None:
    items = [
        ("```python\ndef add(a, b):\n    return a + b\n```", TESTS),            # passes
        ("```python\ndef add(a, b):\n    return a - b\n```", TESTS),            # runs, fails the asserts
        ("I would add the two numbers.", TESTS),                                # no code at all
        ("```python\ndef add(a, b)\n    return a + b\n```", TESTS),             # does not parse
        ("```python\ndef add(a, b):\n    return a + c\n```", TESTS),            # undefined name: static check
        ("```python\nimport sys\nsys.exit(0)\ndef add(a, b):\n    return a + b\n```", TESTS),  # exits early
    ]
    assert check_code(items, workers=2, timeout_s=5.0) == [
        "passed", "failed", "no_code", "syntax_error", "static_fail", "failed"]


def test_leetcode_entry_point_must_be_defined() -> None:
    tests = {"kind": "leetcode_examples", "tests": "assert two_sum([1, 2], 3) == [0, 1]\n", "entry_point": "two_sum"}
    assert check_code([("```python\ndef other(nums, t):\n    return [0, 1]\n```", tests)], 1, 5.0) == ["static_fail"]


def test_solution_method_problems_need_the_solution_class() -> None:
    tests = {"kind": "leetcode_examples", "tests": "assert Solution().twoSum([1, 2], 3) == [0, 1]\n",
             "entry_point": "Solution"}
    good = "```python\nclass Solution:\n    def twoSum(self, nums, t):\n        return [0, 1]\n```"
    bare = "```python\ndef twoSum(nums, t):\n    return [0, 1]\n```"
    assert check_code([(good, tests), (bare, tests)], 1, 5.0) == ["passed", "static_fail"]
