"""Made-up programming problems for the tiny world, the tests and the code agreement benchmark.

Each problem has a canonical solution and broken variants of different kinds (wrong answer, wrong only on the
harder "plus" inputs, exception, wrong type, endless loop), so scoring exercises every verdict. They are
rendered into the real schemas by the task modules (HumanEval+/MBPP+ jsonl rows, LiveCodeBench rows); nothing
here is a real benchmark item.
"""

from __future__ import annotations

import random
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class SynthProblem:
    """One function-completion problem: ``name(args)`` with a docstring, a body, broken bodies and inputs."""

    name: str
    params: str  # "a: int, b: int"
    returns: str
    doc: str
    body: str  # canonical body, 4-space indented lines
    broken: dict[str, str]  # kind -> body
    base_inputs: Callable[[random.Random], list[list[Any]]]
    plus_inputs: Callable[[random.Random], list[list[Any]]]
    imports: str = ""
    atol: float = 0.0
    examples: list[tuple[str, str]] = field(default_factory=list)  # (call, result) shown in the prompt

    def signature(self) -> str:
        return f"def {self.name}({self.params}) -> {self.returns}:"

    def solution(self, kind: str = "canonical") -> str:
        """A complete module: imports, signature, docstring-free body (``kind``: canonical or a broken kind)."""
        body = self.body if kind == "canonical" else self.broken[kind]
        return f"{self.imports}{self.signature()}\n{body}"


def _ints(rng: random.Random, k: int, lo: int, hi: int) -> list[int]:
    return [rng.randint(lo, hi) for _ in range(k)]


def _words(rng: random.Random, k: int) -> str:
    vocab = ["alpha", "beta", "gamma", "delta", "sun", "moon", "tree", "river", "stone", "cloud", "a", "io"]
    return " ".join(rng.choice(vocab) for _ in range(k))


def _problems() -> list[SynthProblem]:
    return [
        SynthProblem(
            "add_numbers", "a: int, b: int", "int", "Return the sum of a and b.", "    return a + b\n",
            {"wrong": "    return a - b\n", "crash": "    return a + c\n"},
            lambda r: [[1, 2], [-3, 3], [10, 5]],
            lambda r: [_ints(r, 2, -10**6, 10**6) for _ in range(40)],
            examples=[("add_numbers(2, 3)", "5")]),
        SynthProblem(
            "is_prime", "n: int", "bool", "Return True when n is a prime number.",
            "    if n < 2:\n        return False\n    d = 2\n    while d * d <= n:\n        if n % d == 0:\n"
            "            return False\n        d += 1\n    return True\n",
            {"plus_only": "    return n > 1 and all(n % d for d in range(2, min(n, 10)))\n",
             "wrong": "    return n % 2 == 1\n"},
            lambda r: [[2], [4], [7], [9], [1]],
            lambda r: [[x] for x in _ints(r, 60, 0, 20000)] + [[121], [169], [289]],
            examples=[("is_prime(7)", "True")]),
        SynthProblem(
            "mean_value", "xs: list", "float", "Return the arithmetic mean of the numbers in xs.",
            "    return sum(xs) / len(xs)\n",
            {"wrong_type": "    return sum(xs) // len(xs)\n", "off": "    return sum(xs) / (len(xs) + 1)\n"},
            lambda r: [[[1.0, 2.0, 4.0]], [[3.5]], [[-1.0, 1.0]]],
            lambda r: [[[r.uniform(-100, 100) for _ in range(r.randint(1, 30))]] for _ in range(40)],
            atol=1e-6, examples=[("mean_value([1.0, 2.0, 3.0])", "2.0")]),
        SynthProblem(
            "reverse_words", "text: str", "str", "Return the words of text in reverse order, joined by single "
            "spaces.", "    return ' '.join(text.split()[::-1])\n",
            {"wrong": "    return text[::-1]\n", "loop": "    while True:\n        pass\n"},
            lambda r: [["hello world"], ["a b c"], ["single"]],
            lambda r: [[_words(r, r.randint(0, 12))] for _ in range(40)],
            examples=[("reverse_words('a b')", "'b a'")]),
        SynthProblem(
            "running_max", "xs: list", "list", "Return the list of running maxima of xs.",
            "    out = []\n    for x in xs:\n        out.append(x if not out else max(out[-1], x))\n    return out\n",
            {"plus_only": "    out = []\n    for x in xs:\n        out.append(x if not out or x > out[-1] else out[-1])\n"
                          "    return out if len(xs) < 8 else out[:-1]\n",
             "crash": "    return [max(xs[:i]) for i in range(len(xs))]\n"},
            lambda r: [[[1, 3, 2]], [[5]], [[2, 2, 1, 4]]],
            lambda r: [[_ints(r, r.randint(0, 25), -50, 50)] for _ in range(40)],
            examples=[("running_max([1, 3, 2])", "[1, 3, 3]")]),
        SynthProblem(
            "count_vowels", "text: str", "int", "Return how many characters of text are vowels (a, e, i, o, u; "
            "either case).", "    return sum(1 for ch in text.lower() if ch in 'aeiou')\n",
            {"wrong": "    return sum(1 for ch in text if ch in 'aeiou')\n", "crash": "    return text.count()\n"},
            lambda r: [["hello"], ["xyz"], ["AEiou"]],
            lambda r: [[_words(r, r.randint(0, 6)).upper() if r.random() < 0.5 else _words(r, 5)] for _ in range(40)],
            examples=[("count_vowels('hello')", "2")]),
        SynthProblem(
            "pair_sums", "xs: list, target: int", "list", "Return the sorted list of index pairs (i, j), i < j, "
            "with xs[i] + xs[j] == target.",
            "    return [(i, j) for i in range(len(xs)) for j in range(i + 1, len(xs)) if xs[i] + xs[j] == target]\n",
            {"wrong": "    return [(i, j) for i in range(len(xs)) for j in range(i, len(xs)) if xs[i] + xs[j] == target]\n",
             "wrong_type": "    return [[i, j] for i in range(len(xs)) for j in range(i + 1, len(xs))"
                           " if xs[i] + xs[j] == target]\n"},
            lambda r: [[[1, 2, 3, 4], 5], [[0, 0], 0], [[1], 2]],
            lambda r: [[_ints(r, r.randint(0, 15), -5, 5), r.randint(-5, 5)] for _ in range(40)],
            examples=[("pair_sums([1, 2, 3], 4)", "[(0, 2)]")]),
        SynthProblem(
            "digit_sum", "n: int", "int", "Return the sum of the decimal digits of the non-negative integer n.",
            "    return sum(int(c) for c in str(n))\n",
            {"plus_only": "    return n % 10 + (n // 10) % 10 + (n // 100) % 10\n", "wrong": "    return len(str(n))\n"},
            lambda r: [[5], [12], [305]],
            lambda r: [[x] for x in _ints(r, 40, 0, 10**9)],
            examples=[("digit_sum(123)", "6")]),
    ]


PROBLEMS: tuple[SynthProblem, ...] = tuple(_problems())
BROKEN_KINDS = ("wrong", "plus_only", "crash", "wrong_type", "off", "loop")


def pick(rng: random.Random, n: int) -> list[tuple[int, SynthProblem]]:
    """``n`` problems (cycling through the pool in a seeded order), each with its running index."""
    order = list(PROBLEMS)
    rng.shuffle(order)
    return [(i, order[i % len(order)]) for i in range(n)]
