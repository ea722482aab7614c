"""Pairing rules of blog §Filtering on hand-built candidates: each test fails if its rule changes."""

from __future__ import annotations

import math
from collections import Counter

import pytest

from data_construction.pairing import (
    Candidate,
    build,
    choose_pair,
    instruction_pairs,
    split_sft,
    verified_pairs,
)
from fusechat.recipe import BuildConfig

CFG = BuildConfig()


def c(model: str, i: int, score: float, status: str = "not_applicable") -> Candidate:
    return Candidate(model, i, score, status)


def prompt(pid: str, domain: str, source: str = "src") -> dict:
    return {"id": pid, "source": source, "domain": domain, "messages": [{"role": "user", "content": pid}]}


def test_gap_window_is_inclusive_and_per_model() -> None:
    cands = [
        c("A", 0, 0.20), c("A", 1, 0.10),           # gap 0.10 -> inside (inclusive)
        c("B", 0, 0.30), c("B", 1, 0.10),           # gap 0.20 -> outside
        c("C", 0, 0.105), c("C", 1, 0.100),         # gap 0.005 -> outside
        c("D", 0, 0.15), c("D", 1, 0.12), c("D", 2, 0.14),  # best 0.15 vs worst 0.12 -> 0.03 inside
    ]
    pairs = {p.model: p for p in instruction_pairs(cands, CFG)}
    assert sorted(pairs) == ["A", "D"]
    assert (pairs["D"].chosen.sample_index, pairs["D"].rejected.sample_index) == (0, 1)
    assert math.isclose(pairs["A"].gap, 0.10)


def test_pairs_never_cross_source_models() -> None:
    cands = [c("A", 0, 0.20), c("B", 0, 0.15)]  # a cross-model pair would have gap 0.05
    assert instruction_pairs(cands, CFG) == []


def test_math_pairs_need_correct_chosen_and_incorrect_rejected() -> None:
    cands = [
        c("Q", 0, 0.20, "correct"), c("Q", 1, 0.25, "correct"), c("Q", 2, 0.17, "incorrect"),
        c("Q", 3, 0.19, "incorrect"),
        c("L", 0, 0.30, "incorrect"), c("L", 1, 0.25, "incorrect"),  # no correct response -> no pair
    ]
    pairs = verified_pairs(cands, CFG)
    assert [p.model for p in pairs] == ["Q"]
    assert (pairs[0].chosen.sample_index, pairs[0].rejected.sample_index) == (1, 2)  # best correct vs worst incorrect


def test_math_pair_with_rejected_scoring_higher_is_not_kept() -> None:
    cands = [c("Q", 0, 0.10, "correct"), c("Q", 1, 0.15, "incorrect")]
    assert verified_pairs(cands, CFG) == []


@pytest.mark.parametrize(("choice", "model"), [("best_chosen", "B"), ("max_gap", "A"), ("min_gap", "B")])
def test_pair_choice_when_several_models_qualify(choice: str, model: str) -> None:
    import random

    cands = [c("A", 0, 0.20), c("A", 1, 0.11), c("B", 0, 0.25), c("B", 1, 0.23)]
    pairs = instruction_pairs(cands, CFG)
    assert choose_pair(pairs, BuildConfig(pair_choice=choice), random.Random(0)).model == model


def test_split_is_four_to_six_and_deterministic() -> None:
    ids = [f"p{i}" for i in range(100)]
    sft = split_sft(ids, 0.4, seed=1)
    assert len(sft) == 40 and sft == split_sft(ids, 0.4, seed=1) and sft != split_sft(ids, 0.4, seed=2)


def test_build_routes_every_prompt_and_counts_drops() -> None:
    prompts = [prompt(f"g{i}", "general") for i in range(10)]
    prompts += [prompt("m_pair", "math"), prompt("m_sft", "math"), prompt("m_none", "math")]
    prompts += [prompt("zh", "chinese"), prompt("nan", "general", "other"), prompt("code", "code")]
    cands = {f"g{i}": [c("A", 0, 0.20), c("A", 1, 0.15), c("B", 0, 0.5), c("B", 1, 0.1)] for i in range(10)}
    cands["g9"] = [c("A", 0, 0.5), c("A", 1, 0.1)]  # no pair in window
    cands["m_pair"] = [c("Q", 0, 0.20, "correct"), c("Q", 1, 0.15, "incorrect")]
    cands["m_sft"] = [c("Q", 0, 0.20, "correct"), c("Llama-405B", 0, 0.30, "correct")]
    cands["m_none"] = [c("Q", 0, 0.20, "incorrect")]
    cands["zh"] = [c("Qwen", 0, 0.1)]
    cands["nan"] = [c("A", 0, float("nan"))]
    cands["code"] = [c("A", 0, 0.1, "not_checked")]
    res = build(prompts, cands, CFG, seed=0)
    sft, dpo, dropped = res.sft, res.dpo, res.dropped
    assert len(sft) + len(dpo) + sum(dropped.values()) == len(prompts)
    by_id = {r["prompt_id"]: r for r in sft} | {r["prompt_id"]: r for r in dpo}
    assert (by_id["m_pair"]["chosen_index"], by_id["m_pair"]["rejected_index"]) == (0, 1)
    assert by_id["m_sft"]["source_model"] == "Llama-405B"  # highest-RM correct response
    assert by_id["zh"] in sft
    assert dropped["no_correct_response"] == 1 and dropped["no_scored_response"] == 1
    assert dropped["not_verified"] == 1
    general_sft = [r for r in sft if r["domain"] == "general"]
    assert len(general_sft) == 4  # 4:6 split of the 10 general prompts of one source
    assert all(r["source_model"] == "B" and r["score"] == 0.5 for r in general_sft)  # best RM across models
    general_dpo_ids = {r["prompt_id"] for r in dpo if r["domain"] == "general"}
    assert dropped["no_pair_in_gap_window"] == (1 if "g9" not in {r["prompt_id"] for r in general_sft} else 0)
    assert all(by_id[p]["source_model"] == "A" for p in general_dpo_ids)  # B's gap 0.4 is outside the window


def _quota_world() -> tuple[list[dict], dict[str, list[Candidate]]]:
    prompts = [prompt(f"g{i}", "general", "uf") for i in range(20)] + [prompt(f"m{i}", "math", "om") for i in range(6)]
    cands = {f"g{i}": [c("A", 0, 0.20), c("A", 1, 0.15 if i % 4 else 0.01)] for i in range(20)}  # 15 with a pair
    cands |= {f"m{i}": [c("Q", 0, 0.2, "correct"), c("Q", 1, 0.15, "incorrect" if i < 2 else "correct")]
              for i in range(6)}  # 2 math pairs, 6 with a correct answer
    return prompts, cands


def test_quotas_land_exactly_and_count_the_rest() -> None:
    prompts, cands = _quota_world()
    res = build(prompts, cands, CFG, seed=3, quotas={"uf": (4, 10), "om": (3, 2)})
    per = Counter((r["source"], kind) for kind, rows in (("sft", res.sft), ("dpo", res.dpo)) for r in rows)
    assert per == {("uf", "sft"): 4, ("uf", "dpo"): 10, ("om", "sft"): 3, ("om", "dpo"): 2}
    assert res.dropped == {"over_quota": 6 + 1} and res.shortfall == {}
    assert len({r["prompt_id"] for r in res.sft + res.dpo}) == len(res.sft) + len(res.dpo)  # a prompt is used once
    assert len(res.sft) + len(res.dpo) + sum(res.dropped.values()) == len(prompts)


def test_quota_shortfall_is_reported_per_row_and_reason() -> None:
    prompts, cands = _quota_world()
    res = build(prompts, cands, CFG, seed=3, quotas={"uf": (8, 16), "om": (5, 3)})
    assert res.shortfall["uf"]["dpo"] == {"wanted": 16, "got": 15, "reason": "too few prompts with a qualifying pair"}
    assert res.shortfall["uf"]["sft"]["got"] == 5
    assert res.shortfall["om"]["dpo"]["got"] == 2 and res.shortfall["om"]["sft"]["got"] == 4


def test_release_tables_sum_to_the_published_totals() -> None:
    from data_construction.release import FINAL, SEED

    assert sum(v[0] for v in SEED.values()) == 94539 and sum(v[1] for v in SEED.values()) == 64245
    assert sum(map(sum, SEED.values())) == 158784 and sum(map(sum, FINAL.values())) == 158667
    assert FINAL["self_oss_instruct"] == (10160, 2732)


def test_release_targets_equal_the_reported_dataset_tables() -> None:
    """data.release targets and results/reported/ are two views of the same published tables."""
    import csv
    from pathlib import Path

    from data_construction.release import RELEASES

    names = {"UltraFeedback": "ultrafeedback", "Magpie-Pro-DPO-100K-v0.1": "magpie_pro_dpo", "HelpSteer2": "helpsteer2",
             "OpenMathInstruct-2": "openmathinstruct2", "leetcode": "leetcode",
             "self-oss-instruct-sc2-exec-filter-50k": "self_oss_instruct", "alpaca_gpt4_zh": "alpaca_gpt4_zh",
             "Magpie-Qwen2-Pro-200K-Chinese": "magpie_qwen2_zh"}
    rows = list(csv.DictReader((Path(__file__).resolve().parents[2] / "results/reported/fusechat3_tables.csv").open()))
    for release, table in (("seed", "dataset_seed"), ("final", "dataset_final")):
        reported: dict[str, dict[str, int]] = {}
        for r in rows:
            if r["table"] == table and r["model"] in names and r["benchmark"] in ("sft", "dpo"):
                reported.setdefault(names[r["model"]], {})[r["benchmark"]] = int(float(r["value"]))
        assert {k: (v["sft"], v["dpo"]) for k, v in reported.items()} == RELEASES[release]


# ------------------------------------------------------------------------------------------- code dual scoring
def _code_cands() -> list[Candidate]:
    return [
        c("A", 0, 0.20, "passed"), c("A", 1, 0.30, "passed"),        # best passing: A1 (RM 0.30)
        c("A", 2, 0.10, "failed"),                                   # static ok, tests fail: RM 0.10 + 1
        c("A", 3, 0.25, "no_code"),                                  # static fail: RM 0.25 + 0
    ]


def test_dual_scoring_ranks_a_static_failure_lowest_and_ignores_the_window() -> None:
    from data_construction.pairing import code_pairs

    (p,) = code_pairs(_code_cands(), CFG)  # defaults: dual, 1 + 1 points, no window
    assert (p.chosen.sample_index, p.rejected.sample_index) == (1, 3)
    assert math.isclose(p.gap, (0.30 + 2) - 0.25) and math.isclose(p.rm_gap, 0.05)


def test_gate_only_ranks_failing_responses_by_rm_alone_and_keeps_the_window() -> None:
    from data_construction.pairing import code_pairs

    gate = BuildConfig(code_scoring="gate", code_rm_window=True, rm_gap_max=0.25)
    (p,) = code_pairs(_code_cands(), gate)
    assert (p.chosen.sample_index, p.rejected.sample_index) == (1, 2)  # lowest RM among failing: A2 (0.10)
    assert math.isclose(p.gap, 0.20) and math.isclose(p.rm_gap, 0.20)
    assert code_pairs(_code_cands(), BuildConfig(code_scoring="gate", code_rm_window=True)) == []  # 0.20 > 0.1
    (q,) = code_pairs(_code_cands(), BuildConfig(code_scoring="gate"))  # gate without the window
    assert q.rejected.sample_index == 2


def test_code_window_applies_to_raw_rm_scores_under_dual_scoring() -> None:
    from data_construction.pairing import code_pairs

    cfg = BuildConfig(code_rm_window=True)
    (p,) = code_pairs(_code_cands(), cfg)  # RM gap 0.30 - 0.25 = 0.05: inside, although the total gap is 2.05
    assert p.rejected.sample_index == 3
    assert code_pairs(_code_cands(), BuildConfig(code_rm_window=True, rm_gap_max=0.04)) == []


def test_code_points_are_recipe_values() -> None:
    from data_construction.pairing import code_points

    cfg = BuildConfig(code_static_points=0.5, code_test_points=2.0)
    assert [code_points(s, cfg) for s in ("passed", "failed", "timeout", "static_fail", "syntax_error")] == [
        2.5, 0.5, 0.5, 0.0, 0.0]
    assert code_points("passed", BuildConfig(code_scoring="gate")) == 0.0


def test_code_pairs_stay_within_one_model_unless_told() -> None:
    from data_construction.pairing import code_pairs

    cands = [c("A", 0, 0.3, "passed"), c("B", 0, 0.1, "failed")]
    assert code_pairs(cands, CFG) == []  # A has no failing response, B no passing one
    (p,) = code_pairs(cands, BuildConfig(code_same_model=False))
    assert (p.model, p.rejected.model) == ("A", "B")
    prompts = [prompt("x", "code")]
    res = build(prompts, {"x": cands}, BuildConfig(code_same_model=False), seed=0)
    assert res.dpo[0]["source_model"] == "A" and res.dpo[0]["rejected_model"] == "B"


def test_sft_takes_the_highest_rm_passing_response_under_both_readings() -> None:
    for cfg in (CFG, BuildConfig(code_scoring="gate")):
        res = build([prompt("x", "code")], {"x": _code_cands()}, cfg, seed=0)
        assert [(r["source_model"], r["sample_index"]) for r in res.sft] == [("A", 1)]


# ------------------------------------------------------------------------------------------- shared code prompts
def _code_world(n: int = 10) -> tuple[list[dict], dict[str, list[Candidate]]]:
    prompts = [prompt(f"k{i}", "code", "lc") for i in range(n)]
    cands = {f"k{i}": [c("A", 0, 0.2, "passed"), c("A", 1, 0.15, "failed" if i < 6 else "passed")] for i in range(n)}
    return prompts, cands  # 6 prompts with a pair, 10 with a passing response


def test_shared_code_prompts_give_both_rows_and_reach_more_than_the_prompt_count() -> None:
    prompts, cands = _code_world()
    shared = build(prompts, cands, CFG, seed=1, quotas={"lc": (9, 5)})
    assert (len(shared.sft), len(shared.dpo), shared.shortfall) == (9, 5, {})  # 14 entries from 10 prompts
    both = {r["prompt_id"] for r in shared.sft} & {r["prompt_id"] for r in shared.dpo}
    assert len(both) == 4  # the 5 prompts outside DPO go to SFT first; only 4 DPO prompts are reused
    assert shared.prompts_used + sum(shared.dropped.values()) == len(prompts)
    disjoint = build(prompts, cands, BuildConfig(code_prompts="disjoint"), seed=1, quotas={"lc": (9, 5)})
    assert (len(disjoint.sft), len(disjoint.dpo)) == (5, 5)
    assert disjoint.shortfall["lc"]["sft"] == {"wanted": 9, "got": 5,
                                               "reason": "too few prompts with a usable response left after DPO"}
    assert not ({r["prompt_id"] for r in disjoint.sft} & {r["prompt_id"] for r in disjoint.dpo})


def test_shared_code_prompts_without_quotas() -> None:
    prompts, cands = _code_world()
    shared = build(prompts, cands, CFG, seed=1)
    assert (len(shared.sft), len(shared.dpo)) == (10, 6)
    disjoint = build(prompts, cands, BuildConfig(code_prompts="disjoint"), seed=1)
    assert (len(disjoint.sft), len(disjoint.dpo)) == (4, 6)


def test_math_prompts_stay_disjoint_when_code_is_shared() -> None:
    prompts, cands = _quota_world()
    res = build(prompts, cands, CFG, seed=3, quotas={"uf": (4, 10), "om": (6, 2)})
    assert len(res.sft) + len(res.dpo) == res.prompts_used  # no prompt used twice outside code


# ------------------------------------------------------------------------------------------- grader failures
def test_grader_failures_are_neither_side_and_counted() -> None:
    prompts = [prompt("m", "math"), prompt("only_err", "math"), prompt("k", "code")]
    cands = {"m": [c("Q", 0, 0.20, "correct"), c("Q", 1, 0.12, "error"), c("Q", 2, 0.15, "timeout"),
                   c("Q", 3, 0.18, "incorrect")],
             "only_err": [c("Q", 0, 0.2, "timeout")],
             "k": [c("A", 0, 0.2, "passed"), c("A", 1, 0.1, "error"), c("A", 2, 0.15, "timeout")]}
    res = build(prompts, cands, CFG, seed=0)
    dpo = {r["prompt_id"]: r for r in res.dpo}
    assert dpo["m"]["rejected_index"] == 3  # not the lower-RM grader error or timeout
    assert dpo["k"]["rejected_index"] == 2  # a program timeout is the program's failure; a sandbox error is not
    assert res.ungraded == {"grader_error": 1, "grader_timeout": 2, "sandbox_error": 1}
    assert res.dropped == {"all_grading_failed": 1}
    old = build(prompts, cands, BuildConfig(grader_failures="incorrect"), seed=0)
    assert {r["prompt_id"]: r["rejected_index"] for r in old.dpo}["m"] == 1 and not old.ungraded
