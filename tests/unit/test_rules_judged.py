"""Judged-benchmark rules (evaluation/tasks/arena_hard.py, mt_bench.py, alignbench.py, alpacaeval2.py) stated at the
cases mutation testing found unpinned: MT-Bench's rating type, AlignBench's score range and category means,
AlpacaEval's position coin and the length-controlled GLM's per-instruction difficulty lookup."""

from __future__ import annotations

import math

import pytest
from judge_helpers import length_biased_answers

from evaluation.tasks import alignbench as ab
from evaluation.tasks import mt_bench as mt
from evaluation.tasks.alpacaeval2 import is_switched, synthetic_df_gamed, win_rates


def test_mt_bench_rating_is_int_only_when_written_without_a_point() -> None:
    """FastChat ``ast.literal_eval`` of the bracketed text: "[[7]]" is the int 7, "[[7.0]]" the float 7.0."""
    assert type(mt.parse_rating("Rating: [[7]]")) is int and mt.parse_rating("[[7]]") == 7
    assert type(mt.parse_rating("Rating: [[7.0]]")) is float and mt.parse_rating("[[7.0]]") == 7.0
    assert mt.parse_rating("[[6.5]]") == 6.5 and mt.parse_rating("[[11]]") is None


def test_mt_bench_mean_of_no_ratings_is_none() -> None:
    assert mt._mean([]) is None and mt._mean([4, 6]) == 5.0


def test_alignbench_score_range_is_closed_one_to_ten() -> None:
    assert ab.parse_judgment("{'事实正确性': 2, '综合得分': 1}") == ({"事实正确性": 2, "综合得分": 1}, 1)
    assert ab.parse_judgment("{'综合得分': 10}")[1] == 10
    assert ab.parse_judgment("{'综合得分': 0}")[1] is None and ab.parse_judgment("{'综合得分': 11}")[1] is None


def test_alignbench_overall_needs_both_groups() -> None:
    """总分 = mean of the 中文语言 and 中文推理 group means; a group with no scored category is None, and so is 总分;
    one score per question, never silently truncated."""
    only_language = ab.category_scores(["基本任务", "中文理解"], [6.0, 8.0])
    assert only_language["中文语言"] == 7.0 and only_language["中文推理"] is None and only_language["总分"] is None
    empty = ab.category_scores([], [])
    assert empty["中文语言"] is None and empty["总分"] is None and len(empty["missing"]) == 8
    both = ab.category_scores(["基本任务", "数学计算", "逻辑推理"], [6.0, 2.0, 4.0])
    assert both["总分"] == (6.0 + 3.0) / 2
    with pytest.raises(ValueError):
        ab.category_scores(["基本任务", "中文理解"], [6.0])


def test_alpacaeval_position_coin_depends_on_instruction_and_seed() -> None:
    """alpaca_eval's seeded coin shows the model first for some instructions and second for others."""
    coins = [is_switched(f"instruction {i}") for i in range(40)]
    assert 5 < sum(coins) < 35
    assert [is_switched(f"instruction {i}", seed=1) for i in range(40)] != coins


def test_length_controlled_win_rate_looks_difficulty_up_by_position(tmp_path) -> None:
    """The GLM takes each instruction's difficulty from df_gamed by the item's benchmark index (the frame's index),
    so the same preferences at other positions give another LC win rate; the raw win rate does not move."""
    n = 16
    model, base, prefs = length_biased_answers(n, seed=5)
    path = tmp_path / "df_gamed.csv"
    synthetic_df_gamed(2 * n).to_csv(path, index=False)
    first = win_rates(prefs, range(n), model, base, path)
    later = win_rates(prefs, range(n, 2 * n), model, base, path)
    assert later["win_rate"] == pytest.approx(first["win_rate"])
    assert later["length_controlled_winrate"] != pytest.approx(first["length_controlled_winrate"])


def test_arena_hard_battle_table_for_every_verdict_in_both_games() -> None:
    """Upstream ``get_battles_from_row``: game 1 shows the baseline as A, game 2 as B; ">>" weighs 3."""
    from evaluation.tasks.arena_hard import battles_from_games

    game1 = {"A>>B": ["baseline"] * 3, "A>B": ["baseline"], "A=B": ["tie"], "B>A": ["model"], "B>>A": ["model"] * 3}
    game2 = {"A>>B": ["model"] * 3, "A>B": ["model"], "A=B": ["tie"], "B>A": ["baseline"], "B>>A": ["baseline"] * 3}
    for verdict, want in game1.items():
        assert battles_from_games([(verdict, None)]) == want
    for verdict, want in game2.items():
        assert battles_from_games([(None, verdict)]) == want
    assert battles_from_games([("a>b", "b>>a")]) == []  # the labels are case-sensitive


def test_arena_hard_ci_over_win_rates_when_some_resamples_are_one_sided() -> None:
    """show_result.py's bootstrap: all battles resampled together from one seeded stream, 2.5 / 97.5 percentiles;
    where a resample has one outcome only (an infinite Elo), the percentiles are taken over win rates."""
    import numpy as np

    from evaluation.tasks import arena_hard as ah

    battles = ["model"] * 3 + ["baseline"] * 3 + ["tie"]
    frame = ah.battle_frame({"m": battles})
    state = np.random.RandomState(19)  # a stream with one all-won and one all-lost resample among 40
    rates = [ah.win_rate(ah.mle_elo(frame.sample(frac=1.0, replace=True, random_state=state))["m"])
             for _ in range(40)]
    assert rates.count(100.0) == 1 and rates.count(0.0) == 1  # infinite draws at both ends, no tail saturated
    got = ah.joint_bt({"m": battles}, rounds=40, seed=19)["m"]
    assert got["ci_low"] == pytest.approx(float(np.percentile(rates, 2.5)))
    assert got["ci_high"] == pytest.approx(float(np.percentile(rates, 97.5)))
    assert got["rounds"] == 40 and got["n_battles"] == 7


def test_alpacaeval_single_logprob_entry_is_the_empty_list_only_when_more_were_asked() -> None:
    from evaluation.judge import JudgeReply
    from evaluation.tasks.alpacaeval2 import shown_preference

    lone = JudgeReply("m", ({"m": -0.1},))
    assert shown_preference(lone, asked_top_logprobs=1) == pytest.approx(1.0)  # one asked, one given: real
    assert shown_preference(lone, asked_top_logprobs=2) is None  # the client's stand-in for an empty list


def test_arena_hard_all_lost_is_minus_infinity_and_the_frame_is_upstreams() -> None:
    from evaluation.tasks import arena_hard as ah

    assert ah.bt_elo(["baseline"] * 3) == -math.inf and ah.win_rate(ah.bt_elo(["baseline"] * 3)) == 0.0
    assert ah.bt_elo(["model"] * 3) == math.inf and ah.win_rate(math.inf) == 100.0
    assert ah.mle_elo(ah.battle_frame({"m": ["model"] * 2}))[ah.BASELINE] == ah.INIT  # the baseline stays at 1000
    frame = ah.battle_frame({"m": ["model", "baseline", "tie"]})
    assert frame.to_dict("records") == [{"model_a": ah.BASELINE, "model_b": "m", "winner": w}
                                        for w in ("model_b", "model_a", "tie")]
    assert list(ah.battle_frame({}).columns) == ["model_a", "model_b", "winner"]
