"""Multiple choice as FuseEval's MC-Eval runs it (MMLU-Pro, MMLU, MMLU-redux, GPQA-Diamond).

FuseEval's ``General-Eval/MC-Eval/evaluate_from_local.py`` (https://github.com/SLIT-AI/FuseChat-3.0, commit
5af2bad; an adaptation of TIGER-AI-Lab/MMLU-Pro's script) with ``--chat_template --zero_shot``:

* prompt: one user turn, "Please read the following multiple-choice questions ..." then ``Question:`` / the
  question / ``Options:`` with ``A. ...`` lines, then the Llama-3.1-evals zero-shot CoT instruction ("always
  conclude with: The best answer is [the_answer_letter]") and ``Answer: Let's think step by step.``; options
  "N/A" are dropped first; Qwen2.5's default system prompt is cut from the templated string, which goes to
  ``vllm.LLM.generate`` as is (the template's BOS plus the tokenizer's: two BOS tokens for Llama and Gemma);
* decoding: greedy, 2,048 new tokens, stop at ``Question:``;
* extraction, three stages: the first ``answer is \\(?([A-J])\\)?``; else ``.*[aA]nswer:\\s*([A-J])``; else the
  last standalone letter A-J of the text;
* nothing extracted: ``random.seed(12345); randint(0, n_options - 1)``, the seed reset before every guess (so
  the guess depends only on the option count), compared with the gold index;
* metric: micro accuracy over all questions.

Items are normalised to ``question`` / ``options`` / ``answer_index`` by each task's ``fields``.
"""

from __future__ import annotations

import random
import re
from collections.abc import Sequence
from typing import Any

from evaluation.tasks.base import Decoding, Family, ItemResult, Prompt, ScoreContext, Task

LETTERS = "ABCDEFGHIJ"
HEAD = ("Please read the following multiple-choice questions and provide the most likely correct answer based "
        "on the options given.\n")
COT_INSTRUCTION = (
    "- For simple problems:\nDirectly provide the answer with minimal explanation.\n\n- For complex problems:\n"
    "Use this step-by-step format:\n## Step 1: [Concise description]\n[Brief explanation]\n"
    "## Step 2: [Concise description]\n[Brief explanation]\n\nRegardless of the approach, always conclude with:\n"
    "The best answer is [the_answer_letter].\nwhere the [the_answer_letter] is the correct letter choice.\n\n"
    "Answer: Let's think step by step."
)
FALLBACK_SEED = 12345
_STAGE1 = re.compile(r"answer is \(?([A-J])\)?")
#: FuseEval's stage-2 and stage-3 patterns, kept as the reference the linear versions are tested against
UPSTREAM_STAGE2 = r".*[aA]nswer:\s*([A-J])"
UPSTREAM_STAGE3 = r"\b[A-J]\b(?!.*\b[A-J]\b)"
_ANSWER_COLON = re.compile(r"(?=[aA]nswer:\s*([A-J]))")
_LONE_LETTER = re.compile(r"\b[A-J]\b")


def format_question(question: str, options: Sequence[str]) -> str:
    """The zero-shot CoT user message (MC-Eval ``generate_cot_prompt`` with ``--zero_shot``)."""
    opts = "".join(f"{LETTERS[i]}. {o}\n" for i, o in enumerate(options))
    return f"{HEAD}Question:\n{question}\nOptions:\n{opts}{COT_INSTRUCTION}"


def answer_colon(text: str) -> str | None:
    """Stage 2, ``re.search(UPSTREAM_STAGE2, text)`` in linear time. Upstream's ``.*`` (no DOTALL) makes the
    match start on the first line holding an ``[aA]nswer:\\s*[A-J]`` start and, greedy, pick the last such start
    on that line (``\\s*`` may then run across newlines); the regex retries every start position of a line
    without one, which is quadratic on a long line."""
    line_end = -1
    letter = None
    for m in _ANSWER_COLON.finditer(text):
        if letter is None:
            line_end = text.find("\n", m.start())
        elif 0 <= line_end < m.start():
            break
        letter = m.group(1)
    return letter


def last_lone_letter(text: str) -> str | None:
    """Stage 3, ``re.search(UPSTREAM_STAGE3, text, re.DOTALL)``: the last standalone letter A-J, found in one
    pass instead of upstream's lookahead over the rest of the text for every candidate (quadratic)."""
    found = None
    for m in _LONE_LETTER.finditer(text):
        found = m
    return found.group(0) if found else None


def extract_choice(text: str) -> tuple[str | None, str | None]:
    """(letter, stage) by FuseEval's three stages: "answer is (X)" (first match), "Answer: X", last lone letter."""
    if m := _STAGE1.search(text):
        return m.group(1), "answer_is"
    if letter := answer_colon(text):
        return letter, "answer_colon"
    if letter := last_lone_letter(text):
        return letter, "last_letter"
    return None, None


def random_guess(rng: random.Random, n_options: int) -> int:
    """FuseEval's fallback: reseed with 12345 before every guess, then ``randint(0, n - 1)``."""
    rng.seed(FALLBACK_SEED)
    return rng.randint(0, n_options - 1)


class MultipleChoiceTask(Task):
    """A FuseEval MC-Eval benchmark; subclasses set the data and ``fields``."""

    category = "general"
    metric = "micro accuracy"
    scale = "percent"
    decoding = Decoding(temperature=0.0, max_new_tokens=2048, stop=("Question:",))
    max_model_len = 4096

    def fields(self, item: dict[str, Any]) -> tuple[str, list[str], int]:
        """(question, options, gold index) of an item in the real dataset's schema."""
        raise NotImplementedError

    def options(self, item: dict[str, Any]) -> list[str]:
        """The options shown, "N/A" dropped (MC-Eval ``preprocess``)."""
        return [o for o in self.fields(item)[1] if o != "N/A"]

    def prompt(self, item: dict[str, Any], family: Family) -> Prompt:
        """The same user turn for every family; Qwen's default system prompt is dropped and the templated string
        goes to vLLM unstripped, so Llama and Gemma see two BOS tokens (MC-Eval)."""
        question = self.fields(item)[0]
        return Prompt([{"role": "user", "content": format_question(question, self.options(item))}],
                      default_system=False, add_bos=True)

    def score(self, item: dict[str, Any], responses: Sequence[str], ctx: ScoreContext) -> ItemResult:
        _, _, gold = self.fields(item)
        n = len(self.options(item))
        letter, stage = extract_choice(responses[0])
        if letter is None:
            guess = random_guess(ctx.rng, n)
            return ItemResult(float(guess == gold), None, {"stage": "random_fallback", "guess": LETTERS[guess],
                                                          "gold": LETTERS[gold]})
        return ItemResult(float(LETTERS.index(letter) == gold), letter, {"stage": stage, "gold": LETTERS[gold]})

    def summary(self, items: Sequence[dict[str, Any]], results: Sequence[ItemResult]) -> dict[str, Any]:
        """How much of the accuracy is FuseEval's seeded guess: the answers with no extractable letter
        (``random_fallback``), their share of all items in percent, and how many of the guesses were right."""
        guessed = [r for r in results if r.detail.get("stage") == "random_fallback"]
        return {"random_fallback": len(guessed),
                "random_fallback_share": 100.0 * len(guessed) / len(results) if results else 0.0,
                "random_fallback_correct": int(sum(r.score for r in guessed))}

    def protocol(self) -> dict[str, Any]:
        return {**super().protocol(), "prompt": "FuseEval MC-Eval zero-shot CoT (Llama-3.1-evals instruction)",
                "extraction": "answer is (X) | Answer: X | last lone letter; else random (seed 12345 per guess)",
                "max_model_len": self.max_model_len}
