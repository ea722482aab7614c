"""The preference stage under the real launcher: ``accelerate launch`` with training/configs/accelerate_zero3.yaml,
two processes, DeepSpeed ZeRO-3 over gloo on CPU (DeepSpeed picks its CPU accelerator without a GPU).

One 2-process launch of tests/launch/zero3_losses.py builds every loss's trainer the way ``training.dpo.run`` does
(``trl_config`` + ``build_trainer``) and evaluates one fixed batch of four rows; one plain process does the same
without DeepSpeed. Tolerance: relative 1e-5 (float32; the two differ only in the order of the cross-rank
reduction). Before the reference-model fix the launch stopped at construction for dpo/ln_dpo/ipo/wrpo ("DeepSpeed
ZeRO-3 is enabled and is not compatible with `create_reference_model()`").
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import REPO

from fusechat.tiny_world import TinyWorldSettings, resolve

pytestmark = [pytest.mark.rehearsal, pytest.mark.timeout(900)]
PROBE = REPO / "tests" / "launch" / "zero3_losses.py"
LOSSES = ("dpo", "ln_dpo", "ipo", "simpo", "wrpo")
ACCELERATE = Path(sys.executable).with_name("accelerate")


def _losses(cmd: list[str]) -> dict:
    env = {**os.environ, "PYTHONPATH": str(REPO), "PYTHONWARNINGS": "ignore", "OMP_NUM_THREADS": "1"}
    proc = subprocess.run(cmd, cwd=REPO, env=env, capture_output=True, text=True, timeout=900)
    lines = [ln for ln in proc.stdout.splitlines() if ln.startswith("ZERO3_LOSSES ")]
    assert proc.returncode == 0 and lines, proc.stderr[-3000:]
    return json.loads(lines[-1].split(" ", 1)[1])


@pytest.fixture(scope="module")
def both(tmp_path_factory: pytest.TempPathFactory) -> tuple[dict, dict]:
    world = TinyWorldSettings()
    model, ref = resolve("tiny:Llama-3.1-8B-Instruct", world), resolve("tiny:Llama-3.1-70B-Instruct", world)
    tmp = tmp_path_factory.mktemp("zero3")
    single = _losses([sys.executable, str(PROBE), model, ref, str(tmp / "single")])
    zero3 = _losses([str(ACCELERATE), "launch", "--config_file", "training/configs/accelerate_zero3.yaml",
                     "--num_processes", "2", "--mixed_precision", "no", str(PROBE), model, ref, str(tmp / "zero3")])
    return single, zero3


def test_zero3_runs_with_two_processes(both: tuple[dict, dict]) -> None:
    single, zero3 = both
    assert single["world_size"] == 1 and zero3["world_size"] == 2
    assert sorted(zero3["losses"]) == sorted(LOSSES)  # every trainer, reference-based ones included, was built


@pytest.mark.parametrize("loss", LOSSES)
def test_zero3_loss_equals_single_process(both: tuple[dict, dict], loss: str) -> None:
    single, zero3 = both
    assert zero3["losses"][loss] == pytest.approx(single["losses"][loss], rel=1e-5)


def test_reference_losses_see_a_reference(both: tuple[dict, dict]) -> None:
    """π_ref differs from the policy here, so no reference-based loss sits at its π_θ = π_ref value (log 2)."""
    single, _ = both
    for loss in ("dpo", "ln_dpo", "wrpo"):
        assert abs(single["losses"][loss] - 0.6931471805599453) > 1e-3
