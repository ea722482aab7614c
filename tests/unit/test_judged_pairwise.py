"""AlpacaEval-2 and Arena-Hard v0.1 (issue 11): verdict/preference parsing, Bradley-Terry, LC via alpaca-eval, the
local judge hooks and an end-to-end score_batch -> aggregate_rows with a fake judge."""

from __future__ import annotations

import math
import random
import warnings

import pytest
from judge_helpers import length_biased_answers
from paper_rows_record import PAPER_ROWS

from evaluation.judge import JUDGE_OPTION, Judge, JudgeReply, JudgeRequest
from evaluation.tasks import get_task
from evaluation.tasks.alpacaeval2 import (
    AlpacaEval2,
    judge_request,
    parse_judge_prompt,
    shown_preference,
    synthetic_df_gamed,
    win_rates,
)
from evaluation.tasks.arena_hard import (
    STANDIN_CONFIG,
    ArenaHard,
    battles_from_games,
    bt_elo,
    bt_result,
    parse_verdict,
    win_rate,
)
from evaluation.tasks.base import ScoreContext

AE = get_task("alpacaeval2")
AH = get_task("arena_hard")
warnings.filterwarnings("ignore", category=UserWarning, module="alpaca_eval")


def reward(question: str, answer: str) -> float:
    """A stand-in reward: longer answers are better (1 point per 100 characters)."""
    return len(answer) / 100.0


class ScriptedJudge(Judge):
    """Answers each request with ``fn(request, call_index)``; records the requests."""

    def __init__(self, fn):
        super().__init__("fake-judge")
        self.fn, self.requests = fn, []

    def chat(self, requests, desc="judging"):
        out = []
        for r in requests:
            self.requests.append(r)
            out.append(self.fn(r, len(self.requests) - 1))
        return out


def ctx_with(judge: Judge, **options) -> ScoreContext:
    return ScoreContext(options={JUDGE_OPTION: lambda task: judge, **options})


def local(task):
    def answer(request, _i):
        v = task.local_verdict(request, reward)
        return JudgeReply(v.text, v.top_logprobs)
    return answer


# ---------------------------------------------------------------------- Arena-Hard verdict parsing
@pytest.mark.parametrize(("text", "expected"), [
    ("My final verdict is tie: [[A=B]]", ("A=B", False)),
    ("... [[B>>A]] and again [[B>>A]]", ("B>>A", False)),  # the same verdict twice is one verdict
    ("no label at all", (None, True)),  # no verdict: upstream asks again
    ("first [[A>B]] then [[B>A]]", (None, False)),  # two different verdicts: no score, no retry
    ("$ERROR$", (None, True)),  # upstream's failed-call text
    ("verdict: [[a>b]]", (None, True)),  # lowercase is not a verdict (upstream's regex is case-sensitive)
    ("verdict: [[A > B]]", (None, True)),  # nor with spaces
    ("verdict: [A>B]", (None, True)),  # single brackets only with the fallback
])
def test_parse_verdict_as_upstream(text, expected):
    assert parse_verdict(text) == expected


def test_single_bracket_fallback_is_an_option():
    assert parse_verdict("verdict: [A>B]", fallback=True) == ("A>B", False)
    assert parse_verdict("[[B>A]] then [A>B]", fallback=True) == ("B>A", False)  # double wins when present


def test_battles_swap_positions_and_weight_strong_verdicts():
    # game 1: baseline is A; game 2: model is A
    assert battles_from_games([("B>A", "A>B")]) == ["model", "model"]
    assert battles_from_games([("A>>B", None)]) == ["baseline"] * 3
    assert battles_from_games([("A=B", "B>>A")]) == ["tie"] + ["baseline"] * 3
    assert battles_from_games([("A>>>B", "AB")]) == []  # unknown labels give no battle


# ---------------------------------------------------------------------- Bradley-Terry against a hand computation
def test_bradley_terry_two_players_closed_form():
    """Two players: the MLE of P(model beats baseline) is the share of won battles, a tie counting half:
    7 wins, 2 losses, 1 tie -> 7.5/10; Elo = 1000 + 400 log10(0.75/0.25)."""
    battles = ["model"] * 7 + ["baseline"] * 2 + ["tie"]
    elo = bt_elo(battles)
    assert elo == pytest.approx(1000 + 400 * math.log10(3), abs=1e-3)
    assert win_rate(elo) == pytest.approx(75.0, abs=1e-4)
    assert bt_elo(["baseline"] * 3 + ["model"]) == pytest.approx(1000 - 400 * math.log10(3), abs=1e-3)


def test_bootstrap_ci_brackets_the_estimate_and_is_seeded():
    battles = tuple(["model"] * 60 + ["baseline"] * 30 + ["tie"] * 10)
    a = bt_result(battles)
    assert a["win_rate"] == pytest.approx(65.0, abs=1e-3)
    assert a["ci_low"] < a["win_rate"] < a["ci_high"]
    bt_result.cache_clear()
    assert bt_result(battles) == a
    assert bt_result(battles, seed=7) != a
    lopsided = bt_result(tuple(["baseline"] * 30 + ["model"]))  # some resamples have no model win at all
    assert 0.0 <= lopsided["ci_low"] <= lopsided["win_rate"] <= lopsided["ci_high"] <= 100.0


# ---------------------------------------------------------------------- AlpacaEval preference and LC
def test_preference_from_top_logprobs_by_hand():
    """P(m) = e^-0.5 / (e^-0.5 + e^-1.5); preference = 2 - P(m) (1: m better); other tokens are ignored."""
    reply = JudgeReply("m", ({"m": -0.5, "M": -1.5, "The": -3.0},))
    p_m = math.exp(-0.5) / (math.exp(-0.5) + math.exp(-1.5))
    assert shown_preference(reply) == pytest.approx(2 - p_m)
    assert shown_preference(JudgeReply("M", ({"M": -0.1, "x": -2.0},))) == pytest.approx(2.0)  # m absent: P(m) = 0
    assert shown_preference(JudgeReply("The", ({"The": -0.1, "A": -2.0},))) is None  # neither m nor M
    assert shown_preference(JudgeReply("m", None)) is None  # no logprobs


def test_judge_request_uses_the_packages_annotator():
    req = judge_request("Say hi.", "first output", "second output")
    assert (req.temperature, req.max_tokens, req.logprobs, req.top_logprobs) == (1.0, 1, True, 5)
    assert [r for r, _ in req.messages] == ["system", "user"]
    assert parse_judge_prompt(req) == ("Say hi.", "first output", "second output")


def test_length_controlled_win_rate_from_the_package(tmp_path):
    """Preferences that follow the length difference (as a length-biased judge's would): the GLM attributes part of
    the win rate to length, so LC moves when only the lengths change."""
    n = 24
    model, base, prefs = length_biased_answers(n, seed=3)
    path = tmp_path / "df_gamed.csv"
    synthetic_df_gamed(n).to_csv(path, index=False)
    a = win_rates(prefs, range(n), model, base, path)
    assert 0.0 <= a["length_controlled_winrate"] <= 100.0
    assert a["win_rate"] == pytest.approx(100 * (sum(prefs) / n - 1))
    longer = win_rates(prefs, range(n), [m * 3 for m in model], base, path)
    assert longer["length_controlled_winrate"] != pytest.approx(a["length_controlled_winrate"])
    assert longer["win_rate"] == pytest.approx(a["win_rate"])  # the raw win rate ignores lengths


def test_synthetic_df_gamed_has_the_real_schema():
    df = synthetic_df_gamed(5)
    assert list(df.columns) == ["preference", "index", "std_delta_len", "instruction_difficulty",
                                "not_gamed_baseline", "model"]
    assert list(df["index"][:5]) == list(range(5)) and len(df) == 10
    assert not df["not_gamed_baseline"].any()


# ---------------------------------------------------------------------- local verdicts
def test_local_verdicts_recognise_only_their_own_prompt():
    ae_req = judge_request("Q?", "short", "a much longer answer " * 10)
    v = AE.local_verdict(ae_req, reward)
    assert v.text == "M" and set(v.top_logprobs[0]) == {"m", "M"}
    p_m = math.exp(v.top_logprobs[0]["m"])
    assert p_m + math.exp(v.top_logprobs[0]["M"]) == pytest.approx(1.0)
    assert p_m == pytest.approx(1 / (1 + math.exp(reward("Q?", "a much longer answer " * 10) - reward("Q?", "short"))))
    ah_user = STANDIN_CONFIG.prompt_template.format(question_1="Q?", answer_1="x" * 300, answer_2="y")
    ah_req = JudgeRequest.of([{"role": "system", "content": STANDIN_CONFIG.system_prompt},
                              {"role": "user", "content": ah_user}])
    assert AH.local_verdict(ah_req, reward).text.endswith("[[A>>B]]")
    assert AE.local_verdict(ah_req, reward) is None
    assert AH.local_verdict(ae_req, reward) is None


# ---------------------------------------------------------------------- items and table metadata
def test_synthetic_items_have_the_real_schema():
    ae = AE.synthetic(random.Random(0), 4)
    assert all(set(it) == {"dataset", "instruction", "output", "generator"} for it in ae)
    ah = AH.synthetic(random.Random(0), 4)
    assert all(set(it) == {"question_id", "category", "cluster", "turns"} for it in ah)
    assert all(len(it["question_id"]) == 32 and it["turns"][0]["content"] for it in ah)


def test_table_rows_equal_the_paper_rows():
    from evaluation import paper_rows

    for row_id in ("alpacaeval2", "alpacaeval2_wr", "arena_hard"):
        b, p = paper_rows.get(row_id), PAPER_ROWS[row_id]
        assert b.task is not None
        assert (b.display, b.tables, b.metric, b.scale, b.tolerance, b.tolerance_why, b.judge, b.category) == \
            (p.display, p.tables, p.metric, p.scale, p.tolerance, p.tolerance_why, p.judge, p.category)
    assert {r.id: r.order for t in (AE, AH) for r in t.table_rows()} == \
        {i: PAPER_ROWS[i].order for i in ("alpacaeval2", "alpacaeval2_wr", "arena_hard")}


def test_options():
    assert AE.configured({"decoding": "greedy"}).decoding_for({}, "llama3").temperature == 0.0
    assert AE.decoding_for({}, "llama3").temperature == 0.6
    assert AE.decoding_for({}, "qwen2").top_k == 20
    with pytest.raises(ValueError, match="decoding"):
        AE.configured({"decoding": "beam"})
    with pytest.raises(NotImplementedError, match="style_control"):
        AH.configured({"style_control": True})
    assert AH.decoding_for({}, "gemma2").temperature == 0.0


# ---------------------------------------------------------------------- end to end with a fake judge
def test_alpacaeval_end_to_end_counts_failures():
    items = AE.synthetic(random.Random(1), 8)
    responses = [[it["output"] + " more" * (1 + i % 4)] for i, it in enumerate(items)]

    def answer(request, i):
        if i == 0:
            return JudgeReply("", error="timeout")
        if i == 1:
            return JudgeReply("Both", ({"Both": -0.1},))
        return local(AE)(request, i)

    judge = ScriptedJudge(answer)
    task = AlpacaEval2()
    results = task.score_batch(items, responses, ctx_with(judge))
    assert len(judge.requests) == 8 and judge.stats.unparsable == 1
    assert [r.detail["status"] for r in results[:2]] == ["failed", "unparsable"]
    rows = task.aggregate_rows(items, results)
    assert set(rows) == {"alpacaeval2", "alpacaeval2_wr"}
    kept = [r.extracted for r in results[2:]]
    assert rows["alpacaeval2_wr"] == pytest.approx(100 * (sum(kept) / len(kept) - 1))
    assert 0 <= rows["alpacaeval2"] <= 100
    s = task.summary(items, results)
    assert (s["n_judged"], s["n_failed"], s["n_unparsable"], s["excluded"]) == (6, 1, 1, [0, 1])
    # the order is seeded by the instruction: same order on a rerun, recorded per item
    again = task.score_batch(items, responses, ctx_with(ScriptedJudge(local(AE))))
    assert [r.detail["model_shown_first"] for r in again] == [r.detail["model_shown_first"] for r in results]


def test_arena_end_to_end_retries_and_counts():
    items = AH.synthetic(random.Random(2), 4)
    responses = [["word " * (5 + 40 * (i % 2))] for i in range(4)]

    def answer(request, i):
        first_user = request.messages[1][1]
        if items[0]["turns"][0]["content"] in first_user and len(request.messages) == 2:
            return JudgeReply("I need to think more.")  # no verdict: asked again, the retry answers
        if items[1]["turns"][0]["content"] in first_user:
            return JudgeReply("", error="HTTP 500")
        return local(AH)(request, i)

    judge = ScriptedJudge(answer)
    task = ArenaHard()
    results = task.score_batch(items, responses, ctx_with(judge))
    retries = [r for r in judge.requests if len(r.messages) == 4]
    if items[0]["turns"][0]["content"] != items[1]["turns"][0]["content"]:
        assert len(retries) == 2  # both games of item 0, each with the continue message
        assert retries[0].messages[3][1].startswith("continue your judgment")
        assert all(g["attempts"] == 2 and g["status"] == "ok" for g in results[0].detail["games"])
        assert [g["status"] for g in results[1].detail["games"]] == ["failed", "failed"]
        assert results[1].detail["battles"] == []
    s = task.summary(items, results)
    assert s["n_games"] == 8 and s["n_failed"] >= 2
    value = task.aggregate_rows(items, results)["arena_hard"]
    battles = [b for r in results for b in r.detail["battles"]]
    share = (battles.count("model") + 0.5 * battles.count("tie")) / len(battles)
    assert value == pytest.approx(100 * share, abs=1e-3)
    assert s["ci95"][0] <= value <= s["ci95"][1]
