"""WRPO source responses from the authors' release (``wrpo.source_responses: release``): the row mapper's column
keys and named drops, and the sampling stage loading a release file (every prompt and every release row accounted
for). End to end on the tiny world: tests/integration/test_wrpo_pipeline.py."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from data_construction import sampling
from data_construction.sampling import RESPONSE_FILE
from data_construction.selection import PROMPT_FILE
from data_construction.sources import RowError, UndecodableRow, map_wrpo_release
from fusechat.io import read_parquet, write_jsonl, write_parquet
from fusechat.recipe import load_recipe
from fusechat.stage_runner import StageContext
from fusechat.stage_table import WRPO_STAGES

REPO = Path(__file__).resolve().parents[2]
SMOKE_WRPO = REPO / "recipes" / "smoke_wrpo.yaml"
COLS = ("prompt", "all_generated_responses", None)


def reason(row, cols=COLS) -> str:
    with pytest.raises(RowError) as exc:
        map_wrpo_release(row, *cols)
    return str(exc.value)


def test_prompt_and_response_shapes_map_to_one_conversation() -> None:
    user = {"role": "user", "content": "Hi there"}
    for prompt in ("Hi there", user, [user]):
        rec = map_wrpo_release({"prompt": prompt, "all_generated_responses": ["a", {"role": "assistant",
                                "content": " b "}, [{"role": "assistant", "content": "c"}]]}, *COLS)
        assert rec == {"messages": [user], "responses": [("release", "a"), ("release", "b"), ("release", "c")]}
    turns = [user, {"role": "assistant", "content": "Hello"}, {"role": "user", "content": "More"}]
    assert map_wrpo_release({"prompt": turns, "all_generated_responses": ["x"]}, *COLS)["messages"] == turns


def test_column_names_and_the_model_column_are_recipe_choices() -> None:
    row = {"q": "Hi there", "outs": ["a", "b"], "who": ["m1", "m2"], "one": "m3"}
    assert map_wrpo_release(row, "q", "outs", "who")["responses"] == [("m1", "a"), ("m2", "b")]
    assert map_wrpo_release(row, "q", "outs", "one")["responses"] == [("m3", "a"), ("m3", "b")]
    assert reason({**row, "who": ["m1"]}, ("q", "outs", "who")) == "model_count_mismatch"
    assert reason({**row, "who": 3}, ("q", "outs", "who")) == "wrong_type"
    assert reason(row) == "missing_field"  # the default columns are not there


@pytest.mark.parametrize(("row", "why"), [
    (None, "not_an_object"), ([1], "not_an_object"), (UndecodableRow("f:1"), "invalid_utf8"),
    ({"prompt": None, "all_generated_responses": ["a"]}, "missing_field"),
    ({"prompt": "Hi", "all_generated_responses": None}, "missing_field"),
    ({"prompt": "Hi", "all_generated_responses": []}, "no_responses"),
    ({"prompt": "Hi", "all_generated_responses": "a"}, "wrong_type"),
    ({"prompt": "Hi", "all_generated_responses": [3]}, "wrong_type"),
    ({"prompt": 7, "all_generated_responses": ["a"]}, "wrong_type"),
    ({"prompt": "Hi\x00", "all_generated_responses": ["a"]}, "nul_character"),
    ({"prompt": "Hi", "all_generated_responses": ["a\ud800"]}, "lone_surrogate"),
    ({"prompt": [{"role": "assistant", "content": "Hi"}], "all_generated_responses": ["a"]}, "wrong_role_order"),
    ({"prompt": "Hi", "all_generated_responses": [{"role": "user", "content": "a"}]}, "wrong_role_order"),
])
def test_bad_rows_are_named_drops(row, why) -> None:
    assert reason(row) == why


def _ctx(recipe, root: Path) -> StageContext:
    spec = WRPO_STAGES["sample_responses"]
    out = root / spec.folder
    out.mkdir(parents=True, exist_ok=True)
    return StageContext(spec, recipe, out, {"select_prompts": root / WRPO_STAGES["select_prompts"].folder})


def test_sampling_stage_loads_the_release_and_accounts_for_everything(tmp_path: Path) -> None:
    prompts = [{"id": f"p{i}", "messages": [{"role": "user", "content": f"Question number {i}?"}]} for i in range(4)]
    write_parquet(prompts, tmp_path / WRPO_STAGES["select_prompts"].folder / PROMPT_FILE)
    release = tmp_path / "release.jsonl"
    write_jsonl([
        {"q": "Question number 0?", "outs": ["a0", "b0"], "who": ["m2", "m1"]},
        {"q": "  question   NUMBER 1? ", "outs": ["a1"], "who": ["m1"]},  # the same prompt after normalisation
        {"q": "Question number 1?", "outs": ["c1"], "who": ["m1"]},  # one row per (prompt, model): accumulates
        {"q": "Question number 2?", "outs": ["a2"], "who": ["m1", "m2"]},  # model_count_mismatch
        {"q": "Not a selected prompt", "outs": ["x"], "who": ["m1"]},
        {"q": "Question number 3?", "outs": []},
        "not a row",
    ], release)
    recipe = load_recipe(SMOKE_WRPO, [f"run.dir={tmp_path}", "wrpo.source_responses=release",
                                      f"wrpo.release.path={release}", "wrpo.release.prompt_column=q",
                                      "wrpo.release.responses_column=outs", "wrpo.release.model_column=who",
                                      "data.sampling.models.0.path=/nonexistent"])  # no model is loaded
    result = sampling.run(_ctx(recipe, tmp_path))
    for c in result.counts:
        c.check("sample_responses")
    by_unit = {c.unit: c for c in result.counts}
    assert (by_unit["prompts"].n_out, by_unit["prompts"].dropped) == (2, {"no_released_responses": 2})
    assert by_unit["release rows"].n_in == 7 and by_unit["release rows"].dropped == {
        "model_count_mismatch": 1, "prompt_not_selected": 1, "no_responses": 1, "not_an_object": 1}
    rows = read_parquet(tmp_path / WRPO_STAGES["sample_responses"].folder / RESPONSE_FILE)
    assert [(r["prompt_id"], r["model"], r["sample_index"], r["text"]) for r in rows] == [
        ("p0", "m1", 0, "b0"), ("p0", "m2", 0, "a0"), ("p1", "m1", 0, "a1"), ("p1", "m1", 1, "c1")]
    assert {r["finish_reason"] for r in rows} == {"release"} and rows[0]["completion_tokens"] is None
    assert json.loads(rows[0]["params"])["dataset"] == str(release)
    assert result.stats["tokens"]["generations"] == 0


def test_the_release_keys_are_part_of_the_sampling_fingerprint() -> None:
    assert {"wrpo.source_responses", "wrpo.release"} <= set(WRPO_STAGES["sample_responses"].config_keys)


def test_the_wrpo_recipe_samples_by_default_and_names_the_release() -> None:
    recipe = load_recipe(REPO / "recipes" / "wrpo_llama3_8b.yaml")
    assert recipe.wrpo is not None and recipe.wrpo.source_responses == "sample"
    assert recipe.wrpo.release.path == "AALF/ultrafeedback_wrpo"
    assert load_recipe(SMOKE_WRPO).wrpo.release.path == "tiny:ultrafeedback_wrpo"
