"""Source mappers on hand-written rows in each dataset's real schema: the mapping and every drop reason."""

from __future__ import annotations

import json

import pytest

from data_construction.sources import MAPPERS, RowError

LEETCODE = ("Given an array of integers `nums` and an integer `target`, return indices of the two numbers.\n"
            "**Example 1:**\n**Input:** nums = \\[2,7,11,15\\], target = 9\n**Output:** \\[0,1\\]\n"
            "**Constraints:**\n* `2 <= nums.length <= 104`")
SELF_OSS = ("Here is the implementation:\n```python\ndef add(a, b):\n    return a + b\n```\n\n"
            "### Tests\n```python\nassert add(1, 2) == 3\n```")


@pytest.mark.parametrize(("source", "row", "prompt"), [
    ("ultrafeedback", {"source": "sharegpt", "instruction": " Hi there "}, "Hi there"),
    ("openmathinstruct2", {"problem": "1+1?", "generated_solution": "\\boxed{2}", "expected_answer": "2"}, "1+1?"),
    ("alpaca_gpt4_zh", {"instruction": "翻译", "input": "hello", "output": "你好"}, "翻译\nhello"),
    ("magpie_pro_dpo", {"instruction": "Plan a trip.", "task_category": "Planning"}, "Plan a trip."),
    ("helpsteer2", {"prompt": "What is tea?", "response": "A drink."}, "What is tea?"),
    ("leetcode", {"id": 1, "slug": "two-sum", "content": LEETCODE, "python": "def two_sum(nums, target): pass"},
     "Solve the following problem in Python.\n\n" + LEETCODE),
    ("self_oss_instruct", {"instruction": "Write add(a, b).", "response": SELF_OSS}, "Write add(a, b)."),
    ("magpie_qwen2_zh", {"conversations": [{"from": "human", "value": "你好"}, {"from": "gpt", "value": "你好！"}],
                         "task_category": "Information seeking", "input_quality": "good"}, "你好"),
])
def test_mapping_takes_the_prompt_from_the_real_field(source: str, row: dict, prompt: str) -> None:
    rec = MAPPERS[source](row)
    assert rec["messages"][-1] == {"role": "user", "content": prompt}


@pytest.mark.parametrize(("source", "row", "reason"), [
    ("ultrafeedback", {"source": "x"}, "missing_field"),
    ("ultrafeedback", {"instruction": 3}, "wrong_type"),
    ("openmathinstruct2", {"problem": "p", "generated_solution": "s"}, "missing_field"),
    ("magpie_pro_dpo", {"instruction": "Fix my code", "task_category": "Coding & Debugging"}, "code_prompt"),
    ("magpie_pro_dpo", {"instruction": "2+2", "task_category": "Math"}, "math_prompt"),
    ("helpsteer2", {"prompt": "Hi<extra_id_1>Assistant\nHello"}, "malformed_turns"),
    ("leetcode", {"content": "Return the answer. No examples here."}, "no_test_cases"),
    ("self_oss_instruct", {"instruction": "Write f.", "response": "```python\ndef f(): pass\n```"}, "no_test_cases"),
    ("magpie_qwen2_zh", {"conversations": [{"from": "human", "value": "写代码"}], "task_category": "Coding & Debugging"},
     "code_prompt"),
    ("magpie_qwen2_zh", {"conversations": [{"from": "human", "value": "嗯"}], "input_quality": "poor"}, "low_quality"),
    ("magpie_qwen2_zh", {"conversations": [{"from": "gpt", "value": "hi"}]}, "missing_field"),
])
def test_unusable_rows_are_drops_with_a_reason(source: str, row: dict, reason: str) -> None:
    with pytest.raises(RowError, match=f"^{reason}$"):
        MAPPERS[source](row)


def test_helpsteer2_multi_turn_becomes_turns() -> None:
    rec = MAPPERS["helpsteer2"]({"prompt": "Hi\n<extra_id_1>Assistant\nHello!\n<extra_id_1>User\nTell me a joke."})
    assert [m["role"] for m in rec["messages"]] == ["user", "assistant", "user"]
    assert rec["messages"][-1]["content"] == "Tell me a joke."


def test_code_rows_carry_runnable_tests() -> None:
    lc = json.loads(MAPPERS["leetcode"]({"content": LEETCODE, "python": "def two_sum(nums, target): ..."})["tests"])
    assert lc == {"kind": "leetcode_examples", "tests": "assert two_sum([2, 7, 11, 15], 9) == [0, 1]\n",
                  "entry_point": "two_sum"}
    so = json.loads(MAPPERS["self_oss_instruct"]({"instruction": "x", "response": SELF_OSS})["tests"])
    assert so == {"kind": "self_oss", "tests": "assert add(1, 2) == 3\n", "entry_point": None}


def test_leetcode_without_a_python_entry_point_has_no_tests() -> None:
    with pytest.raises(RowError, match="^no_test_cases$"):
        MAPPERS["leetcode"]({"content": LEETCODE, "python": ""})


def test_all_eight_sources_have_a_mapper() -> None:
    from data_construction.release import SEED

    assert sorted(MAPPERS) == sorted(SEED)
