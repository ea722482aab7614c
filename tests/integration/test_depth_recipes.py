"""Depth 1 and depth 2 end to end on the tiny world (README, "Three ways to check the paper"): the tiny "released"
models through the harness, and SFT + LN-DPO on the tiny "released" data, each reaching a run table whose columns
say their depth; then ``fusechat.compare`` puts the two runs side by side. Kept small: one benchmark, one item."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
SMALL = ("eval.benchmarks=[{name: mmlu}]", "eval.limit=1", "eval.max_new_tokens=8")


def _pipeline(recipe: str, run_dir: Path, *overrides: str) -> subprocess.CompletedProcess:
    env = {**os.environ, "PYTHONWARNINGS": "ignore"}
    return subprocess.run([sys.executable, "-m", "fusechat.pipeline", "--recipe", recipe, f"run.dir={run_dir}",
                           *overrides], cwd=REPO, capture_output=True, text=True, env=env, timeout=1200)


@pytest.fixture(scope="module")
def depth_runs(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    root = tmp_path_factory.mktemp("depths")
    d1, d2 = root / "depth1", root / "depth2"
    proc = _pipeline("recipes/depth1/smoke.yaml", d1, *SMALL)
    assert proc.returncode == 0, proc.stderr[-4000:]
    proc = _pipeline("recipes/depth2/smoke.yaml", d2, *SMALL, "sft.num_train_epochs=1",
                     'eval.models={"FuseChat SFT (tiny)": "@sft", "FuseChat DPO (tiny)": "@dpo"}')
    assert proc.returncode == 0, proc.stderr[-4000:]
    return d1, d2


def _header(run: Path) -> list[str]:
    md = (run / "eval" / "03_tables" / "results.md").read_text()
    line = next(x for x in md.splitlines() if x.startswith("| Benchmark"))
    return [c.strip() for c in line.strip("|").split("|")][1:]


def test_depth_1_evaluates_the_released_models_and_labels_them(depth_runs: tuple[Path, Path]) -> None:
    d1, _ = depth_runs
    assert not (d1 / "data").exists() and not (d1 / "train").exists()  # nothing built or trained
    assert all("[depth 1: released model" in c for c in _header(d1))
    released = json.loads((d1 / "eval" / "02_scores" / "FuseChat-Llama-3.1-8B-Instruct.metrics.json").read_text())
    assert (released["depth"], released["revision"]) == ("released_models", "tiny")
    assert "tiny_release" in released["model_path"]


def test_depth_2_trains_on_the_released_data_and_records_its_revision(depth_runs: tuple[Path, Path]) -> None:
    _, d2 = depth_runs
    man = json.loads((d2 / "data" / "06_release" / "manifest.json").read_text())
    sft, dpo = man["counts"]
    assert sft["dropped"] == {"missing_field:conversations": 1} and dpo["dropped"] == {"empty_response": 1}
    assert sft["in"] == sft["out"] + 1 and man["stats"]["by_source"]["ultrafeedback"]["paper_sft"] == 20439
    assert man["stats"]["released"]["sft"]["path"] == "tiny:released/FuseChat-3.0-SFT-Data"
    assert "| ultrafeedback |" in (d2 / "data" / "06_release" / "COUNTS.md").read_text()
    trained = json.loads((d2 / "train" / "01_sft" / "manifest.json").read_text())
    assert trained["counts"][0]["in"] == sft["out"]  # SFT read every kept released row
    assert json.loads((d2 / "train" / "02_dpo" / "manifest.json").read_text())["inputs"]["release_data"]
    header = _header(d2)
    assert header and all("[depth 2: trained here on the released data (tiny:released/FuseChat-3.0-SFT-Data@tiny"
                              in c for c in header)


def test_compare_puts_the_depths_side_by_side(depth_runs: tuple[Path, Path]) -> None:
    from fusechat.compare import table

    out = table(list(depth_runs))
    assert "| depth | 1: released model | 2: trained here on the released data |" in out
    sft_row = next(x for x in out.splitlines() if x.startswith("| sft | mmlu |"))
    assert "FuseChat-Llama-3.1-8B-SFT" in sft_row and "FuseChat SFT (tiny)" in sft_row  # one row, both depths
