"""Made-up LiveBench questions in the hub datasets' schema, one builder per task, with a right and a wrong answer.

The field names and encodings are those of ``livebench/{math,reasoning,coding,language,data_analysis,
instruction_following}`` (``question_id, category, task, turns, ground_truth, livebench_release_date,
livebench_removal_date`` plus each task's own fields: ``subtask``/``expressions`` for math, ``instruction_id_list``
/``kwargs`` for instruction following, ``public_test_cases``/``private_test_cases``/``original_json``/
``partial_solution`` for coding). No real LiveBench text is used. ``right_answer``/``wrong_answer`` write a
response in the format each scorer expects (the tiny world's stand-in for a model that knows / does not know).
"""

from __future__ import annotations

import hashlib
import json
import random
from collections.abc import Callable
from typing import Any

from evaluation.livebench.scorers import CATEGORY_TASKS

#: hub timestamps as a JSON round trip of the fetched rows writes them
RELEASE = "2024-08-31T00:00:00"


def _base(category: str, task: str, turn: str, truth: Any, rng: random.Random, **extra: Any) -> dict[str, Any]:
    digest = hashlib.sha256(f"{task}|{turn}".encode()).hexdigest()
    released = rng.choice(["2024-06-24T00:00:00", "2024-07-26T00:00:00", RELEASE])
    return {"question_id": digest, "category": category, "task": task, "turns": [turn], "ground_truth": truth,
            "livebench_release_date": released, "livebench_removal_date": "", **extra}


# ----------------------------------------------------------------------------------------------- math
def _math_comp(rng: random.Random) -> dict[str, Any]:
    if rng.random() < 0.5:
        a, b = rng.randint(2, 9), rng.randint(2, 9)
        values = rng.sample([v for v in range(2, 100) if v != a * b], 4) + [a * b]
        rng.shuffle(values)
        letters = "ABCDE"
        truth = letters[values.index(a * b)]
        opts = "\\qquad".join(f"\\textbf{{({c}) }}{v}" for c, v in zip(letters, values, strict=True))
        turn = (f"What is ${a} \\times {b}$? ${opts}$ If you cannot determine the correct multiple-choice answer, "
                "take your best guess. Once you have your answer, please duplicate that letter five times in a "
                "single string. For example, if the answer is F, then write FFFFF.")
        return _base("math", "math_comp", turn, truth, rng, subtask="amc_12a_2023", year="2023", hardness=0.0,
                     expressions="", release_date=2023)
    a, b = rng.randint(100, 400), rng.randint(100, 499)
    turn = (f"Compute ${a} + {b}$. Please think step by step, and then display the answer at the very end of your "
            "response. The answer is an integer consisting of exactly 3 digits (including leading zeros), ranging "
            "from 000 to 999, inclusive.")
    return _base("math", "math_comp", turn, f"{a + b:03d}", rng, subtask="aime_2024_I", year="2024",
                 hardness=0.0, expressions="", release_date=2024)


def _amps_hard(rng: random.Random) -> dict[str, Any]:
    a, b = rng.randint(2, 6), rng.randint(1, 5)
    turn = (f"Differentiate the following function: ${a}x^3 + {b}x^2$. Please put your final answer in a "
            "$\\boxed{}$.")
    return _base("math", "AMPS_Hard", turn, f"{3 * a}x^2+{2 * b}x", rng, subtask="amps_hard_derivatives",
                 hardness=0.0, expressions="", release_date=2024)


def _olympiad(rng: random.Random) -> dict[str, Any]:
    order = list(range(1, 6))
    rng.shuffle(order)
    exprs = "\n".join(f"<expression {i}> $x_{{{i}}}$" for i in range(1, 6))
    turn = ("You are given a proof with masked formulae and a list of formulae in LaTeX. Match the formulae to "
            f"the missing tags. The formulae are:\n{exprs}\n\nThink step by step. Your final answer should be "
            "a comma-separated list of numbers after 'Answer:'.")
    return _base("math", "olympiad", turn, ",".join(map(str, order)), rng, subtask="usamo_2024",
                 year="2024", hardness=0.0, expressions=exprs, release_date=2024)


# ----------------------------------------------------------------------------------------------- reasoning
_FOODS = ["pizza", "sushi", "tacos", "ramen", "curry", "salad"]


def _zebra(rng: random.Random) -> dict[str, Any]:
    truth = rng.choice(_FOODS)
    turn = ("There are 3 people standing in a line. Each has a favourite food. ... What food does the first "
            "person like? Return your answer as a single word, in the following format: ***X***.")
    return _base("reasoning", "zebra_puzzle", turn, truth, rng, level=1)


def _web_of_lies(rng: random.Random) -> dict[str, Any]:
    truth = ", ".join(rng.choice(["yes", "no"]) for _ in range(3))
    turn = ("In this question, assume each person either always tells the truth or always lies. ... Does the "
            "person at the cafe tell the truth? Does the person at the park tell the truth? Does the person at "
            "the zoo tell the truth? Think step by step, and then put your answer in **bold** as a list of three "
            "words, yes or no (for example, **yes, no, yes**).")
    return _base("reasoning", "web_of_lies_v2", turn, truth, rng, level=1)


def _spatial(rng: random.Random) -> dict[str, Any]:
    truth = str(rng.randint(2, 9))
    turn = ("Suppose I have a regular pentagon and make straight cuts through it. How many pieces are there "
            "afterwards? Think step by step, and then put your answer in **bold** as a single integer.")
    return _base("reasoning", "spatial", turn, truth, rng, level=1)


# ----------------------------------------------------------------------------------------------- data analysis
_CTA_CLASSES = ["birthdate", "price", "zipcode", "email", "country"]


def _cta(rng: random.Random) -> dict[str, Any]:
    truth = rng.choice(_CTA_CLASSES)
    turn = ("Pick the column's class based on the provided column sample. Choose exactly one of the listed "
            f"classes. Column sample: [[...]] Classes: {_CTA_CLASSES} Output only the name of the class.")
    return _base("data_analysis", "cta", turn, truth, rng)


def _tablejoin(rng: random.Random) -> dict[str, Any]:
    left = [f"col_{c}" for c in "abcd"]
    right = [f"key_{c}" for c in "wxyz"]
    rng.shuffle(right)
    mapping = {a: b for a, b in zip(left[:3], right[:3], strict=True)}
    turn = ("Please create a valid join mapping between CSV Table A and CSV Table B. Each column in A maps to 0 "
            "or 1 columns in B. Return your response as a Python dictionary, formatted as "
            "{col_name_in_df_a : col_name_in_df_b}. Please return only the dictionary. \n CSV Table A: "
            + ",".join(left) + " \n CSV Table B: " + ",".join(right))
    return _base("data_analysis", "tablejoin", turn, repr(mapping), rng)


def _table_rows(rng: random.Random) -> list[dict[str, Any]]:
    return [{"name": f"item{i}", "count": rng.randint(1, 99)} for i in range(3)]


def _tablereformat(rng: random.Random) -> dict[str, Any]:
    rows = _table_rows(rng)
    out_fmt = rng.choice(["CSV", "TSV", "JSONL"])
    tsv = "name\tcount\n" + "\n".join(f"{r['name']}\t{r['count']}" for r in rows)
    turn = (f"Please convert the Input Table from TSV format to {out_fmt} format. Please respond only with the "
            f"table. \n Input Table: {tsv} \n Output: \n")
    return _base("data_analysis", "tablereformat", turn, _render_table(rows, out_fmt), rng)


def _render_table(rows: list[dict[str, Any]], fmt: str) -> str:
    if fmt == "CSV":
        return "name,count\n" + "\n".join(f"{r['name']},{r['count']}" for r in rows)
    if fmt == "TSV":
        return "name\tcount\n" + "\n".join(f"{r['name']}\t{r['count']}" for r in rows)
    return "\n".join(json.dumps(r) for r in rows)


# ----------------------------------------------------------------------------------------------- language
_WORDS = ["apple", "pear", "plum", "fig", "red", "blue", "green", "teal", "oak", "elm", "ash", "yew",
          "cat", "dog", "cow", "pig"]


def _connections(rng: random.Random) -> dict[str, Any]:
    shuffled = rng.sample(_WORDS, len(_WORDS))
    turn = ("You are given 16 words; find groups of four items that share something in common. Words: "
            + ", ".join(shuffled) + ". Return your answer in **bold** as a list of 16 items separated by commas, "
            "ordered by group.")
    return _base("language", "connections", turn, ", ".join(_WORDS), rng)


_SENTENCES = ["A sailor finds a map", "He crosses the sea", "A storm breaks the mast", "He reaches the island",
              "The treasure is a library"]


def _plot(rng: random.Random) -> dict[str, Any]:
    shuffled = rng.sample(_SENTENCES, len(_SENTENCES))
    turn = ("The following plot summary of a movie has had the sentences randomly reordered. Rewrite the plot "
            "summary with the sentences correctly ordered. Begin the plot summary with <PLOT_SUMMARY>.\n\n"
            + ". ".join(shuffled) + ".")
    return _base("language", "plot_unscrambling", turn, ". ".join(_SENTENCES) + ".", rng)


def _typos(rng: random.Random) -> dict[str, Any]:
    n = rng.randint(2, 9)
    truth = f"We measured {n} samples and the results were consistent with the model."
    typo = truth.replace("measured", "meausred").replace("consistent", "consistant")
    turn = ("Please output this exact text, with no changes at all except for fixing the misspellings. Please "
            f"leave all other stylistic decisions like commas and US vs British spellings as in the original "
            f"text.\n\n{typo}")
    return _base("language", "typos", turn, truth, rng)


# ----------------------------------------------------------------------------------------------- instruction following
_IF_KWARG_KEYS = ("keywords", "num_bullets", "end_phrase", "forbidden_words", "num_paragraphs")


def _kwargs(**given: Any) -> dict[str, Any]:
    return {k: given.get(k) for k in _IF_KWARG_KEYS}


def _instruction_following(rng: random.Random) -> dict[str, Any]:
    task = rng.choice(CATEGORY_TASKS["instruction_following"])
    keyword = rng.choice(["river", "lantern", "harvest"])
    turn = (f"The following are the beginning sentences of a news article ... Please {task.replace('_', ' ')} "
            f"it. Your answer must contain a title, wrapped in double angular brackets, such as <<poem of joy>>. "
            f"Include the keyword {keyword}. Your entire response should be in English, and in all lowercase "
            "letters. Finish your response with this exact phrase: is there anything else i can help with?")
    return _base("instruction_following", task, turn, "", rng,
                 instruction_id_list=["detectable_format:title", "keywords:existence",
                                      "change_case:english_lowercase", "startend:end_checker"],
                 kwargs=[_kwargs(), _kwargs(keywords=[keyword]), _kwargs(),
                         _kwargs(end_phrase="is there anything else i can help with?")],
                 task_prompt=turn)


# ----------------------------------------------------------------------------------------------- coding
def _lcb_fields(title: str, content: str, public: list[dict[str, str]], private: list[dict[str, str]],
                meta: dict[str, Any], starter: str) -> dict[str, Any]:
    from evaluation.code_exec import LcbTest, encode_lcb_private

    packed = encode_lcb_private([LcbTest(t["input"], t["output"], t["testtype"]) for t in private])
    return {"question_title": title, "public_test_cases": json.dumps(public), "private_test_cases": packed,
            "original_json": {"question_title": title, "question_content": content, "platform": "atcoder",
                              "question_id": title, "contest_id": "abc000", "contest_date": RELEASE,
                              "starter_code": starter, "difficulty": "easy", "metadata": json.dumps(meta)},
            "release_date": RELEASE, "citation": "synthetic", "remainder": "", "solution": "",
            "partial_solution": ""}


def _lcb_generation(rng: random.Random) -> dict[str, Any]:
    if rng.random() < 0.5:  # stdin problem
        cases = [(a, b) for a, b in ((rng.randint(1, 50), rng.randint(1, 50)) for _ in range(4))]
        tests = [{"input": f"{a} {b}\n", "output": f"{a + b}\n", "testtype": "stdin"} for a, b in cases]
        content = "Read two integers A and B from standard input and print A+B."
        turn = ("You will be given a question (problem specification) and will generate a correct Python program "
                f"that matches the specification and passes all tests.\n\nQuestion: {content}\n\nRead the inputs "
                "from stdin, solve the problem and write the answer to stdout.\n```python\n# YOUR CODE HERE\n```")
        fields = _lcb_fields("sum-two", content, tests[:1], tests[1:], {}, "")
    else:  # functional (LeetCode-style) problem
        cases = [[rng.randint(-9, 9) for _ in range(rng.randint(1, 5))] for _ in range(4)]
        tests = [{"input": json.dumps(c), "output": json.dumps(max(c)), "testtype": "functional"} for c in cases]
        starter = "class Solution:\n    def largest(self, nums: List[int]) -> int:\n        "
        content = "Given an integer array nums, return its largest element."
        turn = (f"### Question:\n{content}\n\n### Format: You will use the following starter code to write the "
                f"solution to the problem and enclose your code within delimiters.\n```python\n{starter}\n```")
        fields = _lcb_fields("largest", content, tests[:1], tests[1:], {"func_name": "largest"}, starter)
    return _base("coding", "LCB_generation", turn, None, rng, **fields)


def _coding_completion(rng: random.Random) -> dict[str, Any]:
    cases = [[rng.randint(0, 9) for _ in range(rng.randint(1, 5))] for _ in range(4)]
    tests = [{"input": json.dumps(c), "output": json.dumps(sum(c)), "testtype": "functional"} for c in cases]
    partial = "class Solution:\n    def total(self, nums: List[int]) -> int:\n        acc = 0"
    turn = ("### Instructions: You are an expert Python programmer. You will be given a question and a partial "
            "solution; complete the solution, returning only the rest of the code.\n### Question:\nReturn the "
            f"sum of nums.\n\n### Partial solution:\n```python\n{partial}\n```")
    fields = _lcb_fields("total", "Return the sum of nums.", tests[:1], tests[1:], {"func_name": "total"},
                         "class Solution:\n    def total(self, nums: List[int]) -> int:\n        ")
    fields.update(partial_solution=partial, remainder="        for x in nums:\n            acc += x\n",
                  solution=partial + "\n        for x in nums:\n            acc += x\n        return acc")
    return _base("coding", "coding_completion", turn, None, rng, **fields)


BUILDERS: dict[str, Callable[[random.Random], dict[str, Any]]] = {
    "math_comp": _math_comp, "AMPS_Hard": _amps_hard, "olympiad": _olympiad,
    "zebra_puzzle": _zebra, "web_of_lies_v2": _web_of_lies, "spatial": _spatial,
    "cta": _cta, "tablejoin": _tablejoin, "tablereformat": _tablereformat,
    "connections": _connections, "plot_unscrambling": _plot, "typos": _typos,
    "LCB_generation": _lcb_generation, "coding_completion": _coding_completion,
    **{t: _instruction_following for t in CATEGORY_TASKS["instruction_following"]},
}


#: builder order: round-robin over the categories, so the first six questions already cover all six
ORDER: tuple[str, ...] = (
    "math_comp", "zebra_puzzle", "LCB_generation", "connections", "cta", "paraphrase",
    "AMPS_Hard", "web_of_lies_v2", "coding_completion", "plot_unscrambling", "tablejoin",
    "olympiad", "spatial", "typos", "tablereformat",
)


def questions(rng: random.Random, n: int) -> list[dict[str, Any]]:
    """``n`` questions cycling over every task of the release in ``ORDER`` (n >= 15 covers every task; the four
    instruction-following tasks share one builder that picks one of them)."""
    return [BUILDERS[ORDER[i % len(ORDER)]](rng) for i in range(n)]


# ----------------------------------------------------------------------------------------------- answers
def right_answer(q: dict[str, Any]) -> str:
    """A response the task's scorer accepts in full."""
    task, truth = q["task"], q.get("ground_truth")
    if q["category"] == "instruction_following":
        kw = q["kwargs"][1]["keywords"][0]
        return f"<<a {kw} story>>\nthe {kw} was quiet that night.\nis there anything else i can help with?"
    if task == "math_comp":
        return f"Thinking it through, the answer is {truth}{truth}{truth}{truth}{truth}" if truth.isalpha() \
            else f"So the final answer is {truth}"
    if task == "AMPS_Hard":
        a3, b2 = truth.split("x^2+")
        # factored with an explicit \\cdot: upstream's parser reads x\\left(...\\right) as a call of a function x
        return f"Differentiating term by term, $\\boxed{{x \\cdot \\left({a3}x + {b2.rstrip('x')}\\right)}}$"
    if task == "olympiad":
        return "Matching the tags in order.\nAnswer: " + ", ".join(truth.split(","))
    if task == "zebra_puzzle":
        return f"Working through the clues, the answer is ***{truth}***"
    if task in ("web_of_lies_v2", "spatial"):
        return f"Step by step ... **{truth}**"
    if task == "cta":
        return truth
    if task == "tablejoin":
        return f"```python\n{truth}\n```"
    if task == "tablereformat":
        return f"Here is the table in the new format:\n```\n{truth}\n```"
    if task == "connections":
        return f"The groups are: **{truth}**"
    if task == "plot_unscrambling":
        return f"<PLOT_SUMMARY>{truth}"
    if task == "typos":
        return f"Corrected:\n{truth}"
    return _code_answer(q, right=True)


def wrong_answer(q: dict[str, Any]) -> str:
    """A well-formed response the task's scorer does not accept in full: 0 for the all-or-nothing tasks;
    plot_unscrambling's reversed order keeps partial credit (1 - 4/5 for five sentences) and instruction
    following follows two of four instructions ((0 + 1/2) / 2), as LiveBench scores them."""
    task, truth = q["task"], q.get("ground_truth")
    if q["category"] == "instruction_following":
        kw = q["kwargs"][1]["keywords"][0]
        return f"<<a {kw} story>>\nThe {kw} Was Quiet That Night."  # title and keyword only: (0 + 2/4) / 2
    if task == "math_comp":
        if truth.isalpha():
            other = next(c for c in "ABCDE" if c != truth)
            return f"I pick {other * 5}. \\boxed{{{other}}}"
        return f"So the final answer is {int(truth) + 1:03d}"
    if task == "AMPS_Hard":
        return "$\\boxed{x^4}$"
    if task == "olympiad":
        return "Answer: 9, 9, 9, 9, 9"
    if task == "zebra_puzzle":
        return f"***{next(f for f in _FOODS if f != truth)}***"
    if task == "web_of_lies_v2":
        flipped = ", ".join("no" if w == "yes" else "yes" for w in truth.split(", "))
        return f"**{flipped}**"
    if task == "spatial":
        return f"**{int(truth) + 10}**"
    if task == "cta":
        return next(c for c in _CTA_CLASSES if c != truth)
    if task == "tablejoin":
        return "```python\n{'col_a': 'nothing'}\n```"
    if task == "tablereformat":
        return "name,count\nother,1"
    if task == "connections":
        return "**" + ", ".join(_WORDS[i] for i in (0, 4, 8, 12, 1, 5, 9, 13, 2, 6, 10, 14, 3, 7, 11, 15)) + "**"
    if task == "plot_unscrambling":
        return "<PLOT_SUMMARY>" + ". ".join(reversed(truth.rstrip(".").split(". "))) + "."
    if task == "typos":
        return q["turns"][0].split("\n\n")[-1]
    return _code_answer(q, right=False)


def _code_answer(q: dict[str, Any], right: bool) -> str:
    meta = json.loads(q["original_json"]["metadata"])
    if q["task"] == "coding_completion":
        body = "        for x in nums:\n            acc += x\n        return acc" if right else "        return acc"
        return f"```python\n{body}\n```"
    if meta.get("func_name"):
        expr = "max(nums)" if right else "min(nums)"
        return ("```python\nclass Solution:\n    def largest(self, nums: List[int]) -> int:\n"
                f"        return {expr}\n```")
    op = "+" if right else "-"
    return f"```python\na, b = map(int, input().split())\nprint(a {op} b)\n```"
