"""Math word problems as FuseEval's Math-Eval runs them (GSM8K, MATH, AMC23).

FuseEval ``Math-Eval`` (https://github.com/SLIT-AI/FuseChat-3.0, commit 5af2bad) is the Qwen2.5-Math evaluation
toolkit (https://github.com/QwenLM/Qwen2.5-Math, commit a45202b, ``evaluation/``) plus two prompt types:

* ``qwen25-math-cot`` (Qwen) and ``llama3-math-cot`` (Llama): the instruction "Please reason step by step, and
  put your final answer within \\boxed{}." is the **system** turn, the problem the user turn;
* ``gemma2-math-cot`` (Gemma, no system role): the instruction is appended to the user turn after a newline.
  Mistral has no FuseEval prompt type; it gets Gemma's placement (its template has no system role either);
* the prompt is FuseEval's hand-written string per type (``FUSEEVAL_TEMPLATES``; no chat template, so no
  Llama-3.1 date header), handed to vLLM as a string (its BOS added: Llama sees two);
* zero-shot, greedy (temperature 0, top-p 1, one sample), ``max_tokens_per_call`` 2,048, ``max_model_len``
  4,096; stop strings are the family's end-of-turn tokens (chosen in FuseEval by the model path's name);
* extraction: the last ``\\boxed{}`` (brace matching), else "the answer is ...", else the last number;
  metric: accuracy of that single greedy sample.

Grading: math-verify (``fusechat.math_answers``, the same grader the data pipeline uses), not Qwen's
``math_equal``. Where the verdicts can differ (documented in README "Evaluation"): Qwen compares numbers with
``isclose(rel_tol=1e-4)`` and also accepts the gold ×100 / ÷100 (percent variants), strips units and text via
``strip_string`` rules and compares tuples/matrices element-wise with a 3 s sympy budget; math-verify compares
exactly (up to its own float precision), treats 50% = 0.5 but not 50 = 0.5, has its own LaTeX normaliser and a
5 s budget. A timeout is wrong under both.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from evaluation.tasks.base import Decoding, Family, ItemResult, Prompt, ScoreContext, Task

INSTRUCTION = "Please reason step by step, and put your final answer within \\boxed{}."
PROMPT_TYPES: dict[str, str] = {"qwen2": "qwen25-math-cot", "llama3": "llama3-math-cot",
                                "gemma2": "gemma2-math-cot", "mistral": "gemma2-math-cot placement (not in FuseEval)"}


#: FuseEval ``Math-Eval/utils.py`` ``PROMPT_TYPES`` input templates (zero-shot: the whole prompt is the template
#: with ``{input}`` = the question), sent to vLLM as strings (its tokenizer adds a BOS: two for Llama, whose template
#: starts with one; one for Gemma). Hand-written, so Llama gets no "Cutting Knowledge Date" header.
FUSEEVAL_TEMPLATES: dict[str, str] = {
    "qwen2": ("<|im_start|>system\nPlease reason step by step, and put your final answer within \\boxed{}.<|im_end|>\n"
              "<|im_start|>user\n{input}<|im_end|>\n<|im_start|>assistant\n"),
    "llama3": ("<|begin_of_text|><|start_header_id|>system<|end_header_id|>\n\nPlease reason step by step, and put "
               "your final answer within \\boxed{}.<|eot_id|><|start_header_id|>user<|end_header_id|>\n\n{input}"
               "<|eot_id|><|start_header_id|>assistant<|end_header_id|>\n\n"),
    "gemma2": ("<start_of_turn>user\n{input}\nPlease reason step by step, and put your final answer within "
               "\\boxed{}.<end_of_turn>\n<start_of_turn>model\n"),
}


def math_prompt(question: str, family: Family) -> Prompt:
    """The FuseEval prompt type of ``family`` as its string (``FUSEEVAL_TEMPLATES``), the vLLM-added BOS in front;
    the messages (system-turn instruction for Llama/Qwen, appended for Gemma) are the record. Mistral has no
    FuseEval prompt type: Gemma's placement through its own chat template. The question is stripped first (the
    toolkit's ``parse_question``)."""
    question = question.strip()
    if family in ("llama3", "qwen2"):
        messages = [{"role": "system", "content": INSTRUCTION}, {"role": "user", "content": question}]
    else:
        messages = [{"role": "user", "content": f"{question}\n{INSTRUCTION}"}]
    template = FUSEEVAL_TEMPLATES.get(family)
    if template is None:
        return Prompt(messages)
    return Prompt(messages, text=template.replace("{input}", question), add_bos=True)


def fmt_number(x: float | int | str) -> str:
    """A gold number as text: 27.0 -> "27", 2.5 -> "2.5" (AMC23 stores answers as floats)."""
    if isinstance(x, str):
        return x
    return str(int(x)) if float(x).is_integer() else repr(float(x))


class MathTask(Task):
    """A Math-Eval benchmark; subclasses set the data, ``question`` and ``gold``."""

    category = "math"
    metric = "accuracy"
    scale = "percent"
    decoding = Decoding(temperature=0.0, top_p=1.0, n=1, max_new_tokens=2048)
    max_model_len = 4096
    grader_timeout_s = 5.0

    def question(self, item: dict[str, Any]) -> str:
        return item["question"]

    def gold(self, item: dict[str, Any]) -> str:
        raise NotImplementedError

    def prompt(self, item: dict[str, Any], family: Family) -> Prompt:
        return math_prompt(self.question(item), family)

    def score(self, item: dict[str, Any], responses: Sequence[str], ctx: ScoreContext) -> ItemResult:
        return self.score_batch([item], [responses], ctx)[0]

    def score_batch(self, items: Sequence[dict[str, Any]], responses: Sequence[Sequence[str]],
                    ctx: ScoreContext) -> list[ItemResult]:
        """math-verify verdicts of the first (greedy) sample, graded in worker processes with a timeout."""
        from fusechat.math_answers import check_many, is_equivalent

        is_equivalent("1", "1")  # import math-verify/sympy here, so the forked graders start warm (timeouts)
        golds = [self.gold(it) for it in items]
        verdicts = check_many([(rs[0], g) for rs, g in zip(responses, golds, strict=True)], convention="auto",
                              workers=1, timeout_s=self.grader_timeout_s)
        return [ItemResult(1.0 if v.correct else 0.0, v.extracted,
                           {"status": v.status, "gold": g, "grader_cpu_s": self.grader_timeout_s})
                for v, g in zip(verdicts, golds, strict=True)]

    def protocol(self) -> dict[str, Any]:
        return {**super().protocol(), "prompt_types": PROMPT_TYPES, "instruction": INSTRUCTION,
                "grader": "math-verify (fusechat.math_answers), first sample", "max_model_len": self.max_model_len}
