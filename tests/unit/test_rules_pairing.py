"""The pairing rules (blog §Filtering, data_construction/pairing.py) stated one by one, each at its boundary: the tests
that mutation testing (tools/mutation.py pairing) showed were missing."""

from __future__ import annotations

import random
from collections import Counter

import pytest

from data_construction import pairing
from data_construction.pairing import (
    Candidate,
    Pair,
    best,
    build,
    choose_pair,
    code_pairs,
    code_points,
    in_window,
    instruction_pairs,
    split_sft,
    worst,
)
from fusechat.recipe import BuildConfig

CFG = BuildConfig()
WIDE = BuildConfig(rm_gap_min=0.25, rm_gap_max=0.5)  # bounds exact in binary floating point


def c(model: str, i: int, score: float, status: str = "not_applicable") -> Candidate:
    return Candidate(model, i, score, status)


def prompt(pid: str, domain: str, source: str = "src") -> dict:
    return {"id": pid, "source": source, "domain": domain}


def test_rm_window_is_closed_at_both_ends() -> None:
    """``rm_gap_min <= gap <= rm_gap_max``: both bounds are inside the window, anything beyond them outside."""
    assert in_window(0.25, WIDE) and in_window(0.5, WIDE)
    assert not in_window(0.2499, WIDE) and not in_window(0.5001, WIDE)
    pairs = instruction_pairs([c("A", 0, 0.75), c("A", 1, 0.5)], WIDE)  # gap exactly rm_gap_min
    assert [p.model for p in pairs] == ["A"]


def test_best_breaks_ties_by_model_then_lowest_sample_index() -> None:
    """Equal scores: the larger model name, then the lower sample index (deterministic); worst() the reverse."""
    assert best([c("A", 1, 0.5), c("A", 0, 0.5), c("A", 2, 0.5)]).sample_index == 0
    assert best([c("A", 0, 0.5), c("B", 3, 0.5)]).model == "B"
    assert (worst([c("B", 0, 0.5), c("A", 2, 0.5), c("A", 1, 0.5)]).model,
            worst([c("A", 2, 0.5), c("A", 1, 0.5)]).sample_index) == ("A", 1)


def test_a_model_with_one_response_does_not_stop_the_others_pairs() -> None:
    cands = [c("A", 0, 0.9), c("B", 0, 0.30), c("B", 1, 0.25)]  # A has no pair; B's gap 0.05 is inside
    assert [p.model for p in instruction_pairs(cands, CFG)] == ["B"]


def test_code_points_static_and_test_checks() -> None:
    """Dual scoring: +static points unless the static checks failed or nothing was checked, +test points on pass."""
    assert code_points("passed", CFG) == 2.0 and code_points("failed", CFG) == 1.0
    assert code_points("syntax_error", CFG) == 0.0 and code_points("not_checked", CFG) == 0.0
    assert code_points("passed", BuildConfig(code_scoring="gate")) == 0.0


def test_code_pairs_skip_models_without_both_sides_and_need_a_positive_gap() -> None:
    cands = [c("A", 0, 0.5, "failed"), c("A", 1, 0.4, "failed"),  # A: nothing passes -> no pair, B still paired
             c("B", 0, 0.5, "passed"), c("B", 1, 0.7, "failed")]
    assert [p.model for p in code_pairs(cands, CFG)] == ["B"]  # passing 0.5+2 vs failing 0.7+1
    gate = BuildConfig(code_scoring="gate")
    assert code_pairs([c("A", 0, 0.5, "passed"), c("A", 1, 0.5, "failed")], gate) == []  # gap 0: no pair
    assert len(code_pairs([c("A", 0, 0.6, "passed"), c("A", 1, 0.5, "failed")], gate)) == 1


def _pairs() -> list[Pair]:
    # (model, chosen, rejected): B has the best chosen, C the largest gap, A the smallest; given out of model order
    return [Pair("B", c("B", 0, 0.9), c("B", 1, 0.85)), Pair("A", c("A", 0, 0.5), c("A", 1, 0.49)),
            Pair("C", c("C", 0, 0.8), c("C", 1, 0.7))]


@pytest.mark.parametrize(("choice", "model"), [("best_chosen", "B"), ("max_gap", "C"), ("min_gap", "A")])
def test_pair_choice_rules(choice: str, model: str) -> None:
    for seed in range(6):  # the rule's answer whatever the random state (a random choice would vary)
        assert choose_pair(_pairs(), BuildConfig(pair_choice=choice), random.Random(seed)).model == model


def test_random_pair_choice_draws_from_the_pairs_sorted_by_model() -> None:
    pairs = _pairs()
    seed = next(s for s in range(100)  # a seed whose draw depends on the order (guards the test's power)
                if random.Random(s).choice(sorted(pairs, key=lambda p: p.model)) is not random.Random(s).choice(pairs))
    want = random.Random(seed).choice(sorted(pairs, key=lambda p: p.model))
    assert choose_pair(pairs, BuildConfig(pair_choice="random"), random.Random(seed)) is want


def _general_with_three_pairs(n: int) -> tuple[list[dict], dict[str, list[Candidate]]]:
    prompts = [prompt(f"g{i}", "general") for i in range(n)]
    cands = {p["id"]: [c(m, k, 0.5 + 0.01 * j + 0.02 * k) for j, m in enumerate("ABC") for k in range(2)]
             for p in prompts}
    return prompts, cands


def test_random_pair_choice_in_build_is_seeded() -> None:
    """``pair_choice: random`` is reproducible from the run seed, for general and code prompts alike."""
    cfg = BuildConfig(pair_choice="random", sft_ratio=0.0)
    prompts, cands = _general_with_three_pairs(12)
    code = [prompt(f"c{i}", "code") for i in range(6)]
    for p in code:
        cands[p["id"]] = [c(m, k, 0.5 + 0.1 * k, "failed" if k == 0 else "passed") for m in "ABC" for k in range(2)]
    runs = [build(prompts + code, cands, cfg, seed=s).dpo for s in (5, 5, 6)]
    models = [[r["source_model"] for r in run] for run in runs]
    assert len(runs[0]) == 18 and models[0] == models[1] and models[0] != models[2]


def test_general_sft_split_uses_the_run_seed() -> None:
    prompts, cands = _general_with_three_pairs(10)
    ids = [p["id"] for p in prompts]
    assert split_sft(ids, 0.4, 3) != split_sft(ids, 0.4, None)  # the test can tell the seed was used
    res = build(prompts, cands, CFG, seed=3)
    assert {r["prompt_id"] for r in res.sft} == split_sft(ids, 0.4, 3)


def test_drop_reasons_are_counted_per_prompt_and_named_per_domain() -> None:
    cfg = BuildConfig(sft_ratio=0.0)
    prompts = [prompt("c1", "code"), prompt("c2", "code"), prompt("m1", "math"), prompt("m2", "math"),
               prompt("g1", "general"), prompt("g2", "general"), prompt("z", "chinese")]
    cands = {"c1": [c("A", 0, 0.5, "failed")], "c2": [c("A", 0, 0.4, "syntax_error")],
             "m1": [c("A", 0, 0.5, "incorrect")], "m2": [c("A", 0, 0.2, "incorrect")],
             "g1": [c("A", 0, 0.9), c("A", 1, 0.1)], "g2": [c("A", 0, 0.9), c("A", 1, 0.1)]}  # gaps 0.8: no pair
    res = build(prompts, cands, cfg, seed=0)  # "z" has no candidates at all
    assert res.dropped == Counter({"all_responses_fail_tests": 2, "no_correct_response": 2,
                                   "no_pair_in_gap_window": 2, "no_scored_response": 1})


def test_math_uses_the_rm_window_not_code_scoring() -> None:
    """A math pair outside the RM window is no pair (code's points would have made one): the prompt goes to SFT."""
    cands = {"m": [c("A", 0, 0.9, "correct"), c("A", 1, 0.1, "incorrect")]}
    res = build([prompt("m", "math")], cands, CFG, seed=0)
    assert (len(res.sft), len(res.dpo)) == (1, 0)


def test_unknown_domain_is_a_named_error() -> None:
    with pytest.raises(ValueError, match="unknown domain 'poetry'"):
        pairing._options(prompt("p", "poetry"), [c("A", 0, 0.5)], CFG, random.Random(0))


def test_dpo_rows_carry_both_rm_scores() -> None:
    res = build([prompt("g", "general")], {"g": [c("A", 0, 0.30), c("A", 1, 0.25)]}, BuildConfig(sft_ratio=0.0), 0)
    row = res.dpo[0]
    assert (row["chosen_score"], row["rejected_score"], row["chosen_index"], row["rejected_index"]) == (0.30, 0.25, 0, 1)


def test_quota_order_is_the_seeded_order_and_a_source_without_quota_gives_nothing() -> None:
    prompts = [prompt(f"q{i}", "math", "s") for i in range(10)] + [prompt("x", "math", "other")]
    cands = {p["id"]: [c("A", 0, 0.5, "correct"), c("A", 1, 0.45, "incorrect")] for p in prompts}
    ids = [f"q{i}" for i in range(10)]
    want = pairing.seeded_order(ids, 4)[:3]
    assert want != pairing.seeded_order(ids, None)[:3]
    res = build(prompts, cands, CFG, seed=4, quotas={"s": (2, 3)})
    assert [r["prompt_id"] for r in res.dpo] == want
    assert [r["prompt_id"] for r in res.sft] == [p for p in pairing.seeded_order(ids, 4) if p not in want][:2]
    assert "other" not in {r["source"] for r in res.sft + res.dpo}  # no quota: (0, 0)
    assert res.dropped == Counter({"over_quota": 6})


def test_quota_drops_keep_their_reasons_and_shortfalls_say_why() -> None:
    prompts = [prompt("ok", "code", "s"), prompt("bad", "code", "s"), prompt("m", "math", "t")]
    cands = {"ok": [c("A", 0, 0.6, "passed"), c("A", 1, 0.5, "failed")], "bad": [c("A", 0, 0.5, "failed")],
             "m": [c("A", 0, 0.9, "correct"), c("A", 1, 0.1, "incorrect")]}
    res = build(prompts, cands, CFG, seed=0, quotas={"s": (3, 1), "t": (2, 1)})
    assert res.dropped == Counter({"all_responses_fail_tests": 1})  # not "over_quota": it had nothing to give
    assert [r["prompt_id"] for r in res.sft] == ["ok", "m"] and [r["prompt_id"] for r in res.dpo] == ["ok"]
    assert res.shortfall["s"]["sft"]["reason"] == "too few prompts with a usable response"  # shared code prompts
    assert res.shortfall["t"]["sft"]["reason"] == "too few prompts with a usable response left after DPO"
    assert res.shortfall["t"]["dpo"]["reason"] == "too few prompts with a qualifying pair"
