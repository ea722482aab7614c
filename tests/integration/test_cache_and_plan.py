"""On the tiny world: the plan matches what the smoke run did, and an ablation in another run directory reuses the
upstream stages through the shared stage cache without changing a byte of the first run."""

from __future__ import annotations

import hashlib
import json
import os
from pathlib import Path

import pytest
from conftest import FEW_BENCHMARKS, REPO, SMOKE, run_pipeline

from fusechat.plan import make_plan
from fusechat.recipe import load_recipe
from fusechat.stage_table import STAGES


def manifest(run_dir: Path, stage: str) -> dict:
    return json.loads((run_dir / STAGES[stage].folder / "manifest.json").read_text())


def tree_digest(root: Path) -> dict[str, str]:
    """sha256 of every file under a run directory, following its stage links into the cache."""
    out = {}
    for dirpath, _, files in os.walk(root, followlinks=True):
        for f in files:
            p = Path(dirpath) / f
            out[str(p.relative_to(root))] = hashlib.sha256(p.read_bytes()).hexdigest()
    return out


def test_plan_matches_the_tiny_worlds_actual_counts(smoke_run: Path) -> None:
    stored = manifest(smoke_run, "select_prompts")["stats"]["plan"]
    measured = manifest(smoke_run, "sample_responses")["stats"]["tokens"]
    fresh = make_plan(load_recipe(SMOKE, [f"run.dir={smoke_run}"])).as_dict()  # what `fusechat.plan` prints
    for plan in (stored, fresh):
        assert plan["generations"] == measured["generations"]  # exactly
        assert abs(plan["input_tokens"] - measured["input_tokens"]) <= 0.10 * measured["input_tokens"]
        assert abs(plan["output_tokens"] - measured["output_tokens"]) <= 0.10 * measured["output_tokens"]
    # every manifest records measured GPU-seconds (GPUs allocated x wall time; none here)
    for s in STAGES:
        assert manifest(smoke_run, s)["measured"]["gpu_seconds"] == 0


def test_ablation_in_another_run_dir_reuses_upstream_and_leaves_the_first_run_alone(
        smoke_run: Path, tmp_path_factory: pytest.TempPathFactory) -> None:
    before = tree_digest(smoke_run)
    other = smoke_run.parent / (smoke_run.name + "_gap")  # a sibling: same stage cache
    proc = run_pipeline(other, "data.build.rm_gap_max=0.2", *FEW_BENCHMARKS)  # evaluation reruns anyway
    assert proc.returncode == 0, proc.stderr[-3000:]
    order = list(STAGES)
    reused = order[: order.index("build_sft_dpo")]
    assert reused == ["select_prompts", "sample_responses", "score_rewards", "verify_answers"]
    for s in order:
        said_reused = f"[{s}] reused (fingerprint" in proc.stderr
        assert said_reused == (s in reused), s
        same = os.path.realpath(other / STAGES[s].folder) == os.path.realpath(smoke_run / STAGES[s].folder)
        assert same == (s in reused), s
    assert manifest(other, "build_sft_dpo")["recipe"]["data"]["build"]["rm_gap_max"] == 0.2
    assert tree_digest(smoke_run) == before  # byte-identical, every file
    assert "plan vs measured (sampling)" in proc.stderr
    from fusechat.compare import table

    out = table([smoke_run, other])
    assert "`data.build.rm_gap_max` | `0.1` | `0.2`" in out and "| gsm8k |" in out


def test_plan_cli_on_the_smoke_recipe(smoke_run: Path) -> None:
    import subprocess
    import sys

    proc = subprocess.run([sys.executable, "-m", "fusechat.plan", "--recipe", str(SMOKE)], cwd=REPO,
                          capture_output=True, text=True)
    assert proc.returncode == 0, proc.stderr[-2000:]
    gens = int(proc.stdout.strip().splitlines()[-1].split()[0].split("=")[1])
    assert gens == manifest(smoke_run, "sample_responses")["stats"]["tokens"]["generations"]
