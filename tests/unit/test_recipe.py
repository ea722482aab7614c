"""Recipe loading: overrides, validation, and one-line errors naming the key and the file."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from fusechat.recipe import RecipeError, load_recipe

REPO = Path(__file__).resolve().parents[2]
SMOKE = REPO / "recipes" / "smoke.yaml"


def test_smoke_recipe_loads_with_paper_rules() -> None:
    r = load_recipe(SMOKE)
    assert r.data.build.sft_ratio == 0.4
    assert (r.data.build.rm_gap_min, r.data.build.rm_gap_max) == (0.01, 0.1)
    assert r.dpo.loss == "ln_dpo"


RUN_RECIPES = sorted(p for p in (REPO / "recipes").glob("*.yaml") if "\nrun:" in "\n" + p.read_text())


@pytest.mark.parametrize("recipe", RUN_RECIPES, ids=lambda p: p.name)
def test_every_committed_recipe_validates(recipe: Path) -> None:
    load_recipe(recipe)


# blog §SFT and §DPO hyperparameter tables
@pytest.mark.parametrize(("target", "sft_lr", "dpo_lr", "beta", "loss"), [
    ("llama31_8b", 5e-6, 8e-7, 10.0, "ln_dpo"),
    ("qwen25_7b", 2e-6, 3e-7, 0.01, "dpo"),
    ("gemma2_9b", 2e-6, 5e-7, 0.01, "dpo"),
    ("llama32_3b", 5e-6, 1e-6, 10.0, "ln_dpo"),
    ("llama32_1b", 5e-6, 1e-6, 10.0, "ln_dpo"),
])
def test_target_recipes_carry_the_paper_hyperparameters(target: str, sft_lr: float, dpo_lr: float, beta: float,
                                                        loss: str) -> None:
    r = load_recipe(REPO / "recipes" / f"{target}.yaml")
    assert (r.sft.learning_rate, r.dpo.learning_rate, r.dpo.beta, r.dpo.loss) == (sft_lr, dpo_lr, beta, loss)
    assert r.dpo.checkpoint_choice == "best_of_last_two"  # blog: the better of the last two checkpoints
    assert (r.sft.num_train_epochs, r.sft.global_batch_size, r.sft.cutoff_len, r.sft.warmup_ratio) == (3, 128, 2048, 0.1)
    assert (r.dpo.num_train_epochs, r.dpo.global_batch_size, r.dpo.max_length, r.dpo.save_steps) == (1, 128, 2048, 100)
    # the shared dataset build comes from data_fusechat3.yaml through `defaults:`
    assert len(r.data.sources) == 8 and r.data.scoring.model == "RLHFlow/ArmoRM-Llama3-8B-v0.1"
    import csv

    tables = {row["table"] for row in csv.DictReader((REPO / "results/reported/fusechat3_tables.csv").open())}
    assert r.eval.target_table == target and target in tables  # compared with the paper's own table
    params = {m.name: (m.temperature, m.top_p, m.repetition_penalty) for m in r.data.sampling.models}
    assert params["gemma-2-27b-it"] == (0.8, 0.95, 1.0) and params["Qwen2.5-72B-Instruct"] == (0.7, 0.8, 1.05)


def test_override_changes_value_and_hash() -> None:
    base = load_recipe(SMOKE)
    changed = load_recipe(SMOKE, ["dpo.beta=0.5", "data.sources.0.max_prompts=3"])
    assert changed.dpo.beta == 0.5 and changed.data.sources[0].max_prompts == 3
    assert base.hash_of(["dpo"]) != changed.hash_of(["dpo"])
    assert base.hash_of(["sft"]) == changed.hash_of(["sft"])


@pytest.mark.parametrize(
    ("overrides", "expected"),
    [
        (["dpo.betta=1"], "dpo.betta: unknown key"),
        (["dpo.beta=abc"], "dpo.beta: "),
        (["data.build.rm_gap_min=0.5"], "rm_gap_min (0.5) > rm_gap_max (0.1)"),
        (["data.sources.9.path=x"], "data.sources.9: no such list index"),
        (["data.sources.0.path=missing/file.parquet"], "data.sources.0.path: file not found"),
        (["noequals"], "not of the form key=value"),
    ],
)
def test_bad_recipe_is_one_line_error(overrides: list[str], expected: str) -> None:
    with pytest.raises(RecipeError) as err:
        load_recipe(SMOKE, overrides)
    msg = str(err.value)
    assert expected in msg and "\n" not in msg and str(SMOKE) in msg


def test_missing_key_and_missing_file(tmp_path: Path) -> None:
    bad = tmp_path / "bad.yaml"
    bad.write_text("run: {name: x, dir: y}\n")
    with pytest.raises(RecipeError, match=r"bad.yaml: data: missing required key"):
        load_recipe(bad)
    with pytest.raises(RecipeError, match="recipe file not found"):
        load_recipe(tmp_path / "nope.yaml")


def test_cli_prints_one_line_and_exits_2() -> None:
    proc = subprocess.run(
        [sys.executable, str(REPO / "data_construction" / "01_select_prompts.py"), "--recipe", str(SMOKE),
         "data.build.rm_gap_mx=0.2"], capture_output=True, text=True, cwd=REPO,
    )
    assert proc.returncode == 2
    lines = [ln for ln in proc.stderr.splitlines() if ln.strip()]
    assert lines == [f"recipe error: {SMOKE}: data.build.rm_gap_mx: unknown key"]
