"""The shared, content-addressed stage cache (fusechat/stage_runner.py): reuse across run directories, no run deleting
what another uses, --force into a new folder, copied runs and crashed partial folders kept."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest
from conftest import SMOKE

from fusechat.recipe import load_recipe
from fusechat.stage_runner import Counts, StageContext, StageResult, StageSpec, run_stage

REG = {
    "up": StageSpec("up", "data/01_up", (), ("data.build.sft_ratio",)),
    "down": StageSpec("down", "data/02_down", ("up",), ("data.build.rm_gap_max",)),
}
CALLS: list[str] = []


def body(name: str):
    def run(ctx: StageContext) -> StageResult:
        CALLS.append(name)
        text = f"{name} {ctx.recipe.data.build.sft_ratio} {ctx.recipe.data.build.rm_gap_max}\n"
        if name == "down":
            text += (ctx.input("up") / "out.txt").read_text()
        (ctx.out_dir / "out.txt").write_text(text)
        return StageResult([Counts("rows", 1, 1)])
    return run


def go(run_dir: Path, *overrides: str, force: bool = False) -> None:
    recipe = load_recipe(SMOKE, [f"run.dir={run_dir}", *overrides])
    for name in REG:
        run_stage(REG[name], recipe, body(name), REG, force=force)


def snapshot(root: Path) -> dict[str, bytes]:
    return {str(p.relative_to(root)): p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file()}


def test_second_run_reuses_and_never_touches_the_first(tmp_path: Path, capsys: pytest.CaptureFixture) -> None:
    CALLS.clear()
    go(tmp_path / "a")
    before = snapshot(tmp_path / "a")
    assert CALLS == ["up", "down"] and (tmp_path / "a/data/01_up").is_symlink()
    assert (tmp_path / ".stage_cache/up").is_dir()  # next to the run directories
    capsys.readouterr()
    go(tmp_path / "b", "data.build.rm_gap_max=0.3")
    err = capsys.readouterr().err
    assert CALLS == ["up", "down", "down"]  # up reused, down recomputed
    assert "[up] reused (fingerprint" in err and "[down] running" in err
    assert os.path.realpath(tmp_path / "a/data/01_up") == os.path.realpath(tmp_path / "b/data/01_up")
    assert os.path.realpath(tmp_path / "a/data/02_down") != os.path.realpath(tmp_path / "b/data/02_down")
    assert snapshot(tmp_path / "a") == before  # byte-identical, links intact
    # the baseline's own rerun: up to date, nothing recomputed
    go(tmp_path / "a")
    assert CALLS == ["up", "down", "down"] and "up to date" in capsys.readouterr().err
    # going back to the baseline key in b re-links to the baseline's output instead of recomputing it
    go(tmp_path / "b")
    assert CALLS == ["up", "down", "down"]
    assert os.path.realpath(tmp_path / "a/data/02_down") == os.path.realpath(tmp_path / "b/data/02_down")


def test_force_writes_a_new_folder(tmp_path: Path) -> None:
    CALLS.clear()
    go(tmp_path / "a")
    go(tmp_path / "b")
    shared = os.path.realpath(tmp_path / "b/data/01_up")
    before = snapshot(Path(shared))
    go(tmp_path / "a", force=True)
    assert CALLS == ["up", "down", "up", "down"]
    assert os.path.realpath(tmp_path / "a/data/01_up") != shared and ".force-" in os.path.realpath(
        tmp_path / "a/data/01_up")
    assert snapshot(Path(shared)) == before and os.path.realpath(tmp_path / "b/data/01_up") == shared


def test_copied_run_and_crashed_partial_folder(tmp_path: Path) -> None:
    import shutil

    CALLS.clear()
    go(tmp_path / "a" / "run")
    shutil.copytree(tmp_path / "a" / "run", tmp_path / "c" / "run")  # links followed: real folders
    assert not (tmp_path / "c/run/data/01_up").is_symlink()
    go(tmp_path / "c" / "run")
    assert CALLS == ["up", "down"]  # a copied run is up to date as it is
    # a crashed stage: no manifest, an in-progress marker with the current fingerprint -> adopted and resumed
    up = tmp_path / "c/run/data/01_up"
    fp = json.loads((up / "manifest.json").read_text())["fingerprint"]
    (up / "manifest.json").unlink()
    (up / ".in_progress.json").write_text(json.dumps({"fingerprint": fp}))
    (up / "partial.txt").write_text("kept")
    go(tmp_path / "c" / "run")
    assert up.is_symlink() and (up / "partial.txt").read_text() == "kept" and (up / "manifest.json").exists()
    assert CALLS == ["up", "down", "up"]  # down's inputs have the same fingerprint: still up to date


def test_compare_puts_runs_side_by_side(tmp_path: Path) -> None:
    from fusechat.compare import table
    from fusechat.stage_table import STAGES

    for name, gap, score in (("base", 0.1, 61.0), ("gap02", 0.2, None)):
        run = tmp_path / name
        build = run / STAGES["build_sft_dpo"].folder
        build.mkdir(parents=True)
        recipe = load_recipe(SMOKE, [f"run.dir={run}", f"data.build.rm_gap_max={gap}"]).model_dump(mode="json")
        (build / "manifest.json").write_text(json.dumps({"recipe": recipe, "stats": {"sft": 10, "dpo": 7}}))
        scores = run / STAGES["eval_score"].folder
        scores.mkdir(parents=True)
        (scores / "dpo.metrics.json").write_text(json.dumps(
            {"model": "FuseChat DPO", "benchmarks": {"gsm8k": {"value": score}}}))
    out = table([tmp_path / "base", tmp_path / "gap02"])
    assert "| `data.build.rm_gap_max` | `0.1` | `0.2` |" in out
    assert "run.dir" not in out  # differs by construction, not a finding
    assert "| SFT rows | 10 | 10 |" in out and "| FuseChat DPO | gsm8k | 61.00 | — |" in out


def test_per_model_partial_runs_merge_to_the_unsharded_bytes(tmp_path: Path,
                                                             monkeypatch: pytest.MonkeyPatch) -> None:
    """The SLURM sampling arrays run one source model per job (``--model``) and shards within it; the merge
    (no --model, no --shard) writes the same bytes as one unsharded run. A fake generator stands in for vLLM."""
    from data_construction import sampling
    from data_construction.selection import PROMPT_FILE
    from fusechat.generation import Completion
    from fusechat.io import write_parquet
    from fusechat.stage_table import STAGES

    class Fake:
        def chat(self, convs, params):
            return [[Completion(f"{c[-1]['content']}|{params.seed}|{j}", "stop", 3, 2) for j in range(params.n)]
                    for c in convs]

    monkeypatch.setattr(sampling, "load_generator", lambda *a, **k: Fake())
    domains = ["general", "code", "chinese", "math"]
    rows = [{"id": f"p{i}", "source": "s", "domain": domains[i % 4], "messages": [{"role": "user", "content": f"q{i}"}],
             "gold_answer": None, "tests": None, "dataset_response": None, "dataset_response_model": None,
             "metadata": "{}"} for i in range(10)]

    def select(ctx: StageContext) -> StageResult:
        write_parquet(rows, ctx.out_dir / PROMPT_FILE)
        return StageResult([Counts("rows", 10, 10)])

    def recipe_for(run: Path):
        models = [f"data.sampling.models.{i}.path=fake/m{i}" for i in range(5)]
        return load_recipe(SMOKE, [f"run.dir={run}", "data.sampling.batch_size=3", *models])

    hashes = {}
    for name in ("one", "parts"):
        recipe = recipe_for(tmp_path / name / "run")
        run_stage(STAGES["select_prompts"], recipe, select, STAGES)
        if name == "parts":
            for m in recipe.data.sampling.models:
                for i in range(2):
                    run_stage(STAGES["sample_responses"], recipe, sampling.run, STAGES, shard=(i, 2),
                              only_model=m.name)
            folder = recipe.run_dir / STAGES["sample_responses"].folder
            assert not (folder / "manifest.json").exists() and len(list(folder.glob(".shard-*.json"))) == 10
        run_stage(STAGES["sample_responses"], recipe, sampling.run, STAGES)
        man = json.loads((recipe.run_dir / STAGES["sample_responses"].folder / "manifest.json").read_text())
        hashes[name] = man["output_hash"]
        assert man["stats"]["tokens"]["generations"] == man["measured"]["generations"] > 0
    assert hashes["one"] == hashes["parts"]


def test_eval_generation_fingerprint_covers_every_eval_key_but_the_judge():
    """Answers depend on every eval key except the judge and the reported table; judgments on the judge's
    endpoint/model only. A new EvalConfig field must be placed in one of the two lists (else a stale cache)."""
    from fusechat.recipe import EvalConfig, load_recipe
    from fusechat.stage_table import _EVAL_GEN, _EVAL_JUDGE, STAGES

    gen = {k.split(".", 1)[1] for k in _EVAL_GEN}
    assert set(EvalConfig.model_fields) - gen == {"judge", "target_table"}
    recipe = load_recipe(SMOKE)
    keys = list(STAGES["eval_generate"].config_keys)
    assert recipe.hash_of(keys) == load_recipe(SMOKE,
                                               ["eval.judge.concurrency=2"]).hash_of(keys)
    from fusechat.recipe import EvalJudgeConfig

    operational = {"api_key_env", "concurrency", "max_retries", "backoff_s", "timeout_s", "cache_dir"}
    assert {k.split(".", 2)[2] for k in _EVAL_JUDGE} == set(EvalJudgeConfig.model_fields) - operational
    score = list(STAGES["eval_score"].config_keys)
    assert set(_EVAL_JUDGE) <= set(score)
    assert recipe.hash_of(score) != load_recipe(SMOKE,
                                                ["eval.judge.model=other"]).hash_of(score)


def test_non_main_ranks_skip_what_rank_zero_skips(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A relaunch of a finished stage under accelerate/torchrun: rank 0 skips it, so the other ranks must too (a
    lone rank would wait in its first collective for ranks that have left); up to date or reused from the cache."""
    CALLS.clear()
    go(tmp_path / "a")
    monkeypatch.setenv("RANK", "1")
    go(tmp_path / "a")  # up to date in this run
    other = load_recipe(SMOKE, [f"run.dir={tmp_path / 'b'}"])
    run_stage(REG["up"], other, body("up"), REG)  # in the shared cache (rank 0 links it)
    assert CALLS == ["up", "down"]
    changed = load_recipe(SMOKE, [f"run.dir={tmp_path / 'a'}", "data.build.rm_gap_max=0.3"])
    run_stage(REG["down"], changed, lambda ctx: CALLS.append("down"), REG)  # a changed key: every rank runs it
    assert CALLS == ["up", "down", "down"]
