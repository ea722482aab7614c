"""Synthetic rows in the real schemas of the source datasets and benchmarks (never real data: licences).

Everything is a pure function of a ``random.Random`` so the tiny world is deterministic from its seed. The rows are
built so that every rule branches: some general/Chinese prompts are code or math (to be filtered), some prompts are
duplicated (to be deduplicated), some math solutions in the dataset are wrong, and the text of good and bad
responses differs in ways the tiny reward model learns to score.
"""

from __future__ import annotations

import random
from typing import Any

TOPICS = [
    "rivers", "gardens", "music", "winter", "bicycles", "coffee", "libraries", "mountains", "trains", "bread",
    "friendship", "the ocean", "birds", "city parks", "old maps", "rain", "tea", "lighthouses", "markets", "clocks",
]
TASKS = [
    "Write a short note about {t}.",
    "Give two tips about {t}.",
    "Describe {t} in simple words.",
    "Why do people like {t}?",
    "Explain what makes {t} interesting.",
]
GOOD_SENTENCES = [
    "{T} are worth a closer look.", "People enjoy {t} because they bring calm.", "A good tip: learn about {t} slowly.",
    "{T} connect us with the world.", "Many stories describe {t} with care.",
]
BAD_SENTENCES = ["I do not know.", "Maybe.", "Something else entirely.", "No idea about that."]
ZH_TOPICS = ["春天", "茶", "书", "河流", "音乐", "朋友", "城市", "月亮", "花园", "雨"]
ZH_TASKS = ["请写一段关于{t}的短文。", "请介绍一下{t}。", "{t}有什么特点？"]
ZH_GOOD = ["{t}很美，让人感到平静。", "我们喜欢{t}，因为它带来快乐。", "关于{t}，有很多有趣的故事。"]
CODE_PROMPTS = [
    "Write a Python function that returns the sum of a list.",
    "Fix this code: def f(x): return x +",
    "Implement quicksort in C++.",
]
MATH_PROMPTS = ["Solve for x: 3x + 5 = 20.", "Calculate 12 * 7 and explain.", "What is the integral of x^2?"]
ZH_CODE_MATH = ["请用Python写一个排序函数。", "计算 15 + 27 等于多少？"]
NAMES = ["Tom", "Ana", "Li", "Sam", "Maya", "Omar", "Eva", "Ken"]
ITEMS = ["apples", "books", "coins", "pens", "cards", "stones"]


def _cap(text: str) -> str:
    return text[:1].upper() + text[1:]


def general_prompt(rng: random.Random) -> str:
    return rng.choice(TASKS).format(t=rng.choice(TOPICS))


def general_response(prompt: str, rng: random.Random, quality: float) -> str:
    """A response whose on-topic share grows with ``quality`` in [0, 1]."""
    topic = next((t for t in TOPICS if t in prompt), rng.choice(TOPICS))
    n = rng.randint(2, 4)
    parts = []
    for _ in range(n):
        if rng.random() < quality:
            parts.append(rng.choice(GOOD_SENTENCES).format(t=topic, T=_cap(topic)))
        else:
            parts.append(rng.choice(BAD_SENTENCES))
    return " ".join(parts)


def chinese_prompt(rng: random.Random) -> str:
    return rng.choice(ZH_TASKS).format(t=rng.choice(ZH_TOPICS))


def chinese_response(prompt: str, rng: random.Random) -> str:
    topic = next((t for t in ZH_TOPICS if t in prompt), rng.choice(ZH_TOPICS))
    return "".join(rng.choice(ZH_GOOD).format(t=topic) for _ in range(rng.randint(1, 3)))


def math_problem(rng: random.Random) -> tuple[str, int]:
    name, item = rng.choice(NAMES), rng.choice(ITEMS)
    a, b = rng.randint(2, 9), rng.randint(2, 9)
    kind = rng.choice(["add", "sub", "mul"])
    if kind == "add":
        return f"{name} has {a} {item} and gets {b} more. How many {item} does {name} have?", a + b
    if kind == "sub":
        a = a + b
        return f"{name} has {a} {item} and gives away {b}. How many {item} are left?", a - b
    return f"{name} buys {a} bags with {b} {item} each. How many {item} in total?", a * b


def math_solution(problem: str, answer: int, correct: bool, rng: random.Random) -> str:
    shown = answer if correct else answer + rng.choice([-3, -2, -1, 1, 2, 3])
    nums = [int(tok) for tok in problem.replace("?", " ").split() if tok.isdigit()]
    op = "+" if "more" in problem else ("-" if "away" in problem else "*")
    expr = f" {op} ".join(str(x) for x in nums[:2])
    return f"We compute {expr} = {shown}. The answer is \\boxed{{{shown}}}."


# ------------------------------------------------------------------------------------------ source schemas
def ultrafeedback_rows(rng: random.Random, n: int) -> list[dict[str, Any]]:
    """Rows in the schema of ``openbmb/UltraFeedback``; ~15% math/code prompts (to be filtered), 1 duplicate."""
    rows = []
    for i in range(n):
        r = rng.random()
        if r < 0.08:
            instruction, source = rng.choice(CODE_PROMPTS), "evol_instruct"
        elif r < 0.15:
            instruction, source = rng.choice(MATH_PROMPTS), "flan_v2_cot"
        else:
            instruction, source = general_prompt(rng), rng.choice(["ultrachat", "sharegpt", "false_qa", "evol_instruct"])
        completions = [
            {
                "model": m,
                "response": general_response(instruction, rng, rng.random()),
                "annotations": {"helpfulness": {"Rating": str(rng.randint(1, 5)), "Rationale": ""}},
                "custom_system_prompt": "",
                "fine-grained_score": round(rng.uniform(1, 5), 2),
                "overall_score": round(rng.uniform(1, 10), 1),
                "critique": "",
                "principle": "helpfulness",
            }
            for m in ("gpt-4", "llama-2-13b-chat")
        ]
        rows.append({
            "source": source,
            "instruction": instruction,
            "models": [c["model"] for c in completions],
            "completions": completions,
            "correct_answers": ["None"],
            "incorrect_answers": ["None"],
        })
        if i == 3:  # an exact duplicate prompt, to be removed by dedup
            rows.append(dict(rows[-1]))
    return rows


def ultrafeedback_wrpo_rows(rng: random.Random, ultrafeedback: list[dict[str, Any]],
                            qualities: list[float], per_model: int = 2) -> list[dict[str, Any]]:
    """Rows in the assumed schema of ``AALF/ultrafeedback_wrpo``, the WRPO authors' released source responses (its
    layout is unpublished; ``data_construction/wrpo_release.py`` says what is assumed): ``prompt_id`` (sha256 of the
    prompt), ``prompt``, ``all_generated_responses`` (``per_model`` per source model, in model order; 5 in the
    paper) and ``all_rm_scores`` (not read: we score with the RM). Every UltraFeedback prompt once, except the last
    one (left without responses: ``no_released_responses``); one prompt with its spaces doubled (matched after
    whitespace normalisation); plus a prompt UltraFeedback does not have (``prompt_not_selected``) and two bad rows
    (responses null: ``missing_field``; an empty list: ``no_responses``)."""
    import hashlib

    def row(prompt: str, responses: list[str] | None) -> dict[str, Any]:
        return {"prompt_id": hashlib.sha256(prompt.encode()).hexdigest(), "prompt": prompt,
                "all_generated_responses": responses,
                "all_rm_scores": None if responses is None else [round(rng.uniform(0.02, 0.25), 4) for _ in responses]}

    prompts = list(dict.fromkeys(r["instruction"] for r in ultrafeedback))[:-1]
    rows = []
    for i, prompt in enumerate(prompts):
        responses = [general_response(prompt, rng, q) for q in qualities for _ in range(per_model)]
        rows.append(row(prompt.replace(" ", "  ") if i == 1 else prompt, responses))
    extra = "Describe volcanoes in simple words."
    rows.append(row(extra, [general_response(extra, rng, q) for q in qualities]))
    rows.append(row(rng.choice(prompts), None))
    rows.append(row(rng.choice(prompts), []))
    return rows


def openmathinstruct2_rows(rng: random.Random, n: int) -> list[dict[str, Any]]:
    """Rows in the schema of ``nvidia/OpenMathInstruct-2`` (solution by Llama-3.1-405B-Instruct; ~25% wrong)."""
    rows = []
    for _ in range(n):
        problem, answer = math_problem(rng)
        rows.append({
            "problem": problem,
            "generated_solution": math_solution(problem, answer, rng.random() > 0.25, rng),
            "expected_answer": str(answer),
            "problem_source": rng.choice(["augmented_gsm8k", "gsm8k", "augmented_math"]),
        })
    return rows


def alpaca_gpt4_zh_rows(rng: random.Random, n: int) -> list[dict[str, Any]]:
    """Rows in the schema of ``llamafactory/alpaca_gpt4_zh``; ~20% code/math prompts (to be filtered)."""
    rows = []
    for _ in range(n):
        if rng.random() < 0.2:
            instruction = rng.choice(ZH_CODE_MATH)
        else:
            instruction = chinese_prompt(rng)
        rows.append({"instruction": instruction, "input": "", "output": chinese_response(instruction, rng)})
    return rows


# ------------------------------------------------------------------------------------------ benchmarks
def gsm8k_items(rng: random.Random, n: int) -> list[dict[str, Any]]:
    """Items in the schema of ``openai/gsm8k`` (``answer`` ends with ``#### N``)."""
    items = []
    for _ in range(n):
        problem, answer = math_problem(rng)
        items.append({"question": problem, "answer": f"Reasoning omitted.\n#### {answer}"})
    return items


MC_FACTS = [
    ("Which of these is a color?", ["red", "table", "seven", "run"], 0),
    ("Which of these is a number?", ["tree", "seven", "blue", "walk"], 1),
    ("Which of these is an animal?", ["chair", "green", "bird", "nine"], 2),
    ("Which of these is a drink?", ["stone", "four", "jump", "tea"], 3),
    ("Which of these is a season?", ["winter", "pencil", "three", "swim"], 0),
    ("Which of these is a fruit?", ["road", "apple", "five", "sing"], 1),
]


def mmlu_items(rng: random.Random, n: int) -> list[dict[str, Any]]:
    """Items in the schema of ``cais/mmlu`` (``choices`` list, integer ``answer``), choices shuffled."""
    items = []
    for i in range(n):
        q, choices, ans = MC_FACTS[i % len(MC_FACTS)]
        order = list(range(4))
        rng.shuffle(order)
        items.append({
            "question": q,
            "subject": "miscellaneous",
            "choices": [choices[j] for j in order],
            "answer": order.index(ans),
        })
    return items


def mc_response(item: dict[str, Any]) -> str:
    letter = "ABCD"[item["answer"]]
    return f"The correct choice is {item['choices'][item['answer']]}. The best answer is {letter}."


# ------------------------------------------------------------------------------------------ the other five schemas
MAGPIE_CATEGORIES = ["Information seeking", "Planning", "Advice seeking", "Creative writing"]
CODE_TASKS = [  # (function name, description, body, examples as (args, result))
    ("add_two", "return the sum of two integers `a` and `b`", "return a + b", [((1, 2), 3), ((-4, 9), 5)]),
    ("max_of", "return the larger of two integers `a` and `b`", "return max(a, b)", [((3, 7), 7), ((5, -1), 5)]),
    ("square", "return the square of an integer `a`", "return a * a", [((3,), 9), ((-2,), 4)]),
    ("is_even", "return whether the integer `a` is even", "return a % 2 == 0", [((4,), True), ((7,), False)]),
]
MAGPIE_GENERATOR = "meta-llama/Meta-Llama-3-70B-Instruct"
MAGPIE_QWEN2 = "Qwen/Qwen2-72B-Instruct"


def magpie_pro_dpo_rows(rng: random.Random, n: int) -> list[dict[str, Any]]:
    """Rows in the schema of ``Magpie-Align/Magpie-Pro-DPO-100K-v0.1`` (instruction + Magpie tags, five sampled
    ``responses`` with ArmoRM rewards, ``chosen``/``rejected`` message lists); every 7th row (from the 4th) is a
    Coding & Debugging or Math prompt with that category (to be dropped by the loader)."""
    rows = []
    for i in range(n):
        instruction, category = general_prompt(rng), rng.choice(MAGPIE_CATEGORIES)
        if i % 7 == 3:
            category = rng.choice(["Coding & Debugging", "Math"])
            instruction = rng.choice(CODE_PROMPTS if category == "Coding & Debugging" else MATH_PROMPTS)
        responses = [general_response(instruction, rng, q) for q in (0.95, 0.7, 0.5, 0.3, 0.05)]
        rewards = [round(0.2 - 0.03 * k + rng.uniform(-0.005, 0.005), 4) for k in range(5)]
        best, worst = max(range(5), key=rewards.__getitem__), min(range(5), key=rewards.__getitem__)
        rows.append({
            "uuid": f"{rng.getrandbits(128):032x}",
            "instruction": instruction,
            "gen_input_configs": {"input_generator": MAGPIE_GENERATOR, "temperature": 1.0, "top_p": 1.0},
            "intent": f"The user wants to {instruction[0].lower()}{instruction[1:].rstrip('.?')}",
            "knowledge": "To solve this problem, the models need to know basic facts about the topic",
            "difficulty": rng.choice(["very easy", "easy", "medium"]),
            "input_quality": rng.choice(["average", "good", "excellent"]),
            "quality_explanation": "The user query is clear and specific.",
            "task_category": category,
            "input_length": len(instruction),
            "responses": responses,
            "gen_response_configs": {"engine": "vllm", "max_tokens": 4096, "output_generator": MAGPIE_GENERATOR,
                                     "prompt": "<|begin_of_text|><|start_header_id|>user<|end_header_id|>\n\n"
                                               f"{instruction}<|eot_id|>", "repetition_penalty": 1.0,
                                     "stop_tokens": ["<|eot_id|>", "<|end_of_text|>"], "temperature": 0.8,
                                     "top_p": 1.0},
            "rewards_armorm": [{"score": r} for r in rewards],
            "chosen": [{"content": instruction, "role": "user"}, {"content": responses[best], "role": "assistant"}],
            "rejected": [{"content": instruction, "role": "user"},
                         {"content": responses[worst], "role": "assistant"}],
        })
    return rows


def helpsteer2_rows(rng: random.Random, n: int) -> list[dict[str, Any]]:
    """Rows in the schema of ``nvidia/HelpSteer2``: two annotated responses per prompt (so each prompt repeats),
    five 0-4 attribute scores; every 4th prompt (from the 2nd) is multi-turn with inline ``<extra_id_1>`` markers
    and every 4th (from the 4th) is a code prompt (for selection's code filter)."""
    rows = []
    for i in range(max(1, n // 2)):
        prompt = general_prompt(rng)
        if i % 4 == 1:
            prompt = f"{prompt}\n<extra_id_1>Assistant\n{general_response(prompt, rng, 0.8)}\n<extra_id_1>User\n" \
                     f"{general_prompt(rng)}"
        elif i % 4 == 3:
            prompt = rng.choice(CODE_PROMPTS)
        for _ in range(2):
            rows.append({"prompt": prompt, "response": general_response(prompt, rng, rng.random()),
                         **{k: rng.randint(0, 4) for k in ("helpfulness", "correctness", "coherence", "complexity",
                                                            "verbosity")}})
    return rows


def _md(value: Any) -> str:
    """A value as LeetCode statements in ``greengerong/leetcode`` print it (Markdown: ``\\[1,2\\]``, ``true``)."""
    if isinstance(value, bool):
        return str(value).lower()
    if isinstance(value, str):
        return f'"{value}"'
    if isinstance(value, list):
        return "\\[" + ",".join(str(v) for v in value) + "\\]"
    return str(value)


# LeetCode-style problems: (slug, title, function name, statement, arg names, python body, examples as
# (args, result)). The 5th has no examples (dropped: no test cases), the 6th takes a linked list (dropped:
# untestable examples). Real rows name functions in camelCase (``twoSum``); the four problems that are also
# CODE_TASKS reuse those snake_case names so the tiny models, which learn CODE_TASKS, can pass some of them.
LEETCODE_PROBLEMS: list[tuple[str, str, str, str, list[str], str, list[tuple[tuple, Any]]]] = [
    ("add-two-integers", "Add Two Integers", "add_two",
     "Given two integers `a` and `b`, return _the **sum** of the two integers_.",
     ["a", "b"], "return a + b", [((12, 5), 17), ((-10, 4), -6)]),
    ("reverse-string", "Reverse String", "reverseString",
     "Given a string `s`, return _the string reversed_.",
     ["s"], "return s[::-1]", [(("hello",), "olleh"), (("Hannah",), "hannaH")]),
    ("maximum-of-two", "Maximum of Two Numbers", "max_of",
     "Given two integers `a` and `b`, return _the larger of the two_.",
     ["a", "b"], "return max(a, b)", [((3, 7), 7), ((5, -1), 5)]),
    ("sum-of-array", "Sum of Array", "sumOfArray",
     "Given an integer array `nums`, return _the sum of its elements_.",
     ["nums"], "return sum(nums)", [(([1, 2, 3],), 6), (([-1, 1],), 0), (([5],), 5)]),
    ("design-counter", "Design Counter", "counter",
     "Design a counter that supports `increment()` and `get()`. Implement the `Counter` class so that `get()` "
     "returns how many times `increment()` was called.",
     ["a"], "return a", []),
    ("reverse-linked-list", "Reverse Linked List", "reverseList",
     "Given the `head` of a singly linked list, reverse the list, and return _the reversed list_.",
     ["head"], "return head[::-1]", [(([1, 2, 3],), [3, 2, 1])]),
    ("square-of-number", "Square of a Number", "square",
     "Given an integer `a`, return _the square of_ `a`.",
     ["a"], "return a * a", [((3,), 9), ((-2,), 4)]),
    ("is-even", "Check Even Number", "is_even",
     "Given an integer `a`, return `true` _if_ `a` _is even, or_ `false` _otherwise_.",
     ["a"], "return a % 2 == 0", [((4,), True), ((7,), False)]),
]


def leetcode_rows(rng: random.Random, n: int) -> list[dict[str, Any]]:
    """Rows in the schema of ``greengerong/leetcode`` (``content`` in the hub's Markdown: ``**Example N:**``,
    ``**Input:** a = 1, b = 2``, ``**Output:** 3``, escaped ``\\[ \\]`` brackets; fenced reference solutions per
    language; ``explanation``). Problems cycle through :data:`LEETCODE_PROBLEMS`: small real-looking tasks whose
    examples become assert tests, one without examples and one over a linked list (both dropped by the loader)."""
    rows = []
    for i in range(n):
        slug, title, name, statement, args, body, examples = LEETCODE_PROBLEMS[i % len(LEETCODE_PROBLEMS)]
        cycle = i // len(LEETCODE_PROBLEMS)
        blocks = []
        for k, (ex, out) in enumerate(examples):
            given = ", ".join(f"{a} = {_md(v)}" for a, v in zip(args, ex, strict=True))
            blocks.append(f"**Example {k + 1}:**\n\n**Input:** {given}\n**Output:** {_md(out)}\n")
        bound = 100 * (cycle + 1)
        if not examples:
            limits = f"*   At most `{bound}` calls will be made to `increment` and `get`."
        elif "head" in args:
            limits = f"*   The number of nodes in the list is in the range `[0, {bound}]`."
        else:
            limits = f"*   `-{bound} <= {args[0]} <= {bound}`"
        content = f"{statement}\n\n" + "\n".join(blocks) + f"\n**Constraints:**\n\n{limits}"
        sig = ", ".join(args)
        python = f"```python\ndef {name}({sig}):\n    {body}\n```\n"
        if "head" in args:
            python = ("```python\nclass ListNode:\n    def __init__(self, val=0, next=None):\n        self.val = val\n"
                      f"        self.next = next\n\ndef {name}(head):\n    prev = None\n    while head:\n"
                      "        head.next, prev, head = prev, head, head.next\n    return prev\n```\n")
        rows.append({
            "id": i + 1, "slug": slug if cycle == 0 else f"{slug}-{cycle + 1}", "title": title,
            "difficulty": rng.choice(["Easy", "Easy", "Medium"]), "content": content,
            "java": f"```java\npublic Object {name}(Object {args[0]}) {{\n    return null;\n}}\n```\n",
            "c++": f"```cpp\nauto {name}(auto {args[0]}) {{\n    return {args[0]};\n}}\n```\n",
            "python": python,
            "javascript": f"```javascript\nfunction {name}({sig}) {{\n    return null;\n}}\n```\n",
            "explanation": f"The algorithm computes the answer directly: {body.replace('return ', '')}.",
        })
    return rows


SELF_OSS_TEMPLATES = [
    "Write a Python function `{name}` to {desc}.",
    "Create a Python function `{name}` that takes the input described below and will {desc}. Make sure the "
    "function also works for negative numbers.",
    "Implement a function `{name}` in Python. Given the arguments, the function should {desc}. Add a short "
    "docstring.",
]


def self_oss_instruct_rows(rng: random.Random, n: int) -> list[dict[str, Any]]:
    """Rows in the schema of ``bigcode/self-oss-instruct-sc2-exec-filter-50k`` (``instruction``; ``response`` =
    reasoning, the solution in a fenced Python block, an explanation, then assert tests in a last fenced block).
    Even rows use the sanitised release form (no section tags), odd rows keep the generation prompt's
    ``[Reasoning]``/``[Implementation]``/``[Explanation]``/``[Tests]`` tags; every 5th row (from the 5th) has no
    tests (to be dropped). The first fenced block is always the solution (the tiny models learn it)."""
    rows = []
    for i in range(n):
        name, desc, body, examples = CODE_TASKS[(i + 1) % len(CODE_TASKS)]
        args = ["a", "b"][: len(examples[0][0])]
        instruction = SELF_OSS_TEMPLATES[(i // len(CODE_TASKS)) % len(SELF_OSS_TEMPLATES)].format(name=name, desc=desc)
        reasoning = f"To {desc}, we can use a single expression and return its value."
        code = f"```python\ndef {name}({', '.join(args)}):\n    {body}\n```"
        explanation = f"The function `{name}` evaluates `{body.replace('return ', '')}` and returns the result."
        tests = "```python\n" + "\n".join(f"assert {name}({', '.join(map(str, ex))}) == {out!r}"
                                          for ex, out in examples) + "\n```"
        has_tests = i % 5 != 4
        if i % 2 == 0:
            parts = [reasoning, f"Here's how you can implement this function:\n\n{code}", explanation]
            if has_tests:
                parts.append(f"You can validate this function with the following test cases:\n\n{tests}")
        else:
            parts = [f"[Reasoning]\n{reasoning}", f"[Implementation]\n{code}", f"[Explanation]\n{explanation}"]
            if has_tests:
                parts.append(f"[Tests]\n{tests}")
        rows.append({
            "fingerprint": None, "sha1": f"{rng.getrandbits(160):040x}",
            "seed": f"def {name}_seed({', '.join(args)}):\n    {body}\n",
            "response": "\n\n".join(parts),
            "concepts": "arithmetic expression evaluation, function definition, return values",
            "prompt": f"[Instruction]\n{instruction}\n\n[Response]\n", "instruction": instruction, "id": i,
        })
    return rows


def magpie_qwen2_zh_rows(rng: random.Random, n: int) -> list[dict[str, Any]]:
    """Rows in the schema of ``Magpie-Align/Magpie-Qwen2-Pro-200K-Chinese`` (ShareGPT ``conversations`` + Magpie
    tags). Every 6th row (from the 3rd) is a code/math prompt with that category, every 6th (from the 6th) has
    poor/average input quality, and every 8th (from the 8th) is tagged as English: all dropped by the loader."""
    rows = []
    for i in range(n):
        instruction, language = chinese_prompt(rng), "ZH"
        category = rng.choice(["Information seeking", "Creative writing", "Advice seeking"])
        quality = rng.choice(["good", "excellent"])
        if i % 6 == 2:
            category = rng.choice(["Coding & Debugging", "Math"])
            instruction = ZH_CODE_MATH[0 if category == "Coding & Debugging" else 1]
        elif i % 6 == 5:
            quality = rng.choice(["very poor", "poor", "average"])
        if i % 8 == 7:
            instruction, language = general_prompt(rng), "EN"
        response = chinese_response(instruction, rng)
        rows.append({
            "uuid": f"{rng.getrandbits(128):032x}", "model": MAGPIE_QWEN2,
            "gen_input_configs": {"temperature": 1.0, "top_p": 0.99, "input_generator": MAGPIE_QWEN2, "seed": None,
                                  "extract_input": "<|im_start|>user\n"},
            "instruction": instruction, "response": response,
            "conversations": [{"from": "human", "value": instruction}, {"from": "gpt", "value": response}],
            "task_category": category, "other_task_category": ["Information seeking"],
            "task_category_generator": "meta-llama/Meta-Llama-3-8B-Instruct",
            "difficulty": rng.choice(["very easy", "easy", "medium"]),
            "intent": "用户想了解相关的信息", "knowledge": "需要了解相关的常识",
            "difficulty_generator": "meta-llama/Meta-Llama-3-8B-Instruct",
            "input_quality": quality, "quality_explanation": "用户的问题清晰具体。",
            "quality_generator": "meta-llama/Meta-Llama-3-8B-Instruct",
            "llama_guard_2": "safe", "reward_model": "sfairXC/FsfairX-LLaMA3-RM-v0.1",
            "instruct_reward": round(rng.uniform(-2, 6), 4), "min_neighbor_distance": round(rng.uniform(0, 1), 4),
            "repeat_count": 0, "min_similar_uuid": None,
            "instruction_length": len(instruction), "response_length": len(response), "language": language,
        })
    return rows
