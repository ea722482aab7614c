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
