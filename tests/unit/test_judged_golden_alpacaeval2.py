"""AlpacaEval-2 against alpaca_eval's own pipeline (golden file by tests/golden/make_alpacaeval2.py): the coin, the
identical-output rule, the judge's messages and the preference, on 400 realistic and adversarial cases; the
package's metrics on preference vectors with NaN rows. Disagreements are allowed only where the documented
deviation names them (an answer holding a template placeholder or a ChatML marker), and are counted."""

from __future__ import annotations

import hashlib
import json
import math
import random
from pathlib import Path

import pytest

from evaluation.judge import JUDGE_OPTION, Judge, JudgeReply
from evaluation.judge.client import parse_top_logprobs
from evaluation.tasks.alpacaeval2 import SYNTHETIC_DATASET, AlpacaEval2, is_switched
from evaluation.tasks.base import ItemResult, ScoreContext

GOLDEN = Path(__file__).resolve().parents[1] / "golden" / "alpacaeval2"
#: The documented deviation (docs/judged_benchmarks.md, "Deviations"): texts that hold one of these are filled in
#: one pass and split before filling, so upstream's prompt differs from ours.
MARKERS = ("{output_1}", "{output_2}", "{instruction}", "<|im_start|>", "<|im_end|>")
#: Disagreements counted in docs/judged_benchmarks.md (all under the deviation above).
DOCUMENTED_DISAGREEMENTS = 74


def load_cases() -> list[dict]:
    lines = (GOLDEN / "cases.jsonl").read_text(encoding="utf-8").splitlines()
    return [json.loads(line) for line in lines[1:]]


def reply_of(case: dict) -> JudgeReply:
    """The reply as the judge client builds it from an OpenAI-compatible ``choices[0]`` with these top logprobs."""
    tops = [{"token": t["token"], "logprob": t["logprob"]} for t in case["top_logprobs"]]
    sampled_lp = max((t["logprob"] for t in case["top_logprobs"]), default=-0.1)
    choice = {"logprobs": {"content": [{"token": case["sampled"], "logprob": sampled_lp, "top_logprobs": tops}]}}
    return JudgeReply(case["sampled"], parse_top_logprobs(choice))


class CaseJudge(Judge):
    def __init__(self, replies: list[JudgeReply]):
        super().__init__("golden-judge")
        self.replies, self.requests = replies, []

    def chat(self, requests, desc="judging"):
        out = [self.replies[len(self.requests) + k] for k in range(len(requests))]
        self.requests += list(requests)
        return out


def digest(request) -> str:
    pairs = [[r, c] for r, c in request.messages]
    return hashlib.sha256(json.dumps(pairs, ensure_ascii=False).encode("utf-8", "surrogatepass")).hexdigest()


def ours(cases: list[dict]) -> list[dict]:
    """This project's verdict per case: score_batch with a judge that gives each asked case its reply."""
    out: list[dict] = []
    for seed in sorted({c["seed"] for c in cases}):
        group = [c for c in cases if c["seed"] == seed]
        asked = [c for c in group if c["output"] != c["reference"]]
        judge = CaseJudge([reply_of(c) for c in asked])
        items = [{"instruction": c["instruction"], "output": c["reference"], "dataset": SYNTHETIC_DATASET}
                 for c in group]
        results = AlpacaEval2(order_seed=seed).score_batch(
            items, [[c["output"]] for c in group], ScoreContext(options={JUDGE_OPTION: lambda t, j=judge: j,
                                                                        "order_seed": seed}))
        digests = iter(digest(r) for r in judge.requests)
        for c, r in zip(group, results, strict=True):
            called = not r.detail.get("identical_to_reference", False)
            out.append({"id": c["id"], "is_switched": r.detail["model_shown_first"], "judge_called": called,
                        "messages_sha256": next(digests) if called else None, "preference": r.extracted})
    return sorted(out, key=lambda o: o["id"])


def disagreements(case: dict, mine: dict) -> list[str]:
    up = case["upstream"]
    out = []
    if mine["is_switched"] != up["is_switched"]:
        out.append("coin")
    if mine["judge_called"] != up["judge_called"]:
        out.append("identical-output rule")
    if up["error"] is not None or mine["messages_sha256"] != up["messages_sha256"]:
        out.append("messages")
    a, b = mine["preference"], up["preference"]
    if (a is None) != (b is None) or (a is not None and not math.isclose(a, b, abs_tol=1e-12)):
        out.append("preference")
    return out


def test_agrees_with_alpaca_eval_except_the_documented_deviation() -> None:
    cases = load_cases()
    assert len(cases) >= 400
    mine = ours(cases)
    undocumented, documented = [], 0
    for case, m in zip(cases, mine, strict=True):
        diff = disagreements(case, m)
        if not diff:
            continue
        texts = case["instruction"] + case["output"] + case["reference"]
        if set(diff) <= {"messages"} and any(k in texts for k in MARKERS):
            documented += 1
        else:
            undocumented.append((case["id"], diff))
    assert undocumented == []
    assert documented == DOCUMENTED_DISAGREEMENTS


def test_the_golden_cases_cover_every_rule() -> None:
    cases = load_cases()
    up = [c["upstream"] for c in cases]
    assert sum(u["is_switched"] for u in up) not in (0, len(up))
    assert sum(not u["judge_called"] for u in up) >= 10  # identical outputs: 1.5 without a call
    assert all(u["preference"] == 1.5 for u in up if not u["judge_called"])
    assert sum(u["preference"] is None for u in up) >= 30  # NaN: empty list, neither m nor M
    assert any(c["top_logprobs"] == [] for c in cases)


def test_coin_is_alpaca_evals_own() -> None:
    for case in load_cases()[:100]:
        assert is_switched(case["instruction"], case["seed"]) == case["upstream"]["is_switched"]


@pytest.mark.parametrize("k", range(8))
def test_metrics_equal_the_packages(k: int) -> None:
    """The package's WR and LC with NaN (unparsable) rows kept as NaN, through the task's own aggregation."""
    case = json.loads((GOLDEN / "metrics.json").read_text())["cases"][k]
    n = len(case["preferences"])
    items = [{"instruction": f"q{i}", "output": case["references"][i], "dataset": SYNTHETIC_DATASET}
             for i in range(n)]
    results = [ItemResult(0.0, p, {"status": "unparsable" if p is None else "ok", "output": case["outputs"][i],
                                   "df_gamed": "synthetic"}) for i, p in enumerate(case["preferences"])]
    rows = AlpacaEval2().aggregate_rows(items, results)
    assert rows["alpacaeval2_wr"] == pytest.approx(case["win_rate"], abs=1e-9)
    assert rows["alpacaeval2"] == pytest.approx(case["length_controlled_winrate"], abs=1e-6)


def test_seeded_rng_is_unused() -> None:
    """The coin depends on nothing but the instruction and the seed (no global RNG state)."""
    random.seed(1)
    a = is_switched("Say hi.", 0)
    random.seed(2)
    assert is_switched("Say hi.", 0) == a
