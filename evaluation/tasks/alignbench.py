"""AlignBench v1.1 (683 Chinese questions, 8 categories), as FuseEval runs it for the FuseChat-3.0 tables: row
``alignbench``, the overall score (总分) on the 1-10 scale.

Upstream: THUDM/AlignBench at ``5b79d4a`` (https://github.com/THUDM/AlignBench/tree/5b79d4a84e566db26e755c719935c62a0e1b0527);
FuseEval's copy (``FuseEval/IF-Eval/AlignBench`` of SLIT-AI/FuseChat-3.0 ``5af2bad``) has the same ``judge.py``
and ``show_result.py``, and its own vLLM ``get_answers.py``.

* **Generation** (FuseEval ``get_answers.py``): the question as the only user turn through the model's chat
  template, ``max_tokens`` 4096 within a 4096-token context, temperature per category: 0.1 for 数学计算,
  逻辑推理, 专业能力, 中文理解, 基本任务; 0.7 for 文本写作, 角色扮演, 综合问答.
* **Judge prompt** (``judge.py`` ``prompt_construct``): the Chinese multi-dimension rubric lives in AlignBench's
  Python source, not in a data file. ``judge.py`` is fetched at the pinned commit with its sha256 and the
  template is read out of it at run time by ``extract_template`` (the string assigned to ``base_prompt`` in
  ``prompt_construct``, parsed with ``ast``, never executed). It is filled with the question's category, its
  dimensions (``config/subcategory_question_mapping.json``: subcategory -> answer type;
  ``config/dimension_set.json``: answer type -> dimensions; ``config/dimension_definition.json``: their
  definitions, listed ``"{i}. {name}: {definition}"`` one per line), the question, the reference answer and the
  model's answer. One user message, temperature 0. Upstream hard-codes the model name ``gpt-4`` in the request
  body (its README recommends ``gpt-4-0613``; which snapshot the FuseChat numbers used is not recorded): here
  the judge model is ``judge_model`` (``gpt-4``) unless ``eval.judge.model`` says otherwise.
* **Parsing** (``judge.py`` ``post_process``): the last ``{...}`` on one line, its ``'key': int`` pairs; the
  score is ``'综合得分'`` of that dict, else the first ``'综合得分': n`` (n may have two decimals) anywhere in the
  judgment. No score or a score outside 1-10 is unparsable (counted with ``Judge.note_unparsable``); a failed
  request is counted by the client. Both are excluded from the means (upstream would average its -1 in).
* **Score** (``show_result.py``): per category, the mean 综合得分 over its questions; 中文推理 = mean of the
  数学计算 and 逻辑推理 means; 中文语言 = mean of the other six category means; 总分 = (中文推理 + 中文语言) / 2.
"""

from __future__ import annotations

import ast
import json
import random
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from evaluation.family_prompts import BOS_STRIPPED_FAMILIES
from evaluation.judge import JudgeRequest, LocalVerdict, judge_for
from evaluation.tasks._judged import STATUS_FAILED, STATUS_UNPARSABLE, ask, fill_format
from evaluation.tasks._judged_files import (
    SYNTHETIC_ID_BASE,
    all_synthetic,
    fetched_file,
    reward_rating_vs_reference,
)
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

ALIGNBENCH_COMMIT = "5b79d4a84e566db26e755c719935c62a0e1b0527"
_RAW = f"https://raw.githubusercontent.com/THUDM/AlignBench/{ALIGNBENCH_COMMIT}"
QUESTIONS = DataFile("data_v1.1_release.jsonl", f"{_RAW}/data/data_v1.1_release.jsonl",
                     "6ad5cdb2d552d2557aca18d0dcabaf19ff59fd18bef98eef880296c0478bbd11")
DIMENSION_SET = DataFile("dimension_set.json", f"{_RAW}/config/dimension_set.json",
                         "1024f71c275855896c5980032df0e79a7709be3e10817a539c61f4eb57fd515b")
DIMENSION_DEFINITION = DataFile("dimension_definition.json", f"{_RAW}/config/dimension_definition.json",
                                "0a41c759fc9e55437476b38a9e3803425698693c736d74e318b4448616d80988")
SUBCATEGORY_MAPPING = DataFile("subcategory_question_mapping.json",
                               f"{_RAW}/config/subcategory_question_mapping.json",
                               "429f97d7044a27f329bbdd02ee162b6b3010118389621f71c07bdaaa54f668d2")
JUDGE_SOURCE = DataFile("judge.py", f"{_RAW}/judge.py",
                        "0f5ef4d0e5009cb991b1fb625384f7c163d64f7910da175da8909e9da4e25c96")

#: FuseEval ``get_answers.py`` ``temp_config``.
TEMPERATURES: dict[str, float] = {"专业能力": 0.1, "数学计算": 0.1, "基本任务": 0.1, "逻辑推理": 0.1, "中文理解": 0.1,
                                  "文本写作": 0.7, "角色扮演": 0.7, "综合问答": 0.7}
#: ``show_result.py`` ``CATEGORIES``: the two groups whose mean is the overall score.
GROUPS: dict[str, tuple[str, ...]] = {"中文语言": ("基本任务", "中文理解", "综合问答", "文本写作", "角色扮演", "专业能力"),
                                      "中文推理": ("数学计算", "逻辑推理")}
OVERALL_KEY = "综合得分"
JUDGE_TEMPERATURE = 0.0
#: Upstream sends no max_tokens (the judge's whole remaining context); our request type needs a number.
JUDGE_MAX_TOKENS = 2048

_LAST_BRACES = re.compile(r"{(.*?)}(?![^{]*{)")  # a {...} on one line with no "{" after it
_KEY_INT = re.compile(r"'(.*?)': (\d+)")
_OVERALL_FALLBACK = re.compile(r"'综合得分': (\d+(\.\d{1,2})?)")
_DIM_LINE = re.compile(r"^(\d+)\. ([^\s:：]+): ", re.MULTILINE)
_Q, _REF0, _REF1, _ANS0, _ANS1 = "用户的提问： ", "[参考答案开始]\n", "\n[参考答案结束]\n", "[助手的答案开始]\n", \
    "\n[助手的答案结束]"


class TemplateError(ValueError):
    """``judge.py`` does not hold the judge template where the extractor looks (another upstream version?)."""


def extract_template(source: str, function: str = "prompt_construct", variable: str = "base_prompt") -> str:
    """The judge prompt template of AlignBench's ``judge.py``: the string literal assigned to ``variable`` inside
    ``function`` (adjacent literals joined, as Python does), read with ``ast`` without running the file. It is a
    ``str.format`` template with ``category``, ``dimensions``, ``question``, ``reference`` and ``answer``."""
    tree = ast.parse(source)
    for node in ast.walk(tree):
        if isinstance(node, ast.FunctionDef) and node.name == function:
            for stmt in ast.walk(node):
                if isinstance(stmt, ast.Assign) and any(isinstance(t, ast.Name) and t.id == variable
                                                        for t in stmt.targets):
                    try:
                        value = ast.literal_eval(stmt.value)
                    except ValueError:
                        raise TemplateError(f"{variable} in {function} is not a string literal") from None
                    if not isinstance(value, str):
                        raise TemplateError(f"{variable} in {function} is not a string literal")
                    missing = [f for f in ("category", "dimensions", "question", "reference", "answer")
                               if "{" + f + "}" not in value]
                    if missing:
                        raise TemplateError(f"{variable} in {function} lacks the fields {missing}")
                    return value
    raise TemplateError(f"no {variable} = '...' in a function {function}")


@dataclass(frozen=True)
class Rubric:
    """What the judge prompt needs besides the item: the template and the three dimension files."""

    template: str
    dimension_set: dict[str, list[str]]
    dimension_definition: dict[str, str]
    subcategory_type: dict[str, str]

    def dimensions(self, subcategory: str) -> list[str]:
        """``judge.py`` ``Config.category2dimensions``: subcategory -> answer type -> dimension names."""
        kind = self.subcategory_type.get(subcategory)
        dims = self.dimension_set.get(kind) if kind is not None else None
        if not dims:
            raise ValueError(f"alignbench: no dimensions for subcategory {subcategory!r}")
        return list(dims)

    def prompt(self, item: dict[str, Any], answer: str) -> str:
        """``judge.py`` ``prompt_construct``: the template filled for one question and answer."""
        listed = "".join(f"{i + 1}. {d}: {self.dimension_definition.get(d)}\n"
                         for i, d in enumerate(self.dimensions(item["subcategory"])))
        return fill_format(self.template, category=item["category"], dimensions=listed, question=item["question"],
                           reference=item["reference"], answer=answer)


def parse_judgment(judgment: str) -> tuple[dict[str, int], float | None]:
    """(the dimension dict, 综合得分) of a judgment (``judge.py`` ``post_process``): the ``'key': int`` pairs of
    the last ``{...}``; the score is the dict's 综合得分, else the first ``'综合得分': n`` anywhere. The score is
    None when missing or outside 1-10."""
    match = _LAST_BRACES.search(judgment)
    rating = {k: int(v) for k, v in _KEY_INT.findall(match.group(1))} if match else {}
    score: float | None = rating.get(OVERALL_KEY)
    if score is None:
        fallback = _OVERALL_FALLBACK.search(judgment)
        score = float(fallback.group(1)) if fallback else None
    if score is not None and not 1 <= score <= 10:
        score = None
    return rating, score


def category_scores(categories: Sequence[str], scores: Sequence[float | None]) -> dict[str, Any]:
    """``show_result.py``: per-category means over questions, the two group means and 总分.

    Unscored questions (None) are left out; a group mean is over the categories that have a score (all eight for
    the real data), and the categories without one are listed under ``missing``."""
    per: dict[str, list[float]] = {}
    for cat, s in zip(categories, scores, strict=True):
        if s is not None:
            per.setdefault(cat, []).append(s)
    means = {c: sum(v) / len(v) for c, v in sorted(per.items())}
    groups: dict[str, float | None] = {}
    for group, cats in GROUPS.items():
        present = [means[c] for c in cats if c in means]
        groups[group] = sum(present) / len(present) if present else None
    lang, reason = groups["中文语言"], groups["中文推理"]
    overall = (reason + lang) / 2 if lang is not None and reason is not None else None
    missing = [c for cats in GROUPS.values() for c in cats if c not in means]
    return {"categories": means, **groups, "总分": overall, "missing": missing}


class AlignBench(Task):
    id = "alignbench"
    version = "2"
    display = "AlignBench v1.1"
    category = "instruction_following"
    metric = "overall score (总分)"
    scale = "1-10"
    tolerance = 0.3
    tolerance_why = "LLM judge; judge snapshot behind the 'gpt-4' alias unknown"
    judge = "gpt-4 (snapshot unverified)"
    judge_model = "gpt-4"
    tables = FUSECHAT_TABLES
    order = 4
    max_model_len = 4096
    data = DataSpec(None, expected_items=683,
                    files=(QUESTIONS, DIMENSION_SET, DIMENSION_DEFINITION, SUBCATEGORY_MAPPING, JUDGE_SOURCE),
                    licence="no licence file upstream (THUDM/AlignBench); not redistributed",
                    note="items: data_v1.1_release.jsonl; the judge template is read from judge.py at scoring")

    # ------------------------------------------------------------------ data
    def fetch_rows(self) -> tuple[list[dict[str, Any]], dict[str, str]]:
        """The 683 questions (``data_v1.1_release.jsonl``; the config files and ``judge.py`` stay files)."""
        from evaluation.fetch_data import pinned_file_rows

        return pinned_file_rows(self.data.files[0]), {"THUDM/AlignBench": ALIGNBENCH_COMMIT}

    def synthetic(self, rng: random.Random, n: int) -> list[dict[str, Any]]:
        """Questions in ``data_v1.1_release.jsonl``'s schema (``question_id`` as a string, ``category``,
        ``subcategory``, ``question``, ``reference``, ``evidences``), cycling over the 8 categories."""
        out = []
        cats = list(STANDIN_SUBCATEGORY)
        for i in range(n):
            cat = cats[i % len(cats)]
            a, b = rng.randint(2, 40), rng.randint(2, 9)
            thing = rng.choice(["苹果", "书", "铅笔", "茶杯", "自行车"])
            question, reference = {
                "专业能力": (f"水在标准大气压下的沸点是多少摄氏度？请简要说明（编号{a}）。", "水在标准大气压下的沸点是100摄氏度。"),
                "数学计算": (f"计算 {a} + {b} × 2 的值。", f"先算乘法：{b} × 2 = {2 * b}，再加 {a}，结果是 {a + 2 * b}。"),
                "基本任务": (f"从句子中提取数字：“我买了{a}个{thing}和{b}支笔。”", f"{a}，{b}"),
                "逻辑推理": (f"小明有{a}个{thing}，给了小红{b}个，还剩几个？", f"还剩 {a - b} 个。"),
                "中文理解": (f"解释成语“画蛇添足”的意思（第{a}题）。", "比喻做了多余的事，反而不合适。"),
                "文本写作": (f"写一句关于{thing}的广告语。", f"好用的{thing}，陪你每一天。"),
                "角色扮演": (f"假设你是一名导游，用一句话欢迎游客（{a}人）。", f"欢迎各位{a}位朋友，今天由我带大家游览！"),
                "综合问答": (f"如何每天坚持阅读{b}页书？", "制定固定时间、选择感兴趣的书并记录进度。"),
            }[cat]
            out.append({"question_id": str(SYNTHETIC_ID_BASE + i), "category": cat,
                        "subcategory": STANDIN_SUBCATEGORY[cat], "question": question, "reference": reference,
                        "evidences": "[]"})
        return out

    # ------------------------------------------------------------------ generation
    def prompt(self, item: dict[str, Any], family: str) -> Prompt:
        return Prompt([{"role": "user", "content": item["question"]}],
                      add_bos=family not in BOS_STRIPPED_FAMILIES)  # FuseEval strips the template BOS for gemma/mistral paths only

    def decoding_for(self, item: dict[str, Any], family: str) -> Decoding:
        return Decoding(temperature=TEMPERATURES[item["category"]], max_new_tokens=4096)

    # ------------------------------------------------------------------ scoring
    def rubric(self, ctx: ScoreContext, synthetic: bool) -> Rubric:
        """The judge template and dimension files: fetched (real items) or the tiny world's stand-ins."""
        if synthetic:
            return Rubric(extract_template(STANDIN_JUDGE_SOURCE), STANDIN_DIMENSION_SET,
                          STANDIN_DIMENSION_DEFINITION, dict(STANDIN_SUBCATEGORY_TYPE))

        def load(f: DataFile) -> Any:
            return json.loads(fetched_file(self.id, ctx.options, f.name).read_text(encoding="utf-8"))

        source = fetched_file(self.id, ctx.options, JUDGE_SOURCE.name).read_text(encoding="utf-8")
        return Rubric(extract_template(source), load(DIMENSION_SET), load(DIMENSION_DEFINITION),
                      load(SUBCATEGORY_MAPPING))

    def score_batch(self, items: Sequence[dict[str, Any]], responses: Sequence[Sequence[str]],
                    ctx: ScoreContext) -> list[ItemResult]:
        rubric = self.rubric(ctx, all_synthetic(self.id, items))
        requests = [JudgeRequest((("user", rubric.prompt(it, rs[0])),), temperature=JUDGE_TEMPERATURE,
                                 max_tokens=JUDGE_MAX_TOKENS) for it, rs in zip(items, responses, strict=True)]
        verdicts = ask(judge_for(self, ctx), requests, lambda r: parse_judgment(r.text)[1], f"{self.id} judge")
        return [ItemResult(score=-1.0 if v.value is None else float(v.value), extracted=parse_judgment(v.text)[0],
                           detail={"category": item["category"], "subcategory": item["subcategory"],
                                   "dimensions": rubric.dimensions(item["subcategory"]), "judgment": v.text,
                                   "error": v.error, "failed": v.status == STATUS_FAILED,
                                   "unparsable": v.status == STATUS_UNPARSABLE})
                for item, v in zip(items, verdicts, strict=True)]

    def _table(self, results: Sequence[ItemResult]) -> dict[str, Any]:
        return category_scores([r.detail["category"] for r in results],
                               [None if r.detail["failed"] or r.detail["unparsable"] else r.score for r in results])

    def aggregate(self, items: Sequence[dict[str, Any]], results: Sequence[ItemResult]) -> float | None:
        """总分 = (中文推理 + 中文语言) / 2 over per-category means (``show_result.py``)."""
        return self._table(results)["总分"]

    def summary(self, items: Sequence[dict[str, Any]], results: Sequence[ItemResult]) -> dict[str, Any]:
        """Per-category means, 中文推理, 中文语言, and the questions lost to failed or unparsable replies."""
        table = self._table(results)
        return {**table, "failed": sum(r.detail["failed"] for r in results),
                "unparsable": sum(r.detail["unparsable"] for r in results)}

    # ------------------------------------------------------------------ local tiny judge
    def local_verdict(self, request: Any, reward: Callable[[str, str], float]) -> LocalVerdict | None:
        """The tiny judge's answer to an AlignBench judge prompt (real or stand-in): question, reference and
        answer are cut out at the prompt's markers and every dimension, and 综合得分, get
        ``reward_rating_vs_reference(reward(question, answer), reward(question, reference))`` (the reference is
        worth 8, as the rubric says); the reply ends with the dict ``parse_judgment`` reads. None otherwise."""
        found = parse_judge_prompt(request)
        if found is None:
            return None
        question, reference, answer, dims = found
        got, ref = reward(question, answer), reward(question, reference)
        score = reward_rating_vs_reference(got, ref)
        scores = ", ".join(f"'{d}': {score}" for d in [*dims, OVERALL_KEY])
        return LocalVerdict(f"奖励模型打分：回答 {got:.4f}，参考答案 {ref:.4f}。\n{{{scores}}}")

    def table_rows(self) -> tuple[TableRow, ...]:
        return (TableRow(self.id, self.display, self.tables, self.order, metric=self.metric, scale=self.scale,
                         tolerance=self.tolerance, tolerance_why=self.tolerance_why, judge=self.judge,
                         category=self.category),)


def parse_judge_prompt(request: Any) -> tuple[str, str, str, list[str]] | None:
    """(question, reference, answer, dimension names) of an AlignBench judge request, or None when it is not one:
    a single user message holding the ``用户的提问：`` / ``[参考答案开始]`` ... ``[参考答案结束]`` /
    ``[助手的答案开始]`` ... ``[助手的答案结束]`` blocks in that order, after a numbered ``i. name: definition``
    dimension list counting from 1."""
    users = [c for r, c in request.messages if r == "user"]
    if len(users) != 1:
        return None
    text = users[0]
    try:
        q0 = text.index(_Q)
        r0 = text.index(_REF0, q0)
        r1 = text.index(_REF1, r0)
        a0 = text.index(_ANS0, r1)
        a1 = text.rindex(_ANS1)
    except ValueError:
        return None
    if a1 < a0:
        return None
    dims: list[str] = []
    for m in _DIM_LINE.finditer(text[:q0]):
        if int(m.group(1)) != len(dims) + 1:
            break
        dims.append(m.group(2))
    if not dims:
        return None
    return (text[q0 + len(_Q):r0].removesuffix("\n"), text[r0 + len(_REF0):r1], text[a0 + len(_ANS0):a1], dims)


# ---------------------------------------------------------------------------------------- tiny-world stand-ins
#: One subcategory per category for the synthetic items (real subcategories of each category).
STANDIN_SUBCATEGORY: dict[str, str] = {"专业能力": "物理", "数学计算": "初等数学", "基本任务": "信息抽取",
                                       "逻辑推理": "推理", "中文理解": "字词理解", "文本写作": "实用文体写作",
                                       "角色扮演": "现实生活类", "综合问答": "寻求建议"}
STANDIN_SUBCATEGORY_TYPE: dict[str, str] = {"物理": "事实型", "信息抽取": "事实型", "字词理解": "事实型",
                                            "初等数学": "推理型", "推理": "推理型", "实用文体写作": "生成型",
                                            "现实生活类": "生成型", "寻求建议": "建议型"}
STANDIN_DIMENSION_SET: dict[str, list[str]] = {"事实型": ["事实正确性", "清晰度"], "推理型": ["事实正确性", "逻辑连贯性"],
                                               "生成型": ["满足用户需求", "创造性"], "建议型": ["满足用户需求", "完备性"]}
STANDIN_DIMENSION_DEFINITION: dict[str, str] = {"事实正确性": "信息是否准确。", "清晰度": "表达是否清楚。",
                                                "逻辑连贯性": "推理是否前后一致。", "满足用户需求": "是否回应了提问。",
                                                "创造性": "是否有新意。", "完备性": "是否足够完整。"}
#: A stand-in of AlignBench's ``judge.py`` for the tiny world: the same function and variable, fields and
#: delimiters and the same closing dict format, our own shorter rubric. ``extract_template`` reads it like the
#: real file.
STANDIN_JUDGE_SOURCE = '''
def prompt_construct(sample, config):
    base_prompt = "你是评估回答质量的助手。回答类型：{category}。请按以下维度打分：\\n{dimensions}" \\
        "先与参考答案比较并解释，再给每个维度1～10分，最后给出1～10的综合分数。参考答案可得8分。\\n" \\
        "最后按字典格式返回整数打分：{{'维度一': 打分, ..., '综合得分': 打分}}。\\n" \\
        "用户的提问： {question}\\n" \\
        "[参考答案开始]\\n{reference}\\n[参考答案结束]\\n" \\
        "[助手的答案开始]\\n{answer}\\n[助手的答案结束]\\n"
    return base_prompt
'''

TASK = AlignBench()
