"""The real launch lines of a GPU node, at world size 2 on CPU, for tests that rehearse the launch on a finished
tiny-world run: ``training/01_sft.py`` with ``sft.num_gpus=2`` (``llamafactory-cli train`` under torchrun, DeepSpeed
ZeRO-3 file) and ``accelerate launch --config_file training/configs/accelerate_zero3.yaml --num_processes 2
training/02_dpo.py`` (the line of ``recipes/run_target.sh`` and ``dpo.sbatch``; ``--mixed_precision no`` as the
rehearsal, CPU has no bf16). ``max_steps=2``: the fewest optimiser steps that show an update after the first."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
ZERO3 = "training/configs/deepspeed_zero3.json"
ACCELERATE_ZERO3 = "training/configs/accelerate_zero3.yaml"
STEPS = 2


def _env() -> dict[str, str]:
    return {**os.environ, "PYTHONPATH": str(REPO), "PYTHONWARNINGS": "ignore", "OMP_NUM_THREADS": "1",
            "HF_HUB_OFFLINE": "1", "HF_DATASETS_OFFLINE": "1", "TRANSFORMERS_OFFLINE": "1"}


def _run(cmd: list[str], env: dict[str, str]) -> subprocess.CompletedProcess:
    proc = subprocess.run(cmd, cwd=REPO, env=env, capture_output=True, text=True, timeout=900)
    assert proc.returncode == 0, (proc.stdout + proc.stderr)[-4000:]
    return proc


def _port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def sft(recipe: Path, run_dir: Path, *overrides: str) -> subprocess.CompletedProcess:
    """SFT at world size 2 under torchrun + ZeRO-3 (per-device 2 × accumulation 2 × 2 processes = 8)."""
    env = {**_env(), "NPROC_PER_NODE": "2", "MASTER_PORT": str(_port())}
    return _run([sys.executable, "training/01_sft.py", "--recipe", str(recipe), f"run.dir={run_dir}",
                 "sft.num_gpus=2", f"sft.deepspeed={ZERO3}", "sft.per_device_train_batch_size=2",
                 "sft.global_batch_size=8", "sft.bf16=false",
                 f"sft.extra={{max_steps: {STEPS}, preprocessing_num_workers: 1, save_strategy: 'no'}}",
                 *overrides], env)


def preference(recipe: Path, run_dir: Path, *overrides: str) -> subprocess.CompletedProcess:
    """The preference stage under accelerate + ZeRO-3 at world size 2 (per-device 2 × accumulation 1 × 2 = 4),
    a checkpoint every step."""
    return _run([str(Path(sys.executable).with_name("accelerate")), "launch", "--config_file", ACCELERATE_ZERO3,
                 "--num_processes", "2", "--main_process_port", str(_port()), "--mixed_precision", "no",
                 "training/02_dpo.py", "--recipe", str(recipe), f"run.dir={run_dir}", "dpo.num_gpus=2",
                 "dpo.per_device_train_batch_size=2", "dpo.global_batch_size=4", "dpo.bf16=false",
                 "dpo.save_steps=1", f"dpo.max_steps={STEPS}", *overrides], _env())


def manifest(stage_dir: Path) -> dict:
    return json.loads((stage_dir / "manifest.json").read_text())
