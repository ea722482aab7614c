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


def mc_prompt(item: dict[str, Any]) -> str:
    """The MMLU-Pro/MMLU zero-shot CoT prompt shape used by FuseEval's MC-Eval (Llama-3.1-evals style)."""
    opts = "\n".join(f"{'ABCD'[i]}. {c}" for i, c in enumerate(item["choices"]))
    return (
        f"Given the following question and four candidate answers (A, B, C and D), choose the best answer.\n"
        f"Question: {item['question']}\n{opts}\n"
        "Your response should end with \"The best answer is [the_answer_letter]\" where the [the_answer_letter] "
        "is one of A, B, C or D."
    )


# ------------------------------------------------------------------------------------------ the other five schemas
MAGPIE_CATEGORIES = ["Information seeking", "Planning", "Advice seeking", "Creative writing"]
CODE_TASKS = [  # (function name, description, body, examples as (args, result))
    ("add_two", "return the sum of two integers `a` and `b`", "return a + b", [((1, 2), 3), ((-4, 9), 5)]),
    ("max_of", "return the larger of two integers `a` and `b`", "return max(a, b)", [((3, 7), 7), ((5, -1), 5)]),
    ("square", "return the square of an integer `a`", "return a * a", [((3,), 9), ((-2,), 4)]),
    ("is_even", "return whether the integer `a` is even", "return a % 2 == 0", [((4,), True), ((7,), False)]),
]


def magpie_pro_dpo_rows(rng: random.Random, n: int) -> list[dict[str, Any]]:
    """Rows in the schema of ``Magpie-Align/Magpie-Pro-DPO-100K-v0.1`` (instruction, task_category, chosen/…);
    some rows carry the Coding & Debugging / Math categories the blog excludes."""
    rows = []
    for i in range(n):
        instruction = general_prompt(rng)
        category = rng.choice(MAGPIE_CATEGORIES)
        if i % 7 == 3:
            category = rng.choice(["Coding & Debugging", "Math"])
        rows.append({
            "uuid": f"tiny-magpie-{i}", "instruction": instruction, "task_category": category,
            "difficulty": rng.choice(["easy", "medium"]), "input_quality": "good",
            "chosen": [{"role": "user", "content": instruction},
                       {"role": "assistant", "content": general_response(instruction, rng, 0.9)}],
            "rejected": [{"role": "user", "content": instruction},
                         {"role": "assistant", "content": general_response(instruction, rng, 0.1)}],
        })
    return rows


def helpsteer2_rows(rng: random.Random, n: int) -> list[dict[str, Any]]:
    """Rows in the schema of ``nvidia/HelpSteer2``: two responses per prompt (so prompts repeat), five attribute
    scores, and some multi-turn prompts with inline ``<extra_id_1>`` turn markers."""
    rows = []
    for i in range(max(1, n // 2)):
        prompt = general_prompt(rng)
        if i % 4 == 1:
            prompt = f"{prompt}\n<extra_id_1>Assistant\n{general_response(prompt, rng, 0.8)}\n<extra_id_1>User\n" \
                     f"{general_prompt(rng)}"
        for _ in range(2):
            rows.append({"prompt": prompt, "response": general_response(prompt, rng, rng.random()),
                         **{k: rng.randint(0, 4) for k in ("helpfulness", "correctness", "coherence", "complexity",
                                                            "verbosity")}})
    return rows


def leetcode_rows(rng: random.Random, n: int) -> list[dict[str, Any]]:
    """Rows in the schema of ``greengerong/leetcode`` (markdown ``content`` with ``**Example N:**`` blocks, reference
    solutions per language); one row has no example (to be dropped: no test cases)."""
    rows = []
    for i in range(n):
        name, desc, body, examples = CODE_TASKS[i % len(CODE_TASKS)]
        args = ["a", "b"][: len(examples[0][0])]
        blocks = "".join(
            f"**Example {k + 1}:**\n**Input:** " + ", ".join(f"{a} = {v}" for a, v in zip(args, ex, strict=True))
            + f"\n**Output:** {str(out).lower() if isinstance(out, bool) else out}\n"
            for k, (ex, out) in enumerate(examples)
        )
        content = f"Given {' and '.join(f'`{a}`' for a in args)}, {desc} (variant {i}).\n"
        content += "" if i % 5 == 4 else blocks
        content += "**Constraints:**\n* `-100 <= a, b <= 100`"
        rows.append({"id": i + 1, "slug": f"{name.replace('_', '-')}-{i}", "title": name, "difficulty": "Easy",
                     "content": content, "java": "", "c++": "", "javascript": "", "explanation": "",
                     "python": f"def {name}({', '.join(args)}):\n    {body}\n"})
    return rows


def self_oss_instruct_rows(rng: random.Random, n: int) -> list[dict[str, Any]]:
    """Rows in the schema of ``bigcode/self-oss-instruct-sc2-exec-filter-50k`` (instruction; response = solution
    followed by a Tests section of asserts); one row has no tests (to be dropped)."""
    rows = []
    for i in range(n):
        name, desc, body, examples = CODE_TASKS[(i + 1) % len(CODE_TASKS)]
        args = ["a", "b"][: len(examples[0][0])]
        tests = "\n".join(f"assert {name}({', '.join(map(str, ex))}) == {out!r}" for ex, out in examples)
        response = f"```python\ndef {name}({', '.join(args)}):\n    {body}\n```\n"
        if i % 5 != 4:
            response += f"\n### Tests\n```python\n{tests}\n```\n"
        rows.append({"fingerprint": None, "sha1": f"{i:040x}", "seed": "", "response": response, "concepts": [],
                     "prompt": "", "instruction": f"Write a Python function `{name}` to {desc} (case {i}).",
                     "id": i})
    return rows


def magpie_qwen2_zh_rows(rng: random.Random, n: int) -> list[dict[str, Any]]:
    """Rows in the schema of ``Magpie-Align/Magpie-Qwen2-Pro-200K-Chinese`` (ShareGPT ``conversations`` + Magpie
    metadata); some rows are code/math by category or of poor input quality (to be filtered)."""
    rows = []
    for i in range(n):
        instruction = chinese_prompt(rng)
        category, quality = rng.choice(["Information seeking", "Creative writing"]), "good"
        if i % 6 == 2:
            category = rng.choice(["Coding & Debugging", "Math"])
        elif i % 6 == 5:
            quality = "poor"
        rows.append({"uuid": f"tiny-zh-{i}", "conversations": [
            {"from": "human", "value": instruction}, {"from": "gpt", "value": chinese_response(instruction, rng)}],
            "task_category": category, "input_quality": quality, "difficulty": "easy", "language": "ZH"})
    return rows
