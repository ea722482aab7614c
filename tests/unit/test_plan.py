"""The cost plan (fusechat/plan.py) and the per-source selection cap it relies on (data.selection)."""

from __future__ import annotations

import math

import pytest
from conftest import REPO

from data_construction.release import SEED, SELECTED_SEED, selection_cap
from fusechat import plan as plan_mod
from fusechat.plan import PlanError, make_plan
from fusechat.recipe import load_recipe

TARGETS = ["llama31_8b", "qwen25_7b", "gemma2_9b", "llama32_3b", "llama32_1b"]


def last_line(capsys: pytest.CaptureFixture, *argv: str) -> dict[str, float]:
    assert plan_mod.main(list(argv)) == 0
    line = capsys.readouterr().out.strip().splitlines()[-1]
    return {k: float(v) for k, v in (kv.split("=") for kv in line.split())}


def test_llama31_8b_plan_is_at_the_papers_scale(capsys: pytest.CaptureFixture) -> None:
    got = last_line(capsys, "--recipe", str(REPO / "recipes/llama31_8b.yaml"))
    assert set(got) == {"generations", "output_tokens", "gpu_hours"}
    assert 2_300_000 <= got["generations"] <= 3_000_000
    assert got["output_tokens"] > 0 and got["gpu_hours"] > 0


def test_headroom_one_gives_the_blog_counts_exactly() -> None:
    """Selected counts × sampling rules: general 80,907 × 4 models × 5, math 58,546 × k=4, code 16,809 × 4 × 8,
    Chinese 9,952 × 1 (Qwen only) = 2,400,164."""
    recipe = load_recipe(REPO / "recipes/llama31_8b.yaml", ["data.selection.headroom=1.0"])
    p = make_plan(recipe)
    assert p.generations == 80_907 * 4 * 5 + 58_546 * 4 + 16_809 * 4 * 8 + 9_952 == 2_400_164
    per_model = {ln.what.split(" (")[0]: ln.generations for ln in p.lines if ln.stage == "sample_responses"}
    assert per_model["Qwen2.5-72B-Instruct"] == 80_907 * 5 + 16_809 * 8 + 9_952
    assert per_model["Qwen2.5-Math-72B-Instruct"] == 58_546 * 4


def test_selection_cap_rule() -> None:
    # seed table: Selected == SFT + DPO for UltraFeedback -> head-room applies; OpenMath's 58,546 already has it
    assert selection_cap("seed", "ultrafeedback", 1.1) == math.ceil(sum(SEED["ultrafeedback"]) * 1.1) == 56_208
    assert selection_cap("seed", "openmathinstruct2", 1.1) == SELECTED_SEED["openmathinstruct2"] == 58_546
    assert selection_cap("seed", "self_oss_instruct", 1.1) == math.ceil((10_160 + 2_849) * 1.1)
    assert selection_cap("final", "openmathinstruct2", 1.0) == 51_803
    assert selection_cap("seed", "ultrafeedback", 1.0, scale=0.01) == math.ceil(51_098 * 0.01)
    assert selection_cap("none", "ultrafeedback", 1.1) is None
    assert selection_cap("seed", "my_own_source", 1.1) is None


@pytest.mark.parametrize("target", TARGETS)
def test_every_target_plans_offline(target: str) -> None:
    recipe = load_recipe(REPO / f"recipes/{target}.yaml")
    p = make_plan(recipe)
    assert 2_300_000 <= p.generations <= 3_000_000  # the data build is shared by all targets
    stages = {ln.stage for ln in p.lines}
    assert {"select_prompts", "sample_responses", "score_rewards", "sft", "dpo", "eval_generate"} <= stages
    sft = next(ln for ln in p.lines if ln.stage == "sft")
    assert sft.prompts == 94_539  # the seed table's SFT rows
    assert p.as_dict()["gpu_hours"] == round(p.gpu_hours, 1)


def test_smaller_targets_cost_less_to_train() -> None:
    hours = {t: next(ln.gpu_hours for ln in make_plan(load_recipe(REPO / f"recipes/{t}.yaml")).lines
                     if ln.stage == "sft") for t in ("llama31_8b", "llama32_3b", "llama32_1b")}
    assert hours["llama31_8b"] > hours["llama32_3b"] > hours["llama32_1b"] > 0


def test_a_hub_source_without_cap_is_a_one_line_error(capsys: pytest.CaptureFixture) -> None:
    recipe = load_recipe(REPO / "recipes/llama31_8b.yaml", ["data.release=none"])
    with pytest.raises(PlanError, match=r"data\.sources\.0\.max_prompts"):
        make_plan(recipe)
    assert plan_mod.main(["--recipe", str(REPO / "recipes/llama31_8b.yaml"), "data.release=none"]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and err.startswith("plan error:")
    # an explicit max_prompts is a cap the plan can use
    ok = load_recipe(REPO / "recipes/llama31_8b.yaml", ["data.release=none", *(
        f"data.sources.{i}.max_prompts=100" for i in range(8))])
    assert make_plan(ok).generations == 300 * 20 + 100 * 4 + 200 * 32 + 200


def test_throughput_override_replaces_the_flops_estimate() -> None:
    base = make_plan(load_recipe(REPO / "recipes/llama31_8b.yaml"))
    line = next(ln for ln in base.lines if ln.what.startswith("gemma-2-27b-it"))
    fast = make_plan(load_recipe(REPO / "recipes/llama31_8b.yaml", ["plan.throughput={gemma-2-27b-it: 1.0e9}"]))
    line2 = next(ln for ln in fast.lines if ln.what.startswith("gemma-2-27b-it"))
    assert line2.gpu_hours < line.gpu_hours and line2.generations == line.generations
