"""MT-Bench against FastChat's llm_judge at 0e6d3e4 (golden files by tests/golden/make_mt_bench.py): the judge
prompt and the rating of 400 realistic and adversarial judgments through ``MTBench.score_batch``, and the turn /
overall means of ``show_result.display_result_single``. Disagreements are allowed only under the two documented
deviations, and are counted: a rating with a leading zero (``[[07]]``: upstream's ``ast.literal_eval`` raises, here
7) and a rating outside 1-10 (upstream keeps it, here unparsable)."""

from __future__ import annotations

import hashlib
import json
import math
import re
from pathlib import Path

import pytest

from evaluation.judge import JUDGE_OPTION, Judge, JudgeReply
from evaluation.tasks.base import ItemResult, ScoreContext
from evaluation.tasks.mt_bench import REFERENCE_CATEGORIES, MTBench

GOLDEN = Path(__file__).resolve().parents[1] / "golden" / "mt_bench"
#: Counted in docs/judged_benchmarks.md.
DOCUMENTED = {"leading zero": 21, "out of range": 73}
FILLER = "Rating: [[5]]"


def cases() -> list[dict]:
    lines = (GOLDEN / "rating.jsonl").read_text(encoding="utf-8").splitlines()
    return [json.loads(line) for line in lines[1:]]


class ListJudge(Judge):
    def __init__(self, replies: list[str]):
        super().__init__("golden-judge")
        self.replies, self.requests = replies, []

    def chat(self, requests, desc="judging"):
        out = [JudgeReply(self.replies[len(self.requests) + k]) for k in range(len(requests))]
        self.requests += list(requests)
        return out


def test_ratings_and_prompts_agree_with_fastchat() -> None:
    all_cases = cases()
    items, replies, turns = [], [], []
    for c in all_cases:
        math_prompt = "math" in c["prompt"]
        turn = 2 if c["prompt"].endswith("multi-turn") else 1
        item = {"question_id": 10_000 + c["id"], "category": "math" if math_prompt else "writing",
                "turns": c["question"]}
        if math_prompt:
            item["reference"] = c["reference"]
        assert (item["category"] in REFERENCE_CATEGORIES) == math_prompt
        items.append(item)
        turns.append(turn)
        replies += [c["judgment"], FILLER] if turn == 1 else [FILLER, c["judgment"]]
    judge = ListJudge(replies)
    results = MTBench().score_batch(items, [c["answers"] for c in all_cases],
                                    ScoreContext(options={JUDGE_OPTION: lambda t: judge}))
    counted = {"leading zero": 0, "out of range": 0}
    for k, (c, r, turn) in enumerate(zip(all_cases, results, turns, strict=True)):
        up = c["upstream"]
        request = judge.requests[2 * k + turn - 1]
        mine = r.extracted[turn - 1]
        if up["error"] is not None:
            found = re.search(r"\[\[(0\d+)\]\]", c["judgment"])
            assert up["error"] == "SyntaxError" and found, c["id"]
            assert mine == (int(found.group(1)) if 1 <= int(found.group(1)) <= 10 else -1), c["id"]
            counted["leading zero"] += 1
            continue
        assert hashlib.sha256(request.messages[1][1].encode()).hexdigest() == up["user_prompt_sha256"], c["id"]
        if up["rating"] != -1 and not 1 <= up["rating"] <= 10:
            assert mine == -1, c["id"]
            counted["out of range"] += 1
            continue
        assert mine == up["rating"] and type(mine) is type(up["rating"]), (c["id"], mine, up["rating"])
    assert counted == DOCUMENTED


@pytest.mark.parametrize("k", range(20))
def test_means_agree_with_show_result(k: int) -> None:
    case = json.loads((GOLDEN / "aggregate.json").read_text())["cases"][k]
    results = [ItemResult(0.0, pair, {"category": "writing", "failed": [False, False],
                                      "unparsable": [x == -1 for x in pair]}) for pair in case["ratings"]]
    rows = MTBench().aggregate_rows([{}] * len(results), results)
    for row, key in (("mt_bench_turn1", "turn1"), ("mt_bench_turn2", "turn2"), ("mt_bench", "overall")):
        if case[key] is None:
            assert rows[row] is None
        else:
            assert rows[row] == pytest.approx(case[key], abs=1e-12) and not math.isnan(rows[row])
