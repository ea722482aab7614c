"""MT-Bench (80 two-turn questions, 8 categories), as FuseEval runs it for the FuseChat-3.0 / WRPO tables: rows
``mt_bench_turn1``, ``mt_bench_turn2`` and ``mt_bench`` (both turns), each a mean 1-10 judge rating.

Protocol (FuseEval ``IF-Eval/MT-Bench``, a port of FastChat's ``llm_judge`` to openai>=1:
https://github.com/SLIT-AI/FuseChat-3.0/tree/5af2badba59fc4561202e19a7311ec119a19a73b/FuseEval/IF-Eval/MT-Bench):

* **Generation** (``gen_model_answer_vllm.py``): the model's own chat template, turn by turn: turn 2's prompt is
  the conversation [question 1, the model's turn-1 answer, question 2]; one answer per turn; ``max_tokens`` 4096
  within a 4096-token context; temperature per category (FastChat's ``temperature_config``): writing/roleplay
  0.7, extraction/math/coding/reasoning 0.0 (greedy), stem/humanities 0.1. FuseEval's ``use_beam_search =
  do_sample`` line is not copied (vLLM 0.6.3's sampling has no beam search; sampling is plain temperature).
  ``options.generator: hf_fastchat`` selects FuseEval's other script, ``gen_model_answer.py`` (``generate_hf.sh``):
  FastChat conversation template, HF generate, 1,024 new tokens, no context cap (``evaluation/tasks/_fastchat.py``).
* **Judge** (``gen_judgment.py --mode single --judge-model gpt-4-0125-preview --use-reference math reasoning
  coding``): single-answer grading, a system + user message at temperature 0 and at most 2048 tokens. Turn 1 is
  graded with ``single-v1`` (``single-math-v1`` with the reference answer for math/reasoning/coding), turn 2 with
  ``single-v1-multi-turn`` (``single-math-v1-multi-turn``), templates from FastChat's ``judge_prompts.jsonl``.
* **Rating**: the first ``[[x]]`` in the judgment, else the first ``[x]`` (FastChat's ``one_score_pattern`` and
  its backup; decimals such as ``[[7.5]]`` count, as upstream's ``ast.literal_eval`` accepts them). A rating with a
  leading zero (``[[07]]``) is read as 7, where ``ast.literal_eval`` raises and stops FastChat's run (a documented
  deviation). No rating, a
  value outside 1-10 (upstream keeps those; a 1-10 scale cannot hold them) and ``$ERROR$`` are unparsable: -1,
  excluded from every mean, counted with ``Judge.note_unparsable``. A failed request (``JudgeReply.error``) is
  excluded too and counted by the judge client as failed.
* **Score** (FastChat ``show_result.py``, single mode): turn 1 = mean over the valid turn-1 ratings, turn 2 the
  same for turn 2, overall = mean over all valid turn ratings (160 when none is lost), not a mean of the two turn
  means.

The reference answers are ``gpt-4-0125-preview``'s (FuseEval ships them; FastChat's repository only has
``gpt-4.jsonl``). FastChat looks them up under the judge's model name (a file per judge); here the reference file
is the task option ``reference_answers`` (a file name under the task's fetched ``files/``, or an absolute path),
default the pinned ``gpt-4-0125-preview`` file, whatever ``eval.judge.model`` is.
"""

from __future__ import annotations

import json
import random
import re
from collections.abc import Callable, Sequence
from typing import Any

from evaluation.family_prompts import BOS_STRIPPED_FAMILIES
from evaluation.judge import JudgeRequest, LocalVerdict, judge_for
from evaluation.tasks._fastchat import HF_TOP_K, check_generator, fastchat_prompt
from evaluation.tasks._judged import STATUS_FAILED, STATUS_UNPARSABLE, ask, fill_format
from evaluation.tasks._judged_files import SYNTHETIC_ID_BASE, all_synthetic, fetched_file, reward_rating
from evaluation.tasks.base import (
    FUSECHAT_TABLES,
    DataFile,
    DataSpec,
    Decoding,
    ItemResult,
    Prompt,
    ScoreContext,
    TableRow,
    Task,
)

FASTCHAT_COMMIT = "0e6d3e4beaab66f4d3f93db72541a4abab8af28d"
FUSECHAT_COMMIT = "5af2badba59fc4561202e19a7311ec119a19a73b"
_FASTCHAT = f"https://raw.githubusercontent.com/lm-sys/FastChat/{FASTCHAT_COMMIT}/fastchat/llm_judge/data"
_FUSEEVAL = f"https://raw.githubusercontent.com/SLIT-AI/FuseChat-3.0/{FUSECHAT_COMMIT}/FuseEval/IF-Eval/MT-Bench/data"
QUESTIONS = DataFile("question.jsonl", f"{_FASTCHAT}/mt_bench/question.jsonl",
                     "119565adbab82227089cefdb44c8d7e2cf04dc0a0ec233634c82e7d4e2a944f7")
JUDGE_PROMPTS = DataFile("judge_prompts.jsonl", f"{_FASTCHAT}/judge_prompts.jsonl",
                         "fd283293406d024f44c174b094ef48031d0687a4682fd3a56b29b138f80281b6")
REFERENCES = DataFile("gpt-4-0125-preview.jsonl", f"{_FUSEEVAL}/gpt-4-0125-preview.jsonl",
                      "e484037da5cc14007dde1d821ef76046fccbd0b2f095237fad9ead2c4fc66800")

#: FastChat ``common.temperature_config`` (categories not listed there get 0.7, as FuseEval's vLLM path does).
TEMPERATURES: dict[str, float] = {"writing": 0.7, "roleplay": 0.7, "extraction": 0.0, "math": 0.0, "coding": 0.0,
                                  "reasoning": 0.0, "stem": 0.1, "humanities": 0.1}
#: FuseEval's ``--use-reference math reasoning coding``: these categories are judged with reference answers.
REFERENCE_CATEGORIES: frozenset[str] = frozenset({"math", "reasoning", "coding"})
JUDGE_TEMPERATURE = 0.0
JUDGE_MAX_TOKENS = 2048
REFERENCE_OPTION = "reference_answers"

_RATING = re.compile(r"\[\[(\d+\.?\d*)\]\]")
_RATING_BACKUP = re.compile(r"\[(\d+\.?\d*)\]")

# markers of the single-answer judge prompts (the real ones and the stand-ins share them)
_Q_START, _A_START, _A_END = "[Question]\n", "[The Start of Assistant's Answer]\n", "\n[The End of Assistant's Answer]"
_CONV_START = "<|The Start of Assistant A's Conversation with User|>"
_CONV_END = "<|The End of Assistant A's Conversation with User|>"
_USER, _ASSISTANT = "### User:\n", "### Assistant A:\n"


def parse_rating(judgment: str) -> float | None:
    """The judge's 1-10 rating: the first ``[[x]]``, else the first ``[x]`` (FastChat ``run_judge_single``); None
    when there is none or it is outside 1-10."""
    match = _RATING.search(judgment) or _RATING_BACKUP.search(judgment)
    if match is None:
        return None
    value = float(match.group(1))
    if not 1.0 <= value <= 10.0:
        return None
    return int(value) if value.is_integer() and "." not in match.group(1) else value


def judge_prompt_names(category: str) -> tuple[str, str]:
    """(turn 1, turn 2) judge prompt names for a question category (FastChat ``make_judge_single``)."""
    if category in REFERENCE_CATEGORIES:
        return "single-math-v1", "single-math-v1-multi-turn"
    return "single-v1", "single-v1-multi-turn"


def judge_request(template: dict[str, Any], item: dict[str, Any], answers: Sequence[str], turn: int,
                  reference: Sequence[str] | None) -> JudgeRequest:
    """The judge request of one turn (FastChat ``run_judge_single``): the template's system prompt and its
    ``prompt_template`` filled with the question(s), the answer(s) and, for reference-based prompts, the
    reference answer(s)."""
    fields: dict[str, str] = {}
    if reference is not None:
        fields["ref_answer_1"] = reference[0]
        if turn == 2:
            fields["ref_answer_2"] = reference[1]
    if turn == 1:
        user = fill_format(template["prompt_template"], question=item["turns"][0], answer=answers[0], **fields)
    else:
        user = fill_format(template["prompt_template"], question_1=item["turns"][0], question_2=item["turns"][1],
                           answer_1=answers[0], answer_2=answers[1], **fields)
    return JudgeRequest((("system", template["system_prompt"]), ("user", user)), temperature=JUDGE_TEMPERATURE,
                        max_tokens=JUDGE_MAX_TOKENS)


def _mean(values: Sequence[float]) -> float | None:
    return sum(values) / len(values) if values else None


class MTBench(Task):
    id = "mt_bench"
    version = "2"
    display = "MT-Bench"
    category = "instruction_following"
    metric = "mean judge score, both turns"
    scale = "1-10"
    tolerance = 0.3
    tolerance_why = "LLM judge on only 80 questions x 2 turns"
    judge = "gpt-4-0125-preview"
    judge_model = "gpt-4-0125-preview"
    tables = (*FUSECHAT_TABLES, "wrpo_main")
    order = 3
    turns = 2
    max_model_len = 4096
    data = DataSpec(None, expected_items=80, files=(QUESTIONS, JUDGE_PROMPTS, REFERENCES),
                    licence="Apache-2.0 (FastChat); reference answers from FuseEval (FuseChat-3.0 repository)",
                    note="items: question.jsonl; judge_prompts.jsonl and the gpt-4-0125-preview reference answers "
                         "are read at scoring time")

    # ------------------------------------------------------------------ data
    def fetch_rows(self) -> tuple[list[dict[str, Any]], dict[str, str]]:
        """The 80 questions (``question.jsonl`` only; the judge files stay files)."""
        from evaluation.fetch_data import pinned_file_rows

        return pinned_file_rows(self.data.files[0]), {"lm-sys/FastChat": FASTCHAT_COMMIT}

    def synthetic(self, rng: random.Random, n: int) -> list[dict[str, Any]]:
        """Two-turn questions in ``question.jsonl``'s schema (``question_id``, ``category``, ``turns``; math
        items also ``reference``), cycling over the 8 categories; ids from ``SYNTHETIC_ID_BASE``."""
        cats = list(TEMPERATURES)
        out = []
        for i in range(n):
            cat = cats[i % len(cats)]
            a, b = rng.randint(2, 30), rng.randint(2, 9)
            topic = rng.choice(["rivers", "bicycles", "tea", "robots", "gardens", "trains"])
            turns = {
                "writing": [f"Write a short poem about {topic}.", "Rewrite it in exactly two lines."],
                "roleplay": [f"Pretend you are a guide who loves {topic}. Greet me.", "Now say goodbye in character."],
                "extraction": [f"Extract the numbers from: 'I saw {a} {topic} and {b} birds.'",
                               "Return them as a JSON list."],
                "math": [f"What is {a} + {b}?", f"Multiply that result by {b}."],
                "coding": [f"Write a Python function that returns {a} times its argument.",
                           "Add a docstring to it."],
                "reasoning": [f"Tom has {a} apples and gives away {b}. How many are left?",
                              "He then buys as many as he gave away. How many now?"],
                "stem": [f"Explain in one sentence why {topic} matter to engineers.", "Give one example."],
                "humanities": [f"Name one famous story about {topic}.", "Why is it remembered?"],
            }[cat]
            row: dict[str, Any] = {"question_id": SYNTHETIC_ID_BASE + i, "category": cat, "turns": turns}
            if cat in REFERENCE_CATEGORIES:
                row["reference"] = {"math": [str(a + b), str((a + b) * b)],
                                    "coding": [f"def f(x):\n    return {a} * x",
                                               f'def f(x):\n    """{a} times x."""\n    return {a} * x'],
                                    "reasoning": [str(a - b), str(a)]}[cat]
            out.append(row)
        return out

    # ------------------------------------------------------------------ generation
    def prompt(self, item: dict[str, Any], family: str) -> Prompt:
        return self.prompt_turn(item, family, ())

    def prompt_turn(self, item: dict[str, Any], family: str, previous: Sequence[str]) -> Prompt:
        """Turn ``len(previous) + 1``: the user turns so far, each earlier one followed by the model's answer."""
        if self.generator == "hf_fastchat":
            return fastchat_prompt(family, item["turns"][:len(previous) + 1], previous)
        messages: list[dict[str, str]] = []
        for question, answer in zip(item["turns"], previous, strict=False):
            messages += [{"role": "user", "content": question}, {"role": "assistant", "content": answer}]
        messages.append({"role": "user", "content": item["turns"][len(previous)]})
        return Prompt(messages, add_bos=family not in BOS_STRIPPED_FAMILIES)  # FuseEval strips the template BOS for gemma/mistral paths only

    def decoding_for(self, item: dict[str, Any], family: str) -> Decoding:
        """FastChat's per-category temperature; 4,096 new tokens (vLLM script) or 1,024 (HF script's
        ``--max-new-token`` default, with transformers' top_k 50 when sampling)."""
        temperature = TEMPERATURES.get(item["category"], 0.7)
        if self.generator == "hf_fastchat":
            return Decoding(temperature=temperature, max_new_tokens=1024,
                            top_k=HF_TOP_K if temperature >= 1e-4 else -1)
        return Decoding(temperature=temperature, max_new_tokens=4096)

    #: ``options.generator``: FuseEval's vLLM script (default) or its HF/FastChat one (``evaluation/tasks/_fastchat.py``)
    generator: str = "vllm"

    def configured(self, options: dict[str, Any]) -> MTBench:
        """``options.generator``: ``vllm`` (default) | ``hf_fastchat``; other keys go to ``ScoreContext.options``."""
        if "generator" not in options or options["generator"] == self.generator:
            return self
        task = type(self)()
        task.generator = check_generator(options["generator"], self.id)
        if task.generator == "hf_fastchat":
            task.max_model_len = None  # HF generate: no vLLM context cap
        return task

    def protocol(self) -> dict[str, Any]:
        return {**super().protocol(), "generator": self.generator}

    # ------------------------------------------------------------------ judge files
    def judge_templates(self, ctx: ScoreContext, synthetic: bool) -> dict[str, dict[str, Any]]:
        """Judge prompt name -> record of ``judge_prompts.jsonl`` (stand-ins for synthetic items)."""
        if synthetic:
            return STANDIN_JUDGE_PROMPTS
        path = fetched_file(self.id, ctx.options, JUDGE_PROMPTS.name)
        rows = [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]
        return {r["name"]: r for r in rows}

    def references(self, ctx: ScoreContext, items: Sequence[dict[str, Any]], synthetic: bool
                   ) -> dict[int, list[str]]:
        """question id -> reference answers per turn (FastChat's reference_answer file schema)."""
        if synthetic:
            rows = standin_references(items)
        else:
            path = fetched_file(self.id, ctx.options, str(ctx.options.get(REFERENCE_OPTION, REFERENCES.name)))
            rows = [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]
        return {int(r["question_id"]): list(r["choices"][0]["turns"]) for r in rows}

    # ------------------------------------------------------------------ scoring
    def score_batch(self, items: Sequence[dict[str, Any]], responses: Sequence[Sequence[str]],
                    ctx: ScoreContext) -> list[ItemResult]:
        synthetic = all_synthetic(self.id, items)
        templates = self.judge_templates(ctx, synthetic)
        refs = self.references(ctx, items, synthetic)
        requests: list[JudgeRequest] = []
        names: list[tuple[str, str]] = []
        for item, answers in zip(items, responses, strict=True):
            if len(answers) != self.turns:
                raise ValueError(f"{self.id}: question {item['question_id']} has {len(answers)} answers, not one "
                                 f"per turn ({self.turns})")
            pair = judge_prompt_names(item["category"])
            names.append(pair)
            ref = None
            if item["category"] in REFERENCE_CATEGORIES:
                if int(item["question_id"]) not in refs:
                    raise ValueError(f"{self.id}: no reference answer for question {item['question_id']}")
                ref = refs[int(item["question_id"])]
            for turn, name in enumerate(pair, start=1):
                requests.append(judge_request(templates[name], item, answers, turn, ref))
        verdicts = ask(judge_for(self, ctx), requests, lambda r: parse_rating(r.text), f"{self.id} judge")
        results = []
        for k, item in enumerate(items):
            turns = verdicts[2 * k:2 * k + 2]
            ratings = [v.value for v in turns]
            valid = [r for r in ratings if r is not None]
            results.append(ItemResult(
                score=_mean(valid) if valid else -1.0,
                extracted=[-1 if r is None else r for r in ratings],
                detail={"category": item["category"], "judge_prompts": list(names[k]),
                        "judgments": [v.text for v in turns], "errors": [v.error for v in turns],
                        "failed": [v.status == STATUS_FAILED for v in turns],
                        "unparsable": [v.status == STATUS_UNPARSABLE for v in turns]}))
        return results

    @staticmethod
    def turn_ratings(results: Sequence[ItemResult], turn: int) -> list[float]:
        """The valid ratings of one turn (1 or 2) over the items."""
        return [r.extracted[turn - 1] for r in results if r.extracted[turn - 1] != -1]

    def aggregate(self, items: Sequence[dict[str, Any]], results: Sequence[ItemResult]) -> float | None:
        """Mean over every valid turn rating (FastChat ``show_result``: 160 ratings when none is lost)."""
        return _mean(self.turn_ratings(results, 1) + self.turn_ratings(results, 2))

    def aggregate_rows(self, items: Sequence[dict[str, Any]], results: Sequence[ItemResult]
                       ) -> dict[str, float | None]:
        return {"mt_bench_turn1": _mean(self.turn_ratings(results, 1)),
                "mt_bench_turn2": _mean(self.turn_ratings(results, 2)),
                "mt_bench": self.aggregate(items, results)}

    def summary(self, items: Sequence[dict[str, Any]], results: Sequence[ItemResult]) -> dict[str, Any]:
        """Per-category mean over valid turn ratings, and the turn ratings lost to failed or unparsable replies."""
        by_cat: dict[str, list[float]] = {}
        for r in results:
            by_cat.setdefault(r.detail["category"], []).extend(x for x in r.extracted if x != -1)
        return {"categories": {c: _mean(v) for c, v in sorted(by_cat.items())},
                "valid_ratings": sum(len(v) for v in by_cat.values()),
                "failed": sum(sum(r.detail["failed"]) for r in results),
                "unparsable": sum(sum(r.detail["unparsable"]) for r in results)}

    # ------------------------------------------------------------------ local tiny judge
    def local_verdict(self, request: Any, reward: Callable[[str, str], float]) -> LocalVerdict | None:
        """The tiny judge's answer to an MT-Bench single-answer prompt (real or stand-in): the graded turn's
        question and answer are cut out of the prompt (turn 2: the second question and the second answer of the
        conversation block) and rated ``reward_rating(reward(question, answer))``; None for any other prompt."""
        found = parse_judge_prompt(request)
        if found is None:
            return None
        question, answer = found
        score = reward(question, answer)
        rating = reward_rating(score)
        return LocalVerdict(f"The reward model scores this answer {score:.4f}.\n\nRating: [[{rating}]]")

    # ------------------------------------------------------------------ table layout
    def table_rows(self) -> tuple[TableRow, ...]:
        """Turn 1 and turn 2 (WRPO table only) and both turns (every FuseChat table and WRPO)."""
        common = {"scale": "1-10", "judge": self.judge, "category": self.category}
        return (
            TableRow("mt_bench_turn1", "MT-Bench T1", ("wrpo_main",), 2.6, metric="mean judge score, turn 1",
                     tolerance=0.3, tolerance_why="LLM judge on 80 questions", **common),
            TableRow("mt_bench_turn2", "MT-Bench T2", ("wrpo_main",), 2.7, metric="mean judge score, turn 2",
                     tolerance=0.3, tolerance_why="LLM judge on 80 questions", **common),
            TableRow(self.id, self.display, self.tables, self.order, metric=self.metric, tolerance=self.tolerance,
                     tolerance_why=self.tolerance_why, **common),
        )


def parse_judge_prompt(request: Any) -> tuple[str, str] | None:
    """(question, answer) graded by an MT-Bench single-answer judge request, or None when it is not one.

    Turn 1 (``single-v1`` / ``single-math-v1``): ``[Question]`` ... ``[The Start of Assistant's Answer]`` ...
    ``[The End of Assistant's Answer]``. Turn 2 (``*-multi-turn``): the block between ``<|The Start of Assistant
    A's Conversation with User|>`` and its end marker, whose second ``### User:`` / ``### Assistant A:`` pair is
    graded. Pairwise prompts (an Assistant B) are not MT-Bench single grading and give None."""
    user = next((c for r, c in reversed(request.messages) if r == "user"), None)
    if user is None or "Assistant B" in user:
        return None
    if user.startswith("[Instruction]") and _Q_START in user and _A_START in user and user.endswith(_A_END):
        q0 = user.index(_Q_START) + len(_Q_START)
        question = user[q0:].split("\n\n[The Start of ", 1)[0]
        a0 = user.index(_A_START) + len(_A_START)
        return question, user[a0:len(user) - len(_A_END)]
    if _CONV_START in user and user.rstrip().endswith(_CONV_END):
        conv = user[user.index(_CONV_START) + len(_CONV_START):user.rindex(_CONV_END)]
        parts = conv.split("\n\n" + _USER)
        if len(parts) != 3:  # ['', turn 1, turn 2]
            return None
        q2, sep, a2 = parts[2].partition("\n\n" + _ASSISTANT)
        if not sep:
            return None
        return q2, a2.removesuffix("\n\n")
    return None


def standin_references(items: Sequence[dict[str, Any]]) -> list[dict[str, Any]]:
    """Tiny-world stand-in of the reference answer file: FastChat's schema (``question_id``, ``model_id``,
    ``choices[0].turns``), made from the synthetic items' own ``reference`` field."""
    return [{"question_id": it["question_id"], "model_id": "tiny-reference",
             "choices": [{"index": 0, "turns": list(it["reference"])}]}
            for it in items if "reference" in it]


def _standin(name: str, system: str, template: str, category: str) -> dict[str, Any]:
    return {"name": name, "type": "single", "system_prompt": system, "prompt_template": template,
            "description": "tiny-world stand-in", "category": category, "output_format": "[[rating]]"}


_STANDIN_RULE = ("Grade the reply from 1 to 10 and end with the grade in this format: \"[[rating]]\", e.g. "
                 "\"Rating: [[5]]\".")
_CONV = ("<|The Start of Assistant A's Conversation with User|>\n\n### User:\n{question_1}\n\n### Assistant A:\n"
         "{answer_1}\n\n### User:\n{question_2}\n\n### Assistant A:\n{answer_2}\n\n"
         "<|The End of Assistant A's Conversation with User|>")
_REF_CONV = ("<|The Start of Reference Answer|>\n\n### User:\n{question_1}\n\n### Reference answer:\n{ref_answer_1}"
             "\n\n### User:\n{question_2}\n\n### Reference answer:\n{ref_answer_2}\n\n"
             "<|The End of Reference Answer|>\n\n\n")
#: Tiny-world stand-ins of the four single-grading prompts of FastChat's ``judge_prompts.jsonl``: the same names,
#: fields, placeholders and delimiters, our own (shorter) instructions.
STANDIN_JUDGE_PROMPTS: dict[str, dict[str, Any]] = {
    "single-v1": _standin(
        "single-v1", "You are a helpful assistant.",
        "[Instruction]\nJudge how good the answer to the question below is. " + _STANDIN_RULE +
        "\n\n[Question]\n{question}\n\n[The Start of Assistant's Answer]\n{answer}\n[The End of Assistant's Answer]",
        "general"),
    "single-math-v1": _standin(
        "single-math-v1", "You are a helpful assistant.",
        "[Instruction]\nJudge the answer against the reference answer. " + _STANDIN_RULE +
        "\n\n[Question]\n{question}\n\n[The Start of Reference Answer]\n{ref_answer_1}\n[The End of Reference "
        "Answer]\n\n[The Start of Assistant's Answer]\n{answer}\n[The End of Assistant's Answer]", "math"),
    "single-v1-multi-turn": _standin(
        "single-v1-multi-turn", "Judge the assistant's answer to the second question. " + _STANDIN_RULE + "\n\n",
        _CONV, "general"),
    "single-math-v1-multi-turn": _standin(
        "single-math-v1-multi-turn",
        "Judge the assistant's answer to the second question against the reference. " + _STANDIN_RULE + "\n\n",
        _REF_CONV + _CONV, "math"),
}

TASK = MTBench()
