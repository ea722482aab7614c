"""Shared fixtures: offline mode everywhere, the tiny world, and one full pipeline run reused by integration tests."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("HF_DATASETS_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")

REPO = Path(__file__).resolve().parent.parent
SMOKE = REPO / "recipes" / "smoke.yaml"


def run_pipeline(run_dir: Path, *overrides: str, extra: tuple[str, ...] = ()) -> subprocess.CompletedProcess:
    cmd = [sys.executable, "-m", "fusechat.pipeline", "--recipe", str(SMOKE), f"run.dir={run_dir}", *overrides, *extra]
    env = {**os.environ, "PYTHONWARNINGS": "ignore"}
    return subprocess.run(cmd, cwd=REPO, capture_output=True, text=True, env=env, timeout=1200)


@pytest.fixture(scope="session")
def smoke_run(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A complete smoke pipeline run in a temporary run directory."""
    run_dir = tmp_path_factory.mktemp("smoke_run")
    proc = run_pipeline(run_dir)
    assert proc.returncode == 0, proc.stderr[-4000:]
    return run_dir
