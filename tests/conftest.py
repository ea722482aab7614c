"""Shared fixtures: offline mode everywhere, the tiny world, and one full pipeline run reused by integration tests.

How integration tests share one smoke run (write new ones the same way):

* ``smoke_run`` (session scope) is one complete ``recipes/smoke.yaml`` pipeline run, built once per test session,
  the first time a test asks for it. Tests that only READ it take ``smoke_run`` directly and must leave every byte
  as it was (test_cache_and_plan's ablation test checks the tree digest; a test that writes into it breaks others).
* A test that must MUTATE a run works on its own copy: ``smoke_copy(tmp_path / "copy")`` (all of it) or
  ``smoke_copy(dst, "data")`` (only the folders it needs), then reruns only the stages it needs
  (``run_pipeline(dst, ...)`` skips every stage whose fingerprint is unchanged, or call one stage's script). The
  copy's stage links into the shared stage cache are followed, so the copy owns real files.
* A rerun whose changed key reaches the evaluation stages re-evaluates every registered benchmark; add
  ``*FEW_BENCHMARKS`` to its overrides when the test does not need all of them (it only changes the evaluation
  stages' fingerprints, which rerun anyway).
* ``bash tests/run.sh`` runs on two pytest-xdist workers (``-n 2 --dist loadgroup --no-loadscope-reorder``;
  ``FUSECHAT_TEST_WORKERS=0`` runs serially). Tests are grouped by file (module fixtures such as the vLLM driver
  are then built once); the shared runs need no group of their own: ``smoke_run`` is built once under a file lock
  by the first worker that asks and read by both (a test that reruns the pipeline on it only finds every stage up
  to date, which writes nothing), and ``wrpo_run`` is one file's. The files in ``SCHEDULE_FIRST`` start first, the
  longest first, so neither worker is left with one long file at the end (the rest follow in collection order).
  Sandbox pools on both workers at once are safe: each pool claims its uids machine-wide
  (``fusechat.sandbox.uids``), so no pool's clean-up or leftover check ever meets another pool's programs.
* Everything under tests/integration/ and tests/vllm_cpu/ is marked ``integration`` here (no decorator needed), so
  the contributors' fast tier, ``bash tests/run.sh --fast`` (= ``-m "not slow and not integration"``), leaves it out.
  A unit test that builds a pipeline run or trains a model belongs in tests/integration/ instead (or, if it must
  stay where it is, in ``HEAVY_UNIT_TESTS``).
"""

from __future__ import annotations

import fcntl
import os
import shutil
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("HF_DATASETS_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")

REPO = Path(__file__).resolve().parent.parent
SMOKE = REPO / "recipes" / "smoke.yaml"
#: Overrides that evaluate two ground-truth benchmarks instead of every registered one (for reruns whose checks do
#: not look at the other benchmarks): the evaluation stages are the most expensive part of a smoke rerun.
FEW_BENCHMARKS = ("eval.benchmarks=[{name: gsm8k}, {name: mmlu}]",)
#: Two of the smoke recipe's five source models that together serve every domain (general, code, Chinese, math): the
#: tests that run the sampling stage several times sample with these only.
TWO_SAMPLING_MODELS = ("Qwen2.5-72B-Instruct", "Qwen2.5-Math-72B-Instruct")


def smoke_sampling_models(names: tuple[str, ...] = TWO_SAMPLING_MODELS) -> list[dict]:
    """The smoke recipe's ``data.sampling.models`` entries of these source models, in the recipe's form."""
    from fusechat.recipe import load_recipe

    models = [m.model_dump(mode="json") for m in load_recipe(SMOKE).data.sampling.models if m.name in names]
    assert [m["name"] for m in models] == list(names)
    return models


_INTEGRATION_DIRS = ("integration", "vllm_cpu")
#: Test files that start first on the two xdist workers, longest first (longest-processing-time scheduling; seconds
#: per file measured with --junitxml in a fresh clone on the idle 2-core box, where the suite took 789 s on two
#: workers for 1,543 s of tests). test_pipeline.py comes first because its first test builds the shared smoke run,
#: which launch_rehearsal, resume_shards and cache_and_plan then read; the vLLM file needs no smoke run, so the other
#: worker starts on it meanwhile.
SCHEDULE_FIRST = (
    "tests/integration/test_pipeline.py",        # builds smoke_run (228 s), then its own reruns: 354 s
    "tests/vllm_cpu/test_vllm_backend.py",       # four vLLM engine starts in the driver, three in the sampling test: 334 s
    "tests/integration/test_launch_rehearsal.py",  # SFT and LN-DPO at world size 2 under ZeRO-3: 194 s
    "tests/integration/test_wrpo_pipeline.py",   # its own WRPO run and the WRPO launch: 155 s
    "tests/integration/test_resume_shards.py",   # sampling and scoring three times over: 125 s
    "tests/integration/test_cache_and_plan.py",  # an ablation run beside the smoke run: 82 s
    "tests/integration/test_depth_recipes.py",   # 54 s
    "tests/unit/test_zero3_launch.py",           # two launches of every loss: 40 s
)
#: Unit tests that load or train tiny models or run whole stages (15-75 s each on the shared 2-core box, measured
#: with --durations): integration-tier too, so the fast tier stays within its 3 minutes.
HEAVY_UNIT_TESTS = (
    "tests/unit/test_preflight.py::test_the_wrpo_scripts_run_preflight_first",
    "tests/unit/test_preflight.py::test_a_hub_source_offline_is_a_one_line_stage_error",
    "tests/unit/test_context_window.py::test_helpsteer2_with_a_1mb_earlier_turn_is_dropped",
    "tests/unit/test_context_window.py::test_the_cheap_bound_never_lets_an_over_long_prompt_through",
    "tests/unit/test_generation_params.py::",
    "tests/unit/test_multi_turn_tiny_model.py::",
    "tests/unit/test_dpo_stage.py::test_wrpo_stage_picks_the_better_of_the_last_two_checkpoints",
    "tests/unit/test_eval_data.py::test_offline_fetch_of_a_hub_dataset_fails_in_one_line",
    # accelerate + DeepSpeed ZeRO-3 launches of two processes each: the fast tier's last minutes (measured 11:55 UTC,
    # both xdist workers still in them after 20 min of the fast tier on the loaded box)
    "tests/unit/test_zero3_launch.py::",
)


@pytest.hookimpl(tryfirst=True)  # before xdist's own hook, which reads xdist_group into the node ids
def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Mark every test under tests/integration/ and tests/vllm_cpu/, and the heavy unit tests above, ``integration``
    (the fast tier's exclusion); group the tests by file for xdist and put the files of ``SCHEDULE_FIRST`` first."""
    for item in items:
        parts = Path(str(item.fspath)).relative_to(REPO).parts
        heavy = item.nodeid.startswith(HEAVY_UNIT_TESTS)
        if heavy or (len(parts) > 1 and parts[0] == "tests" and parts[1] in _INTEGRATION_DIRS):
            item.add_marker(pytest.mark.integration)
        item.add_marker(pytest.mark.xdist_group(item.nodeid.split("::")[0]))
    rank = {path: i for i, path in enumerate(SCHEDULE_FIRST)}
    items.sort(key=lambda item: rank.get(item.nodeid.split("::")[0], len(rank)))  # stable: the rest keep their order


def run_pipeline(run_dir: Path, *overrides: str, extra: tuple[str, ...] = ()) -> subprocess.CompletedProcess:
    cmd = [sys.executable, "-m", "fusechat.pipeline", "--recipe", str(SMOKE), f"run.dir={run_dir}", *overrides, *extra]
    env = {**os.environ, "PYTHONWARNINGS": "ignore"}
    return subprocess.run(cmd, cwd=REPO, capture_output=True, text=True, env=env, timeout=1200)


@pytest.fixture(scope="session")
def smoke_run(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A complete smoke pipeline run in a temporary run directory: built once per session, read-only for tests.

    Under pytest-xdist every worker has its own session, so the run lives in the folder the workers share (the
    parent of each worker's base temp) and is built under a file lock by the first worker that needs it; the others
    wait and reuse it (pytest-xdist's documented pattern for session fixtures)."""
    base = tmp_path_factory.getbasetemp()
    shared = base.parent if os.environ.get("PYTEST_XDIST_WORKER") else base
    run_dir, done = shared / "shared_smoke_run", shared / "shared_smoke_run.ok"
    with (shared / "shared_smoke_run.lock").open("w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if not done.exists():
            shutil.rmtree(run_dir, ignore_errors=True)
            proc = run_pipeline(run_dir)
            assert proc.returncode == 0, proc.stderr[-4000:]
            done.write_text("ok\n")
    return run_dir


@pytest.fixture
def smoke_copy(smoke_run: Path) -> Callable[..., Path]:
    """``smoke_copy(dst, *parts)``: a private copy of the shared smoke run at ``dst`` (all of it, or only the given
    sub-paths such as ``"data"``), with the stage links followed; the test may change it freely."""

    def copy(dst: Path, *parts: str) -> Path:
        for part in parts or ("",):
            shutil.copytree(smoke_run / part, dst / part)
        return dst

    return copy
