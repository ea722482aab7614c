"""MT-Bench and AlignBench v1.1 (judged tasks, issue 11) without a network or a real judge: upstream rating
parsers on malformed judgments, AlignBench's score formula on a hand-computed case and its template extractor,
the local tiny judge's verdicts, the table rows, and score_batch + aggregate_rows end to end with a fake judge."""

from __future__ import annotations

import dataclasses
import json
import random
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import pytest
from paper_rows_record import PAPER_ROWS

from evaluation.judge import JUDGE_OPTION, Judge, JudgeReply, JudgeRequest
from evaluation.tasks import alignbench as ab
from evaluation.tasks import get_task
from evaluation.tasks import mt_bench as mt
from evaluation.tasks._judged_files import JudgedDataError, reward_rating, reward_rating_vs_reference
from evaluation.tasks.base import DataFile, ScoreContext


@dataclasses.dataclass
class FakeJudge(Judge):
    """Canned replies: ``answer(request, position) -> JudgeReply``; records every request."""

    answer: Callable[[JudgeRequest, int], JudgeReply] = lambda r, i: JudgeReply("")
    seen: list[JudgeRequest] = dataclasses.field(default_factory=list)

    def chat(self, requests: Sequence[JudgeRequest], desc: str = "judging") -> list[JudgeReply]:
        self.seen += list(requests)
        return [self.answer(r, i) for i, r in enumerate(requests)]


def ctx_with(judge: Judge, **options: Any) -> ScoreContext:
    return ScoreContext(options={JUDGE_OPTION: lambda task: judge, **options})


# ---------------------------------------------------------------------------------------------------- MT-Bench
@pytest.mark.parametrize(("text", "rating"), [
    ("The answer is fine.\n\nRating: [[8]]", 8),
    ("Rating: [[10]]", 10),
    ("Rating: [[1]]", 1),
    ("Rating: [[7.5]]", 7.5),  # upstream literal_eval accepts decimals
    ("Rating: [6]", 6),  # the [x] backup pattern
    ("first [[3]], then on reflection [[9]]", 3),  # two ratings: the first one, as re.search upstream
    ("[5] but then [[9]]", 9),  # [[x]] is searched before the backup
    ("no rating at all", None),
    ("Rating: [[rating]]", None),
    ("$ERROR$", None),  # FastChat's API_ERROR_OUTPUT
    ("Rating: [[0]]", None),
    ("Rating: [[11]]", None),
    ("Rating: [[-3]]", None),
])
def test_mt_bench_rating_parser(text: str, rating: float | None) -> None:
    assert mt.parse_rating(text) == rating


def test_mt_bench_judge_prompt_choice_and_decoding() -> None:
    task = get_task("mt_bench")
    assert mt.judge_prompt_names("math") == ("single-math-v1", "single-math-v1-multi-turn")
    assert mt.judge_prompt_names("coding") == mt.judge_prompt_names("reasoning") == mt.judge_prompt_names("math")
    assert mt.judge_prompt_names("writing") == ("single-v1", "single-v1-multi-turn")
    temps = {c: task.decoding_for({"category": c}, "llama3").temperature for c in mt.TEMPERATURES}
    assert temps == {"writing": 0.7, "roleplay": 0.7, "extraction": 0.0, "math": 0.0, "coding": 0.0,
                     "reasoning": 0.0, "stem": 0.1, "humanities": 0.1}
    assert task.decoding_for({"category": "math"}, "qwen2").max_new_tokens == 4096 and task.turns == 2
    assert task.judge_model == "gpt-4-0125-preview" and task.max_model_len == 4096


def test_table_rows_equal_the_paper_rows() -> None:
    mt_rows = get_task("mt_bench").table_rows()
    assert [r.id for r in mt_rows] == ["mt_bench_turn1", "mt_bench_turn2", "mt_bench"]
    for row in (*mt_rows, *get_task("alignbench").table_rows()):
        assert row == PAPER_ROWS[row.id], row.id


def _mt_answers(items: list[dict[str, Any]]) -> list[list[str]]:
    return [[f"first answer {i}", f"second answer {i}"] for i in range(len(items))]


def test_mt_bench_score_batch_end_to_end_with_a_fake_judge() -> None:
    task = get_task("mt_bench")
    items = task.synthetic(random.Random(0), 8)  # one per category; math, coding, reasoning use references
    # request 2k is item k's turn 1, 2k+1 its turn 2
    canned = {0: "[[8]]", 1: "[[6]]", 2: "[[9]]", 3: "no rating", 4: "[[7]]", 5: "[[11]]", 6: "[[10]]", 7: "[[4]]",
              8: None, 9: "[[5]]", 10: "[[3]]", 11: "[[2]]", 12: "[[7.5]]", 13: "[[8]]", 14: "[[6]]", 15: "[[6]]"}

    def answer(req: JudgeRequest, i: int) -> JudgeReply:
        return JudgeReply("", error="timeout") if canned[i] is None else JudgeReply(f"Fine.\n\nRating: {canned[i]}")

    judge = FakeJudge("gpt-4-0125-preview", answer=answer)
    results = task.score_batch(items, _mt_answers(items), ctx_with(judge))
    t1 = [8, 9, 7, 10, 3, 7.5, 6]  # item 4's turn 1 failed
    t2 = [6, 4, 5, 2, 8, 6]  # item 1 no rating, item 2 out of range
    rows = task.aggregate_rows(items, results)
    assert rows["mt_bench_turn1"] == pytest.approx(sum(t1) / 7)
    assert rows["mt_bench_turn2"] == pytest.approx(sum(t2) / 6)
    assert rows["mt_bench"] == pytest.approx(sum(t1 + t2) / 13)  # over all valid turn ratings
    assert rows["mt_bench"] != pytest.approx((sum(t1) / 7 + sum(t2) / 6) / 2)  # not the mean of the turn means
    assert judge.stats.unparsable == 2
    assert [r.extracted for r in results[:3]] == [[8, 6], [9, -1], [7, -1]]
    summary = task.summary(items, results)
    assert summary["failed"] == 1 and summary["unparsable"] == 2 and summary["valid_ratings"] == 13
    assert summary["categories"]["writing"] == 7.0
    # the requests: system + user, temperature 0, 2048 tokens; references only for math/reasoning/coding
    assert len(judge.seen) == 16
    assert all(r.temperature == 0.0 and r.max_tokens == 2048 and [m[0] for m in r.messages] == ["system", "user"]
               for r in judge.seen)
    math_k = next(k for k, it in enumerate(items) if it["category"] == "math")
    turn2 = judge.seen[2 * math_k + 1].messages[1][1]
    for text in (*items[math_k]["turns"], *items[math_k]["reference"], "first answer", "second answer"):
        assert text in turn2
    writing_turn1 = judge.seen[0].messages[1][1]
    assert "Reference" not in writing_turn1 and items[0]["turns"][0] in writing_turn1


def test_mt_bench_real_items_read_fetched_files_and_the_reference_option(tmp_path: Path) -> None:
    """Real items (ids below 10000) take the judge prompts and the reference answers from the fetched files; the
    reference file is a task option, independent of the judge's name."""
    task = get_task("mt_bench")
    items = [dict(it, question_id=100 + i) for i, it in enumerate(task.synthetic(random.Random(1), 4))]
    math = next(it for it in items if it["category"] == "math")
    files = tmp_path / "mt_bench" / "files"
    files.mkdir(parents=True)
    (files / "judge_prompts.jsonl").write_text("".join(json.dumps(p) + "\n" for p in
                                                       mt.STANDIN_JUDGE_PROMPTS.values()))
    ref = {"question_id": math["question_id"], "model_id": "x", "choices": [{"index": 0, "turns": ["R1!", "R2!"]}]}
    (files / "other-judge-refs.jsonl").write_text(json.dumps(ref) + "\n")
    judge = FakeJudge("some-local-judge", answer=lambda r, i: JudgeReply("[[5]]"))
    ctx = ctx_with(judge, data_dir=str(tmp_path / "mt_bench"), reference_answers="other-judge-refs.jsonl")
    task.score_batch(items, _mt_answers(items), ctx)
    assert any("R1!" in r.messages[1][1] and "R2!" in r.messages[1][1] for r in judge.seen)
    with pytest.raises(JudgedDataError, match="gpt-4-0125-preview.jsonl not found; run: python "
                                              "evaluation/fetch_data.py --task mt_bench"):
        task.score_batch(items, _mt_answers(items), ctx_with(judge, data_dir=str(tmp_path / "mt_bench")))
    with pytest.raises(JudgedDataError, match="synthetic .* and real items"):
        task.score_batch([items[0], task.synthetic(random.Random(0), 1)[0]], [["a", "b"]] * 2, ctx)


def test_mt_bench_local_verdict_reads_its_own_prompts_only() -> None:
    task = get_task("mt_bench")
    items = task.synthetic(random.Random(2), 8)
    seen: list[tuple[str, str]] = []

    def reward(q: str, a: str) -> float:
        seen.append((q, a))
        return (len(a) - 12) / 2.0

    judge = FakeJudge("tiny", answer=lambda r, i: JudgeReply(task.local_verdict(r, reward).text))
    answers = [[f"short {i}", f"a much longer second answer {i}"] for i in range(8)]
    results = task.score_batch(items, answers, ctx_with(judge))
    # every request recognised, graded on the right turn's question and answer
    assert seen[:2] == [(items[0]["turns"][0], answers[0][0]), (items[0]["turns"][1], answers[0][1])]
    assert len(seen) == 16 and judge.stats.unparsable == 0
    assert results[0].extracted == [reward_rating((len("short 0") - 12) / 2), 10]
    # monotone mapping onto 1-10
    ratings = [reward_rating(x) for x in (-50, -3, -1, 0, 0.5, 2, 50)]
    assert ratings == sorted(ratings) and ratings[0] == 1 and ratings[-1] == 10 and reward_rating(0) == 6
    # not ours: AlignBench, a pairwise MT-Bench prompt, an Arena-Hard-style prompt, plain chat
    alien = [ab.TASK.rubric(None, True).prompt(ab.TASK.synthetic(random.Random(0), 1)[0], "答"),
             "[Question]\nq\n\n[The Start of Assistant A's Answer]\na\n[The End of Assistant A's Answer]\n\n"
             "[The Start of Assistant B's Answer]\nb\n[The End of Assistant B's Answer]",
             "<|User Prompt|>\nq\n\n<|The Start of Assistant A's Answer|>\na\n<|The End of Assistant A's Answer|>",
             "Hello there"]
    for text in alien:
        assert task.local_verdict(JudgeRequest((("user", text),)), reward) is None


# ---------------------------------------------------------------------------------------------------- AlignBench
@pytest.mark.parametrize(("text", "score", "rating"), [
    ("解释……\n{'事实正确性': 9, '满足用户需求': 6, '综合得分': 7}", 7, {"事实正确性": 9, "满足用户需求": 6, "综合得分": 7}),
    ("示例 {'事实正确性': 1, '综合得分': 2}\n最终：{'事实正确性': 8, '综合得分': 8}", 8, {"事实正确性": 8, "综合得分": 8}),
    ("{'事实正确性': 7}\n综合来看 '综合得分': 6.5 分", 6.5, {"事实正确性": 7}),  # regex fallback, decimals
    ("{'综合得分': 7.5}", 7, {"综合得分": 7}),  # upstream's int pattern reads the 7 of 7.5
    ("没有打分", None, {}),
    ('{"事实正确性": 8, "综合得分": 8}', None, {}),  # double quotes: neither upstream pattern matches
    ("{'综合得分': 0}", None, {"综合得分": 0}),
    ("{'综合得分': 11}", None, {"综合得分": 11}),
])
def test_alignbench_judgment_parser(text: str, score: float | None, rating: dict[str, int]) -> None:
    assert ab.parse_judgment(text) == (rating, score)


def test_alignbench_score_formula_hand_computed() -> None:
    cats = ["数学计算", "数学计算", "逻辑推理", "基本任务", "中文理解", "综合问答", "综合问答", "文本写作", "角色扮演", "专业能力",
            "专业能力"]
    scores = [6, 8, 5, 8, 6, 7, 9, 4, 10, 3, None]
    got = ab.category_scores(cats, scores)
    assert got["categories"]["数学计算"] == 7 and got["categories"]["专业能力"] == 3  # None left out
    assert got["中文推理"] == 6.0  # (7 + 5) / 2
    assert got["中文语言"] == pytest.approx(6.5)  # (8 + 6 + 8 + 4 + 10 + 3) / 6
    assert got["总分"] == pytest.approx(6.25)
    # per-category means first: the plain mean over questions would differ
    assert got["总分"] != pytest.approx(sum(s for s in scores if s is not None) / 10)
    assert got["missing"] == []


def test_alignbench_template_extractor() -> None:
    template = ab.extract_template(ab.STANDIN_JUDGE_SOURCE)
    assert template.startswith("你是评估回答质量的助手。") and "{{'维度一'" in template and "{answer}" in template
    with pytest.raises(ab.TemplateError, match="no base_prompt"):
        ab.extract_template("def other():\n    base_prompt = '{category}'\n")
    with pytest.raises(ab.TemplateError, match="not a string literal"):
        ab.extract_template("def prompt_construct(s, c):\n    base_prompt = f'{s}'\n")
    with pytest.raises(ab.TemplateError, match=r"lacks the fields \['reference'\]"):
        ab.extract_template("def prompt_construct(s, c):\n    base_prompt = '{category}{dimensions}{question}"
                            "{answer}'\n")
    rubric = ab.TASK.rubric(None, True)
    item = ab.TASK.synthetic(random.Random(0), 2)[1]  # 数学计算 / 初等数学
    prompt = rubric.prompt(item, "答案")
    assert "1. 事实正确性: 信息是否准确。\n2. 逻辑连贯性: 推理是否前后一致。\n" in prompt
    assert "回答类型：数学计算" in prompt and "{'维度一': 打分, ..., '综合得分': 打分}" in prompt


def test_alignbench_decoding_per_category() -> None:
    task = get_task("alignbench")
    temps = {c: task.decoding_for({"category": c}, "qwen2").temperature for c in ab.TEMPERATURES}
    assert {c for c, t in temps.items() if t == 0.7} == {"文本写作", "角色扮演", "综合问答"}
    assert {c for c, t in temps.items() if t == 0.1} == {"数学计算", "逻辑推理", "专业能力", "中文理解", "基本任务"}
    assert task.decoding_for({"category": "数学计算"}, "qwen2").max_new_tokens == 4096
    assert task.judge_model == "gpt-4" and task.turns == 1


def test_alignbench_score_batch_end_to_end_with_a_fake_judge() -> None:
    task = get_task("alignbench")
    items = task.synthetic(random.Random(0), 10)  # 8 categories, then 专业能力 and 数学计算 again
    canned = ["{'事实正确性': 6, '综合得分': 6}", "{'综合得分': 8}", "{'综合得分': 7}", "{'综合得分': 5}",
              "{'综合得分': 9}", "无法评价", "{'综合得分': 4}", "{'综合得分': 3}", None, "{'综合得分': 6}"]
    judge = FakeJudge("gpt-4", answer=lambda r, i: JudgeReply("", error="500") if canned[i] is None
                      else JudgeReply("评价。" + canned[i]))
    results = task.score_batch(items, [[f"回答{i}"] for i in range(10)], ctx_with(judge))
    assert [it["category"] for it in items[:8]] == list(ab.STANDIN_SUBCATEGORY)
    # 专业能力 6 (item 8 failed), 数学计算 (8+6)/2=7, 基本任务 7, 逻辑推理 5, 中文理解 9, 文本写作 unparsable,
    # 角色扮演 4, 综合问答 3
    summary = task.summary(items, results)
    assert summary["categories"] == {"专业能力": 6, "数学计算": 7, "基本任务": 7, "逻辑推理": 5, "中文理解": 9,
                                     "角色扮演": 4, "综合问答": 3}
    assert summary["中文推理"] == 6 and summary["中文语言"] == pytest.approx((6 + 7 + 9 + 4 + 3) / 5)
    assert summary["missing"] == ["文本写作"] and summary["failed"] == 1 and summary["unparsable"] == 1
    assert task.aggregate_rows(items, results) == {"alignbench": pytest.approx((6 + 29 / 5) / 2)}
    assert judge.stats.unparsable == 1
    req = judge.seen[1]
    assert [m[0] for m in req.messages] == ["user"] and req.temperature == 0.0
    assert items[1]["question"] in req.messages[0][1] and items[1]["reference"] in req.messages[0][1]
    assert results[0].detail["dimensions"] == ["事实正确性", "清晰度"] and results[0].extracted["事实正确性"] == 6


def test_alignbench_real_items_use_the_fetched_judge_source(tmp_path: Path) -> None:
    task = get_task("alignbench")
    items = [dict(it, question_id=str(i + 1)) for i, it in enumerate(task.synthetic(random.Random(0), 3))]
    files = tmp_path / "files"
    files.mkdir()
    (files / "judge.py").write_text(ab.STANDIN_JUDGE_SOURCE.replace("你是评估回答质量的助手", "FETCHED COPY"))
    for f, obj in (("dimension_set.json", ab.STANDIN_DIMENSION_SET),
                   ("dimension_definition.json", ab.STANDIN_DIMENSION_DEFINITION),
                   ("subcategory_question_mapping.json", ab.STANDIN_SUBCATEGORY_TYPE)):
        (files / f).write_text(json.dumps(obj, ensure_ascii=False))
    judge = FakeJudge("gpt-4", answer=lambda r, i: JudgeReply("{'综合得分': 5}"))
    results = task.score_batch(items, [["答"]] * 3, ctx_with(judge, data_dir=str(tmp_path)))
    assert all(r.messages[0][1].startswith("FETCHED COPY") for r in judge.seen)
    assert task.aggregate(items, results) == 5.0
    (files / "judge.py").unlink()
    with pytest.raises(JudgedDataError, match="judge.py not found"):
        task.score_batch(items, [["答"]] * 3, ctx_with(judge, data_dir=str(tmp_path)))


def test_alignbench_local_verdict() -> None:
    task = get_task("alignbench")
    item = task.synthetic(random.Random(4), 1)[0]
    prompt = task.rubric(None, True).prompt(item, "我的回答")
    calls: list[tuple[str, str]] = []

    def reward(q: str, a: str) -> float:
        calls.append((q, a))
        return 1.0 if a == "我的回答" else 0.0

    verdict = task.local_verdict(JudgeRequest((("user", prompt),)), reward)
    assert calls == [(item["question"], "我的回答"), (item["question"], item["reference"])]
    expected = reward_rating_vs_reference(1.0, 0.0)
    assert expected == 10 and reward_rating_vs_reference(0.0, 0.0) == 8 and reward_rating_vs_reference(-9, 0) == 1
    rating, score = ab.parse_judgment(verdict.text)
    assert score == expected and rating == {"事实正确性": expected, "清晰度": expected, "综合得分": expected}
    steps = [reward_rating_vs_reference(x, 0.0) for x in (-5, -1, -0.3, 0, 0.1, 0.4, 3)]
    assert steps == sorted(steps)
    # not ours: MT-Bench prompts, two user turns, plain chat
    mt_req = mt.judge_request(mt.STANDIN_JUDGE_PROMPTS["single-v1"], {"turns": ["q", "q2"]}, ["a", "b"], 1, None)
    assert task.local_verdict(mt_req, reward) is None
    assert task.local_verdict(JudgeRequest((("user", prompt), ("user", prompt))), reward) is None
    assert task.local_verdict(JudgeRequest((("user", "你好"),)), reward) is None


def test_fetch_keeps_questions_as_items_and_judge_files_as_files(tmp_path: Path) -> None:
    """``fetch_data`` with a task's ``fetch_rows``: only the question file becomes items.jsonl; judge prompts and
    references land under files/ (file:// stand-ins of the pinned URLs)."""
    from evaluation.fetch_data import fetch_task

    task = get_task("mt_bench")
    src = tmp_path / "src"
    src.mkdir()
    qs = task.synthetic(random.Random(0), 3)
    (src / "question.jsonl").write_text("".join(json.dumps(q) + "\n" for q in qs))
    (src / "judge_prompts.jsonl").write_text("".join(json.dumps(p) + "\n" for p in mt.STANDIN_JUDGE_PROMPTS.values()))
    (src / "refs.jsonl").write_text("".join(json.dumps(r) + "\n" for r in mt.standin_references(qs)))
    files = tuple(DataFile(f.name, (src / local).as_uri()) for f, local in
                  zip(task.data.files, ("question.jsonl", "judge_prompts.jsonl", "refs.jsonl"), strict=True))
    local = type(task)()
    local.data = dataclasses.replace(task.data, files=files, expected_items=3)  # type: ignore[misc]
    folder = fetch_task(local, tmp_path / "data")
    items = [json.loads(line) for line in (folder / "items.jsonl").read_text().splitlines()]
    assert items == qs
    assert sorted(p.name for p in (folder / "files").iterdir()) == ["gpt-4-0125-preview.jsonl", "judge_prompts.jsonl",
                                                                   "question.jsonl"]
    assert json.loads((folder / "fetch.json").read_text())["revision"] == f"lm-sys/FastChat@{mt.FASTCHAT_COMMIT}"
