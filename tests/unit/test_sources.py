"""Source mappers on hand-written rows in each dataset's real hub schema: the mapping and every drop reason; and
every tiny-world source file maps through its mapper with some rows kept and some dropped."""

from __future__ import annotations

import json
from collections import Counter
from typing import Any

import pytest

from data_construction.sources import MAPPERS, RowError, leetcode_signature, self_oss_test_block

# ------------------------------------------------------------------------------------------ real-schema rows
UF = {"source": "sharegpt", "instruction": " Hi there ", "models": ["gpt-4"], "completions": [],
      "correct_answers": ["None"], "incorrect_answers": ["None"]}
# princeton-nlp/llama3-ultrafeedback-armorm (the WRPO README's prompt set): its responses and scores are not read
ARMORM = {"prompt_id": "3ebac2", "prompt": " Translate this. ", "all_generated_responses": ["a", "b"],
          "all_rm_scores": [0.1, 0.2], "chosen": [], "rejected": []}
OMI = {"problem": "What is 1+1?", "generated_solution": "1+1=2. \\boxed{2}", "expected_answer": "2",
       "problem_source": "augmented_gsm8k"}
ALPACA = {"instruction": "翻译成中文", "input": "hello", "output": "你好"}
MAGPIE = {"uuid": "u1", "instruction": "Plan a weekend trip to the mountains.", "task_category": "Planning",
          "difficulty": "easy", "input_quality": "good", "intent": "The user wants a plan",
          "responses": ["a", "b"], "rewards_armorm": [{"score": 0.1}, {"score": 0.2}],
          "chosen": [{"content": "Plan a weekend trip to the mountains.", "role": "user"},
                     {"content": "b", "role": "assistant"}],
          "rejected": [{"content": "Plan a weekend trip to the mountains.", "role": "user"},
                       {"content": "a", "role": "assistant"}]}
HS2 = {"prompt": "What is tea?", "response": "A drink.", "helpfulness": 3, "correctness": 3, "coherence": 4,
       "complexity": 1, "verbosity": 1}
HS2_MULTI = "Hi\n<extra_id_1>Assistant\nHello! How can I help?\n<extra_id_1>User\nTell me a joke."
LEETCODE_CONTENT = (
    "Given two integers `a` and `b`, return _the **sum** of the two integers_.\n\n"
    "**Example 1:**\n\n**Input:** a = 12, b = 5\n**Output:** 17\n**Explanation:** 12 + 5 = 17.\n\n"
    "**Example 2:**\n\n**Input:** a = -10, b = 4\n**Output:** -6\n\n"
    "**Constraints:**\n\n*   `-100 <= a, b <= 100`")
LEETCODE = {"id": 2235, "slug": "add-two-integers", "title": "Add Two Integers", "difficulty": "Easy",
            "content": LEETCODE_CONTENT, "java": "```java\nint sum(int a, int b) { return a + b; }\n```",
            "c++": "```cpp\nint sum(int a, int b) { return a + b; }\n```",
            "python": "```python\ndef sum(a, b):\n    return a + b\n```", "javascript": "```javascript\n```",
            "explanation": "Add the two numbers."}
LEETCODE_LIST = (
    "Given the `head` of a singly linked list, reverse the list.\n\n**Example 1:**\n\n"
    "**Input:** head = \\[1,2,3\\]\n**Output:** \\[3,2,1\\]\n\n**Constraints:**\n\n*   `0 <= n <= 5000`")
SO_UNTAGGED = ("To add two numbers, return their sum.\n\nHere's how you can implement this function:\n\n"
               "```python\ndef add(a, b):\n    return a + b\n```\n\nThe function returns `a + b`.\n\n"
               "You can validate this function with the following test cases:\n\n"
               "```python\nassert add(1, 2) == 3\nassert add(-1, 1) == 0\n```")
SO_TAGGED = ("[Reasoning]\nReturn the sum.\n\n[Implementation]\n```python\ndef add(a, b):\n    return a + b\n```\n\n"
             "[Explanation]\nIt adds.\n\n[Tests]\n```python\nassert add(1, 2) == 3\n```")
SO_NO_TESTS = "Here is the implementation:\n\n```python\ndef add(a, b):\n    return a + b\n```\n\nIt adds."
SO_EXAMPLE_ONLY = ("```python\ndef add(a, b):\n    return a + b\n```\n\nExample usage:\n\n"
                   "```python\nprint(add(1, 2))\n```")
SELF_OSS = {"fingerprint": None, "sha1": "ab" * 20, "seed": "def f(): pass", "response": SO_UNTAGGED,
            "concepts": "addition", "prompt": "", "instruction": "Write a Python function `add(a, b)`.", "id": 7}
ZH = {"uuid": "z1", "model": "Qwen/Qwen2-72B-Instruct", "instruction": "介绍一下长城。", "response": "长城很长。",
      "conversations": [{"from": "human", "value": " 介绍一下长城。"}, {"from": "gpt", "value": "长城很长。"}],
      "task_category": "Information seeking", "other_task_category": [], "difficulty": "easy",
      "input_quality": "good", "language": "ZH"}


def with_(row: dict[str, Any], **changes: Any) -> dict[str, Any]:
    """A copy of ``row`` with fields replaced (a value of ``...`` removes the field)."""
    out = {**row, **changes}
    return {k: v for k, v in out.items() if v is not ...}


# ------------------------------------------------------------------------------------------ mapping
@pytest.mark.parametrize(("source", "row", "prompt"), [
    ("ultrafeedback", UF, "Hi there"),
    ("llama3_ultrafeedback_armorm", ARMORM, "Translate this."),
    ("openmathinstruct2", OMI, "What is 1+1?"),
    ("alpaca_gpt4_zh", ALPACA, "翻译成中文\nhello"),
    ("alpaca_gpt4_zh", with_(ALPACA, input=""), "翻译成中文"),
    ("alpaca_gpt4_zh", with_(ALPACA, input=...), "翻译成中文"),
    ("magpie_pro_dpo", MAGPIE, "Plan a weekend trip to the mountains."),
    ("magpie_pro_dpo", with_(MAGPIE, task_category=...), "Plan a weekend trip to the mountains."),
    ("helpsteer2", HS2, "What is tea?"),
    ("leetcode", LEETCODE, "Solve the following problem in Python. Write the function `sum(a, b)`.\n\n"
     + LEETCODE_CONTENT),
    ("self_oss_instruct", SELF_OSS, "Write a Python function `add(a, b)`."),
    ("magpie_qwen2_zh", ZH, "介绍一下长城。"),
    ("magpie_qwen2_zh", with_(ZH, input_quality="Excellent", language="zh"), "介绍一下长城。"),
    ("magpie_qwen2_zh", with_(ZH, input_quality=..., language=...), "介绍一下长城。"),
])
def test_the_prompt_comes_from_the_real_field(source: str, row: dict, prompt: str) -> None:
    rec = MAPPERS[source](row)
    assert rec["messages"] == [{"role": "user", "content": prompt}]


def test_every_mapper_keeps_its_side_fields() -> None:
    assert MAPPERS["ultrafeedback"](UF)["metadata"] == {"origin": "sharegpt"}
    assert MAPPERS["llama3_ultrafeedback_armorm"](ARMORM)["metadata"] == {"origin": "3ebac2"}
    om = MAPPERS["openmathinstruct2"](OMI)
    assert (om["gold_answer"], om["dataset_response"], om["dataset_response_model"]) == (
        "2", "1+1=2. \\boxed{2}", "Llama-3.1-405B-Instruct")
    assert om["metadata"] == {"problem_source": "augmented_gsm8k"}
    assert MAPPERS["magpie_pro_dpo"](MAGPIE)["metadata"] == {
        "uuid": "u1", "task_category": "Planning", "difficulty": "easy", "input_quality": "good"}
    assert MAPPERS["helpsteer2"](HS2)["metadata"] == {"turns": 1, "helpfulness": 3}
    lc = MAPPERS["leetcode"](LEETCODE)
    assert lc["metadata"] == {"id": 2235, "slug": "add-two-integers", "title": "Add Two Integers",
                              "difficulty": "Easy", "reference_solution": LEETCODE["python"]}
    assert MAPPERS["self_oss_instruct"](SELF_OSS)["metadata"] == {"sha1": "ab" * 20, "id": 7}
    assert MAPPERS["magpie_qwen2_zh"](ZH)["metadata"]["language"] == "ZH"
    assert all("tests" not in MAPPERS[s](r) for s, r in [("ultrafeedback", UF), ("magpie_pro_dpo", MAGPIE)])


# ------------------------------------------------------------------------------------------ drop reasons
@pytest.mark.parametrize(("source", "row", "reason"), [
    # ultrafeedback
    ("ultrafeedback", with_(UF, instruction=...), "missing_field"),
    ("ultrafeedback", with_(UF, instruction=None), "missing_field"),
    ("ultrafeedback", with_(UF, instruction=3), "wrong_type"),
    ("ultrafeedback", with_(UF, source=["x"]), "wrong_type"),
    # openmathinstruct2: all three text fields are required
    ("openmathinstruct2", with_(OMI, problem=...), "missing_field"),
    ("openmathinstruct2", with_(OMI, expected_answer=...), "missing_field"),
    ("openmathinstruct2", with_(OMI, generated_solution=...), "missing_field"),
    ("openmathinstruct2", with_(OMI, expected_answer=2), "wrong_type"),
    # alpaca_gpt4_zh
    ("alpaca_gpt4_zh", with_(ALPACA, instruction=...), "missing_field"),
    ("alpaca_gpt4_zh", with_(ALPACA, input=5), "wrong_type"),
    # magpie_pro_dpo: Magpie's own category excludes code and math
    ("magpie_pro_dpo", with_(MAGPIE, instruction=...), "missing_field"),
    ("magpie_pro_dpo", with_(MAGPIE, instruction=["x"]), "wrong_type"),
    ("magpie_pro_dpo", with_(MAGPIE, task_category="Coding & Debugging"), "code_prompt"),
    ("magpie_pro_dpo", with_(MAGPIE, task_category="Math"), "math_prompt"),
    ("magpie_pro_dpo", with_(MAGPIE, task_category=1), "wrong_type"),
    # helpsteer2: inline turns must alternate, start and end with the user, and not be empty
    ("helpsteer2", with_(HS2, prompt=...), "missing_field"),
    ("helpsteer2", with_(HS2, prompt=1.5), "wrong_type"),
    ("helpsteer2", with_(HS2, prompt="Hi\n<extra_id_1>Assistant\nHello"), "wrong_role_order"),
    ("helpsteer2", with_(HS2, prompt="Hi\n<extra_id_1>User\nAgain"), "wrong_role_order"),
    ("helpsteer2", with_(HS2, prompt="Hi\n<extra_id_1>Assistant\n\n<extra_id_1>User\nMore"), "empty_turn"),
    ("helpsteer2", with_(HS2, prompt="<extra_id_1>Assistant\nHello\n<extra_id_1>User\nHi"), "wrong_role_order"),
    # leetcode: "retaining prompts with test cases"
    ("leetcode", with_(LEETCODE, content=...), "missing_field"),
    ("leetcode", with_(LEETCODE, content=["x"]), "wrong_type"),
    ("leetcode", with_(LEETCODE, content="Return the answer. No examples here."), "no_test_cases"),
    ("leetcode", with_(LEETCODE, python=""), "no_reference_solution"),
    ("leetcode", with_(LEETCODE, python=...), "no_reference_solution"),
    ("leetcode", with_(LEETCODE, python="```python\nx = 1\n```"), "no_reference_solution"),
    ("leetcode", with_(LEETCODE, content=LEETCODE_LIST, python="def reverseList(head):\n    return head\n"),
     "untestable_examples"),
    ("leetcode", with_(LEETCODE, content=LEETCODE_CONTENT.replace("**Output:** 17", "**Output:** seventeen")),
     "untestable_examples"),
    # self_oss_instruct: the response must carry assert tests
    ("self_oss_instruct", with_(SELF_OSS, instruction=...), "missing_field"),
    ("self_oss_instruct", with_(SELF_OSS, response=...), "missing_field"),
    ("self_oss_instruct", with_(SELF_OSS, response=7), "wrong_type"),
    ("self_oss_instruct", with_(SELF_OSS, response=SO_NO_TESTS), "no_test_cases"),
    ("self_oss_instruct", with_(SELF_OSS, response=SO_EXAMPLE_ONLY), "no_test_cases"),
    # magpie_qwen2_zh: code/math category, quality, language, a human turn
    ("magpie_qwen2_zh", with_(ZH, conversations=...), "missing_field"),
    ("magpie_qwen2_zh", with_(ZH, conversations="介绍一下长城。"), "wrong_type"),
    ("magpie_qwen2_zh", with_(ZH, task_category="Coding & Debugging"), "code_prompt"),
    ("magpie_qwen2_zh", with_(ZH, task_category="Math"), "math_prompt"),
    ("magpie_qwen2_zh", with_(ZH, input_quality="average"), "low_quality"),
    ("magpie_qwen2_zh", with_(ZH, input_quality="very poor"), "low_quality"),
    ("magpie_qwen2_zh", with_(ZH, language="EN"), "not_chinese"),
    ("magpie_qwen2_zh", with_(ZH, conversations=[{"from": "gpt", "value": "hi"}]), "wrong_role_order"),
    ("magpie_qwen2_zh", with_(ZH, conversations=[]), "empty_prompt"),
    ("magpie_qwen2_zh", with_(ZH, conversations=[{"from": "human", "value": 3}]), "wrong_type"),
])
def test_unusable_rows_are_drops_with_a_reason(source: str, row: dict, reason: str) -> None:
    with pytest.raises(RowError, match=f"^{reason}$"):
        MAPPERS[source](row)


def test_category_drops_come_before_quality_for_magpie_zh() -> None:
    row = with_(ZH, task_category="Math", input_quality="poor", language="EN")
    with pytest.raises(RowError, match="^math_prompt$"):
        MAPPERS["magpie_qwen2_zh"](row)


# ------------------------------------------------------------------------------------------ multi-turn, tests
def test_helpsteer2_multi_turn_prompt_becomes_alternating_turns() -> None:
    rec = MAPPERS["helpsteer2"](with_(HS2, prompt=HS2_MULTI))
    assert rec["messages"] == [{"role": "user", "content": "Hi"},
                               {"role": "assistant", "content": "Hello! How can I help?"},
                               {"role": "user", "content": "Tell me a joke."}]
    assert rec["metadata"]["turns"] == 3


def test_leetcode_tests_are_the_examples_as_asserts() -> None:
    tests = json.loads(MAPPERS["leetcode"](LEETCODE)["tests"])
    assert tests == {"kind": "leetcode_examples", "entry_point": "sum",
                     "tests": "assert sum(12, 5) == 17\nassert sum(-10, 4) == -6\n"}


def test_leetcode_solution_class_names_the_method() -> None:
    sol = "```python\nclass Solution:\n    def addTwo(self, a: int, b: int) -> int:\n        return a + b\n```"
    rec = MAPPERS["leetcode"](with_(LEETCODE, python=sol))
    assert rec["messages"][0]["content"].startswith(
        "Solve the following problem in Python. Write the method `addTwo(a, b)` of a class `Solution`.\n\n")
    assert json.loads(rec["tests"])["tests"].startswith("assert Solution().addTwo(12, 5) == 17\n")
    assert leetcode_signature("def f(x):\n    return x\n") == "f(x)" and leetcode_signature("") is None


@pytest.mark.parametrize(("response", "tests"), [
    (SO_UNTAGGED, "assert add(1, 2) == 3\nassert add(-1, 1) == 0\n"),
    (SO_TAGGED, "assert add(1, 2) == 3\n"),
    (SO_TAGGED.replace("[Tests]", "### Tests"), "assert add(1, 2) == 3\n"),
    (SO_NO_TESTS, None),
    (SO_EXAMPLE_ONLY, None),
    ("```python\ndef add(a, b):\n    return a + b\nassert add(1, 2) == 3\n```", None),  # one block: no split
])
def test_self_oss_tests_in_both_release_forms(response: str, tests: str | None) -> None:
    assert self_oss_test_block(response) == tests
    if tests:
        rec = MAPPERS["self_oss_instruct"](with_(SELF_OSS, response=response))
        assert json.loads(rec["tests"]) == {"kind": "self_oss", "tests": tests, "entry_point": None}


def test_all_eight_sources_have_a_mapper() -> None:
    """The FuseChat-3.0 table's eight sources, plus WRPO's prompt set (princeton-nlp/llama3-ultrafeedback-armorm)."""
    from data_construction.release import SEED

    assert sorted(MAPPERS) == sorted([*SEED, "llama3_ultrafeedback_armorm"])


# ------------------------------------------------------------------------------------------ the tiny world
# Per tiny-world source: the drop reasons its synthetic rows must produce (at least one each) at the default size.
TINY_DROPS: dict[str, set[str]] = {
    "ultrafeedback": set(),
    "openmathinstruct2": set(),
    "alpaca_gpt4_zh": set(),
    "magpie_pro_dpo": {"math_prompt"},
    "helpsteer2": set(),
    "leetcode": {"no_test_cases", "untestable_examples"},
    "self_oss_instruct": {"no_test_cases"},
    "magpie_qwen2_zh": {"code_prompt", "low_quality", "not_chinese"},
}
# WRPO's prompt set has no tiny-world table: the tiny WRPO recipe reads tiny:ultrafeedback (the raw-UltraFeedback
# option); its mapper is checked on a hand-written row above.
TINY_SOURCES = sorted(TINY_DROPS)


@pytest.fixture(scope="module")
def tiny_rows() -> dict[str, list[dict[str, Any]]]:
    from data_construction.selection import iter_source_rows
    from fusechat.recipe import SourceConfig
    from fusechat.tiny_world import TinyWorldSettings

    world = TinyWorldSettings()
    return {name: list(iter_source_rows(SourceConfig(name=name, domain="general", path=f"tiny:{name}"), world))
            for name in TINY_SOURCES}


def _map_all(name: str, rows: list[dict[str, Any]]) -> tuple[list[dict[str, Any]], Counter[str]]:
    kept, dropped = [], Counter()
    for row in rows:
        try:
            kept.append(MAPPERS[name](row))
        except RowError as exc:
            dropped[str(exc)] += 1
    return kept, dropped


@pytest.mark.parametrize("name", TINY_SOURCES)
def test_tiny_world_file_maps_through_its_mapper(name: str, tiny_rows: dict[str, list[dict[str, Any]]]) -> None:
    kept, dropped = _map_all(name, tiny_rows[name])
    assert kept, f"{name}: no row kept"
    assert TINY_DROPS[name] <= set(dropped), (name, dropped)
    assert all(m["content"] for rec in kept for m in rec["messages"])
    if name in ("leetcode", "self_oss_instruct"):
        assert all(json.loads(rec["tests"])["tests"].startswith("assert ") for rec in kept)


def test_tiny_world_rows_make_the_other_rules_branch(tiny_rows: dict[str, list[dict[str, Any]]]) -> None:
    hs2 = [MAPPERS["helpsteer2"](r) for r in tiny_rows["helpsteer2"]]
    prompts = Counter(json.dumps(r["messages"]) for r in hs2)
    assert max(prompts.values()) >= 2  # the same prompt on several rows (two responses each)
    assert any(len(r["messages"]) == 3 for r in hs2)  # a multi-turn prompt
    so = [r["response"] for r in tiny_rows["self_oss_instruct"]]
    assert any("[Tests]" in r for r in so) and any("[Tests]" not in r and "assert" in r for r in so)
    assert {"gold_answer"} <= set(MAPPERS["openmathinstruct2"](tiny_rows["openmathinstruct2"][0]))
