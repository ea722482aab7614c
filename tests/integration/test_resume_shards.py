"""Determinism of the long stages: 1 shard vs N shards, and a SIGKILL in the middle, give identical bytes."""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

from conftest import REPO, SMOKE, smoke_sampling_models

from fusechat.stage_table import STAGES

#: Two of the smoke recipe's five source models (together they serve every domain), fewer and shorter samples and
#: small chunks (several per model to shard and to kill between): the test runs sampling and scoring three times,
#: and what it checks (shards and a SIGKILL change no byte) does not depend on how many there are.
SMALL = ["data.sampling.batch_size=8", "data.scoring.chunk_rows=60", "data.sampling.max_new_tokens=24",
         "data.sampling.n_per_domain={general: 2, code: 2, chinese: 1, math: 2}",
         f"data.sampling.models={json.dumps(smoke_sampling_models())}"]
SHARDS = 3


def stage(script: str, run_dir: Path, *extra: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, script, "--recipe", str(SMOKE), f"run.dir={run_dir}", *SMALL, *extra],
                          cwd=REPO, capture_output=True, text=True, timeout=600)


def output_hash(run_dir: Path, name: str) -> str:
    return json.loads((run_dir / STAGES[name].folder / "manifest.json").read_text())["output_hash"]


def fresh(smoke_run: Path, tmp_path: Path, name: str) -> Path:
    run_dir = tmp_path / name / "run"  # one stage cache per run (it sits next to the run dir), so nothing is reused
    shutil.copytree(smoke_run / STAGES["select_prompts"].folder, run_dir / STAGES["select_prompts"].folder)
    return run_dir


def test_shards_and_sigkill_resume_give_the_same_bytes(smoke_run: Path, tmp_path: Path) -> None:
    sample, score = "data_construction/02_sample_responses.py", "data_construction/03_score_rewards.py"
    # A: uninterrupted, unsharded
    a = fresh(smoke_run, tmp_path, "a")
    for script in (sample, score):
        assert stage(script, a).returncode == 0
    # B: SHARDS shards each, then the merging rerun
    b = fresh(smoke_run, tmp_path, "b")
    for script in (sample, score):
        for i in range(SHARDS):
            proc = stage(script, b, "--shard", f"{i}/{SHARDS}")
            assert proc.returncode == 0, proc.stderr[-2000:]
            assert not (b / STAGES["sample_responses"].folder / "manifest.json").exists() or script == score
        proc = stage(script, b)
        assert proc.returncode == 0 and "resuming" in proc.stderr, proc.stderr[-2000:]
    # C: sampling killed with SIGKILL after its first chunk landed, then resumed
    c = fresh(smoke_run, tmp_path, "c")
    chunks = c / STAGES["sample_responses"].folder / "chunks"
    proc = subprocess.Popen([sys.executable, sample, "--recipe", str(SMOKE), f"run.dir={c}", *SMALL], cwd=REPO,
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)
    deadline = time.time() + 300
    while time.time() < deadline and not list(chunks.glob("*/*.parquet")):
        time.sleep(0.05)
    os.killpg(proc.pid, signal.SIGKILL)
    proc.wait()
    n_before = len(list(chunks.glob("*/*.parquet")))
    assert 0 < n_before and not (c / STAGES["sample_responses"].folder / "manifest.json").exists()
    for script in (sample, score):
        proc2 = stage(script, c)
        assert proc2.returncode == 0, proc2.stderr[-2000:]
    for name in ("sample_responses", "score_rewards"):
        assert output_hash(a, name) == output_hash(b, name) == output_hash(c, name), name
