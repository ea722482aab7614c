"""Code extraction, static checks, and test derivation (self-oss-instruct and LeetCode)."""

from __future__ import annotations

import pytest

from fusechat.code_tests import (
    extract_code,
    leetcode_entry_point,
    leetcode_tests,
    self_oss_tests,
    static_check,
    undefined_names,
)


@pytest.mark.parametrize(("response", "expected"), [
    ("Here:\n```python\ndef f():\n    return 1\n```\nDone.", "def f():\n    return 1\n"),
    ("```py\nx = 1\n```\n```python\ndef longer():\n    return 2\n```", "def longer():\n    return 2\n"),
    ("```\ny = 2\n```", "y = 2\n"),
    ("def bare():\n    return 3", "def bare():\n    return 3"),
    ("no code at all, sorry!", None),
    ("```java\nclass A {}\n```", None),
])
def test_extract_code(response, expected):
    assert extract_code(response) == expected


@pytest.mark.parametrize(("src", "entry", "ok", "undefined"), [
    ("def f(x):\n    return x + 1\n", "f", True, []),
    ("def f(x):\n    return helper(x)\n", "f", False, ["helper"]),
    ("import math\ndef f(x):\n    return math.sqrt(x)\n", "f", True, []),
    ("def f(x):\n    return y\ny = 3\n", "f", True, []),
    ("class Solution:\n    def twoSum(self, a, t):\n        return [i for i in a]\n", "twoSum", True, []),
    ("def g(x):\n    return x\n", "f", False, []),
    ("def f(x)\n    return x\n", "f", False, []),
    ("from os.path import *\ndef f():\n    return join('a', 'b')\n", "f", True, []),
    ("def f():\n    global z\n    z = 1\n    return z\n", "f", True, []),
])
def test_static_check(src, entry, ok, undefined):
    rep = static_check(src, entry)
    assert rep.ok is ok
    assert rep.undefined_names == undefined


def test_static_check_reports_syntax_error():
    rep = static_check("def f(:\n", "f")
    assert not rep.parses and not rep.ok and "SyntaxError" in rep.error


def test_undefined_names_in_nested_scopes():
    src = "def f():\n    def g():\n        return missing + 1\n    return g()\n"
    assert undefined_names(src) == ["missing"]


SELF_OSS = """[Reasoning]
Add two numbers.

[Implementation]
```python
def add(a, b):
    return a + b
```

[Explanation]
Simple.

[Tests]
```python
assert add(1, 2) == 3
assert add(-1, 1) == 0
```
"""


@pytest.mark.parametrize("heading", ["[Tests]", "### Tests", "## Tests", "**Tests**"])
def test_self_oss_tests(heading):
    sol, tests = self_oss_tests(SELF_OSS.replace("[Tests]", heading))
    assert sol == "def add(a, b):\n    return a + b\n"
    assert tests == "assert add(1, 2) == 3\nassert add(-1, 1) == 0\n"


def test_self_oss_without_tests():
    sol, tests = self_oss_tests("```python\ndef f():\n    pass\n```")
    assert sol is not None and tests is None


TWO_SUM = (
    "Given an array of integers `nums` and an integer `target`, return indices.\n\n"
    "**Example 1:**\n\n**Input:** nums = \\[2,7,11,15\\], target = 9\n**Output:** \\[0,1\\]\n"
    "**Explanation:** Because nums\\[0\\] + nums\\[1\\] == 9.\n\n"
    "**Example 2:**\n\n**Input:** nums = \\[3,2,4\\], target = 6\n**Output:** \\[1,2\\]\n\n"
    "**Constraints:**\n\n*   `2 <= nums.length <= 104`\n"
)
PALINDROME = (
    "**Example 1:**\n\n**Input:** s = \"racecar \"\n**Output:** true\n\n"
    "**Example 2:**\n\n**Input:** s = \"ab\"\n**Output:** false\n"
)


def test_leetcode_two_sum():
    tests, reason = leetcode_tests(TWO_SUM, "```python\ndef twoSum(nums, target):\n    pass\n```")
    assert tests == "assert twoSum([2, 7, 11, 15], 9) == [0, 1]\nassert twoSum([3, 2, 4], 6) == [1, 2]\n"
    assert reason == "2 examples"


def test_leetcode_bools_and_solution_class():
    sol = "class Solution:\n    def isPal(self, s: str) -> bool:\n        return s == s[::-1]\n"
    assert leetcode_entry_point(sol) == ("isPal", True)
    tests, _ = leetcode_tests(PALINDROME, sol)
    assert tests == ("assert Solution().isPal('racecar ') == True\n"
                     "assert Solution().isPal('ab') == False\n")


@pytest.mark.parametrize(("content", "reason"), [
    ("**Example 1:**\n\n**Input:** head = \\[1,2\\]\n**Output:** \\[2,1\\]\n", "linked list / tree"),
    ("Return the answer in any order.\n**Example 1:**\n\n**Input:** n = 1\n**Output:** \\[1\\]\n", "any-order"),
    ("No examples here.", "no parsable examples"),
    ("**Example 1:**\n\n**Input:** n = foo bar\n**Output:** 1\n", "not a Python literal"),
])
def test_leetcode_unsupported(content, reason):
    tests, why = leetcode_tests(content, "def f(n):\n    return n\n")
    assert tests is None and reason in why


def test_derived_tests_run_in_sandbox():
    """End to end: derived LeetCode tests pass a right solution and fail a wrong one in the sandbox."""
    from fusechat.sandbox import CodeJob, SandboxPool

    tests, _ = leetcode_tests(TWO_SUM, "def twoSum(nums, target):\n    pass\n")
    right = ("def twoSum(nums, target):\n    seen = {}\n    for i, x in enumerate(nums):\n"
             "        if target - x in seen:\n            return [seen[target - x], i]\n        seen[x] = i\n")
    wrong = "def twoSum(nums, target):\n    return [0, 0]\n"
    with SandboxPool(workers=1) as pool:
        res = pool.run_many([CodeJob(program=right, tests=tests, timeout_s=5),
                             CodeJob(program=wrong, tests=tests, timeout_s=5)])
    assert [r.status for r in res] == ["passed", "failed"]
