"""The three depths (fusechat/depths.py): recipe rules, stage tables, the released-data loader's named drops and
counts, plan and preflight on every depth-1/2 recipe offline, and the depth labels of tables and metrics."""

from __future__ import annotations

from pathlib import Path

import pytest

from data_construction.release_data import count_table, map_released_dpo, map_released_sft, source_key
from data_construction.sources import RowError
from fusechat import preflight as pf
from fusechat.depths import column_tag, provenance, split_revision
from fusechat.plan import DEPTH_RECIPES, make_plan
from fusechat.recipe import RecipeError, load_recipe
from fusechat.stage_table import RELEASED_DATA_STAGES, RELEASED_MODEL_STAGES, WRPO_STAGES, stages_for

REPO = Path(__file__).resolve().parents[2]
DEPTH_1_2 = sorted(str(p.relative_to(REPO)) for d in ("depth1", "depth2") for p in (REPO / "recipes" / d).glob("*.yaml")
                   if not p.name.startswith("_"))


def test_every_table_and_target_has_a_depth_1_and_2_recipe() -> None:
    for target, (d1, d2, d3) in DEPTH_RECIPES.items():
        assert {d1, d2} <= set(DEPTH_1_2) and (REPO / d3).exists(), target
    d1 = {load_recipe(REPO / f).eval.target_table for f in DEPTH_1_2 if "depth1/" in f and "smoke" not in f}
    assert d1 == {"llama31_8b", "qwen25_7b", "gemma2_9b", "llama32_3b", "llama32_1b", "wrpo_main"}


@pytest.mark.parametrize("recipe", DEPTH_1_2)
def test_depth_recipes_load_and_run_their_depth_stage_table(recipe: str) -> None:
    r = load_recipe(REPO / recipe)
    expected = {"released_models": RELEASED_MODEL_STAGES, "released_data": RELEASED_DATA_STAGES}[r.run.depth]
    assert stages_for(r) is (WRPO_STAGES if r.wrpo is not None else expected)
    if r.run.depth == "released_models":
        assert r.data is None and r.sft is None and not any(v.startswith("@") for v in r.eval.models.values())
        assert RELEASED_MODEL_STAGES["eval_generate"].inputs == ()  # nothing upstream is built
    else:
        assert r.released is not None or r.wrpo.source_responses == "release"


def test_depth_1_columns_carry_the_paper_names_so_each_lands_on_its_reported_column() -> None:
    from evaluation.layout import match_reproduced
    from evaluation.reported import load_reported

    cells = load_reported()
    for f in DEPTH_1_2:
        r = load_recipe(REPO / f)
        if r.run.depth != "released_models" or r.run.smoke:
            continue
        metrics = [{"model": label, "benchmarks": {}} for label in r.eval.models]
        matched, unmatched = match_reproduced(r.eval.target_table, cells, metrics)
        assert not unmatched and len(matched) == len(metrics), f


def test_depth_rules_are_one_line_errors(tmp_path: Path) -> None:
    bad = tmp_path / "bad.yaml"
    bad.write_text("defaults: [" + str(REPO / "recipes/depth1/smoke.yaml") + "]\neval: {models: {x: '@sft'}}\n")
    with pytest.raises(RecipeError, match="refers to a model trained here") as e:
        load_recipe(bad)
    assert "\n" not in str(e.value)
    with pytest.raises(RecipeError, match="needs a released: section"):
        load_recipe(REPO / "recipes/smoke.yaml", ["run.depth=released_data"])
    with pytest.raises(RecipeError, match="read only with run.depth released_data"):
        load_recipe(REPO / "recipes/depth2/smoke.yaml", ["run.depth=rebuild"])
    with pytest.raises(RecipeError, match="data: missing required key"):
        load_recipe(REPO / "recipes/depth1/smoke.yaml", ["run.depth=rebuild"])
    with pytest.raises(RecipeError, match="wrpo.source_responses: release"):
        load_recipe(REPO / "recipes/depth2/smoke_wrpo.yaml", ["wrpo.source_responses=sample"])


def test_pinned_revisions_and_provenance() -> None:
    assert split_revision("FuseAI/X@abc") == ("FuseAI/X", "abc")
    assert split_revision("@sft") == ("@sft", None) and split_revision("org/m") == ("org/m", None)
    r = load_recipe(REPO / "recipes/depth2/llama31_8b.yaml")
    assert provenance(r, "meta-llama/Llama-3.1-8B-Instruct") == {"depth": "released_models", "revision": None}
    p = provenance(r, "@dpo")
    assert p["depth"] == "released_data"
    assert p["revision"] == "FuseAI/FuseChat-3.0-SFT-Data@e81f672a40de, FuseAI/FuseChat-3.0-DPO-Data@newest"
    d1 = load_recipe(REPO / "recipes/depth1/llama31_8b.yaml")
    sha = "145ea8880989b656b84956453f51c465038bdef4"
    assert provenance(d1, d1.eval.models["FuseChat-Llama-3.1-8B-Instruct"]) == {"depth": "released_models",
                                                                              "revision": sha}
    assert column_tag({"depth": "released_models", "revision": sha}) == "depth 1: released model @145ea8880989"
    assert column_tag({"depth": "rebuild", "revision": None}) == "depth 3: rebuilt here"
    assert column_tag({}) == ""


@pytest.mark.parametrize(("row", "reason"), [
    ("text", "not_an_object"),
    ({"source_model": "m", "conversations": []}, "missing_field:dataset"),
    ({"dataset": "d", "source_model": "m"}, "missing_field:conversations"),
    ({"dataset": "d", "source_model": 3, "conversations": []}, "wrong_type:source_model"),
    ({"dataset": "d", "source_model": "m", "conversations": [{"from": "bot", "value": "x"}]}, "bad_turn"),
    ({"dataset": "d", "source_model": "m", "conversations": [{"from": "gpt", "value": "x"}]}, "no_user_turn"),
    ({"dataset": "d", "source_model": "m", "conversations": [{"from": "human", "value": "q"}]},
     "last_turn_not_assistant"),
    ({"dataset": "d", "source_model": "m", "conversations": [{"from": "human", "value": " "},
                                                             {"from": "gpt", "value": "a"}]}, "empty_text"),
])
def test_released_sft_rows_are_named_drops(row: object, reason: str) -> None:
    with pytest.raises(RowError, match=f"^{reason}$"):
        map_released_sft(row)


DPO_OK = {"dataset": "UltraFeedback", "source_model": "gemma-2-27b-it", "prompt": [{"role": "user", "content": "q"}],
          "chosen": [{"role": "assistant", "content": "good"}], "rejected": [{"role": "assistant", "content": "bad"}]}


@pytest.mark.parametrize(("change", "reason"), [
    ({"prompt": None}, "missing_field:prompt"),
    ({"prompt": [{"role": "assistant", "content": "x"}]}, "no_user_turn"),
    ({"chosen": []}, "empty_response"),
    ({"rejected": [{"role": "user", "content": "x"}]}, "bad_turn"),
    ({"rejected": "good"}, "chosen_equals_rejected"),
])
def test_released_dpo_rows_are_named_drops(change: dict, reason: str) -> None:
    assert map_released_dpo(DPO_OK)["chosen"] == "good"
    with pytest.raises(RowError, match=f"^{reason}$"):
        map_released_dpo({**DPO_OK, **change})


def test_released_counts_are_set_against_the_paper_table() -> None:
    assert source_key("OpenMathInstruct-2") == "openmathinstruct2" == source_key("nvidia/OpenMathInstruct-2")
    assert source_key("something-else") == "something-else"
    sft = [{"dataset": "UltraFeedback"}] * 3 + [{"dataset": "other"}]
    dpo = [{"dataset": "self-oss-instruct-sc2-exec-filter-50k"}] * 2
    t = count_table(sft, dpo, "final")
    assert t["ultrafeedback"] == {"sft": 3, "dpo": 0, "paper_sft": 20439, "paper_dpo": 30659}
    assert t["self_oss_instruct"]["dpo"] == 2 and t["self_oss_instruct"]["paper_dpo"] == 2732  # final table
    assert t["other"] == {"sft": 1, "dpo": 0, "paper_sft": None, "paper_dpo": None}


@pytest.mark.parametrize("recipe", [f for f in DEPTH_1_2 if "smoke" not in f and "wrpo" not in f])
def test_depth_1_and_2_plans_are_made_offline_without_sampling(recipe: str) -> None:
    r = load_recipe(REPO / recipe)
    plan = make_plan(r)
    stages = {ln.stage for ln in plan.lines}
    assert plan.all_generations == 0 and "sample_responses" not in stages
    assert stages == ({"eval_generate"} if r.run.depth == "released_models" else {"sft", "dpo", "eval_generate"})
    if r.run.depth == "released_data":
        sft = next(ln for ln in plan.lines if ln.stage == "sft")
        assert sft.prompts == 94_539  # the released SFT rows (paper Table 1)


@pytest.mark.parametrize("recipe", [f for f in DEPTH_1_2 if "smoke" not in f])
def test_preflight_on_a_gpu_less_offline_box_blocks_only_on_gpu_hub_env_judge(recipe: str, monkeypatch) -> None:
    monkeypatch.setattr(pf, "gpus_here", lambda: [])
    monkeypatch.setattr(pf, "installed", lambda python, names: "interpreter not found")
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    checks = pf.preflight(load_recipe(REPO / recipe))
    blocked = {c.name for c in checks if c.level == "BLOCK"}
    assert {"gpu", "hub"} <= blocked <= {"gpu", "hub", "env", "judge", "disk"}
    assert all("\n" not in c.line() for c in checks)


def test_run_table_labels_each_reproduced_column_with_its_depth(tmp_path: Path) -> None:
    from evaluation.render import write_run_table

    cell = {"value": 60.0, "n": 805, "task": "alpacaeval2", "task_version": "1", "protocol": {}}
    proto = {"harness": "h", "judge": None, "decoding": {}}
    metrics = [
        {"schema": "fusechat-metrics/v2", "model": "FuseChat-Llama-3.1-8B-Instruct", "depth": "released_models",
         "revision": "145ea8880989b656b84956453f51c465038bdef4", "benchmarks": {"alpacaeval2": cell},
         "protocol": proto},
        {"schema": "fusechat-metrics/v2", "model": "FuseChat SFT", "depth": "released_data",
         "revision": "FuseAI/FuseChat-3.0-SFT-Data@e81f672a40de", "benchmarks": {"alpacaeval2": cell},
         "protocol": proto},
    ]
    md = write_run_table(metrics, tmp_path, "t", smoke=False, reported_table="llama31_8b").read_text()
    assert "FuseChat-Llama-3.1-8B-Instruct (reproduced: FuseChat-Llama-3.1-8B-Instruct [depth 1: released model " \
           "@145ea8880989])" in md
    assert "[depth 2: trained here on the released data (FuseAI/FuseChat-3.0-SFT-Data@e81f672a40de)]" in md


def test_wrpo_report_names_the_depth_of_each_row_of_this_run() -> None:
    from evaluation.wrpo_report import render

    m = {"model": "Target-SFT-WRPO", "depth": "released_data", "revision": "AALF/ultrafeedback_wrpo@newest",
         "benchmarks": {}, "protocol": {}}
    text = render("t", [("Target-SFT-WRPO", m)], {"loss": "wrpo", "train_loss": 0.5}, smoke=False)
    assert ("- Target-SFT-WRPO (this run): depth 2: trained here on the released data "
            "(AALF/ultrafeedback_wrpo@newest).") in text


def test_plan_prints_the_three_depths_of_a_target(capsys) -> None:
    import json

    from fusechat.plan import main, render_summary

    assert main(["--target", "llama32_1b", "--json"]) == 0
    rows = json.loads(capsys.readouterr().out)
    assert [r["depth"] for r in rows] == [1, 2, 3]
    assert rows[0]["generations"] == rows[1]["generations"] == 0 < rows[2]["generations"]  # only the rebuild samples
    assert 0 < rows[0]["gpu_hours"] < rows[1]["gpu_hours"] < rows[2]["gpu_hours"]
    assert rows[1]["command"] == "bash recipes/run_depth2.sh recipes/depth2/llama32_1b.yaml"
    text = render_summary(rows)
    assert "llama32_1b     2: released data" in text and f"{rows[2]['generations']:,}" in text
