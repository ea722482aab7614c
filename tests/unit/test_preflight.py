"""Preflight verdicts, and problems said in one line: a missing module, an unreachable hub, an unfilled quota."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import REPO, SMOKE

from fusechat import preflight
from fusechat.cli import hub_error_line

LLAMA = REPO / "recipes/llama31_8b.yaml"


def test_smoke_recipe_passes(capsys: pytest.CaptureFixture) -> None:
    assert preflight.main(["--recipe", str(SMOKE)]) == 0
    out = capsys.readouterr().out.strip().splitlines()
    assert out[-1].startswith("preflight: OK")
    assert all(line.startswith(("[ok", "[warn")) for line in out[:-1])
    assert any("none needed" in line for line in out) and any("pins of cpu.txt met" in line for line in out)


def test_llama31_8b_names_each_blocker_in_one_line(capsys: pytest.CaptureFixture,
                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    monkeypatch.setattr(preflight, "gpus_here", lambda: [])  # this machine: no GPU
    assert preflight.main(["--recipe", str(LLAMA)]) == 1
    out = capsys.readouterr().out.strip().splitlines()
    blocks = {line.split()[1] for line in out if line.startswith("[BLOCK]")}
    assert {"gpu", "hub"} <= blocks
    judge = [line for line in out if line.split()[1:2] == ["judge"]]
    if "OPENAI_API_KEY" not in os.environ:  # the paper's judges need their key (the value is never printed)
        assert len(judge) == 1 and judge[0].startswith("[BLOCK]") and "$OPENAI_API_KEY is unset" in judge[0]
        assert "alpacaeval2" in judge[0] and "gpt-4-1106-preview" in judge[0]
    assert any(line.startswith("[warn ] revision") for line in out)  # unpinned hub datasets
    assert out[-1].startswith("preflight: BLOCKED by") and "gpu" in out[-1] and "hub" in out[-1]


def test_judge_check_never_prints_the_key(capsys: pytest.CaptureFixture, monkeypatch: pytest.MonkeyPatch) -> None:
    from fusechat.recipe import load_recipe

    monkeypatch.setenv("MY_JUDGE_KEY", "sk-canary-preflight")
    recipe = load_recipe(LLAMA, ["eval.judge.api_key_env=MY_JUDGE_KEY", "eval.judge.base_url=http://h:8000/v1",
                                 "eval.judge.model=local-judge"])
    (check,) = preflight.check_judge(recipe)
    assert check.level == "ok" and "$MY_JUDGE_KEY set" in check.line() and "canary" not in check.line()
    assert "local-judge at http://h:8000/v1" in check.line()
    (check,) = preflight.check_judge(load_recipe(SMOKE))
    assert check.level == "ok" and "local tiny judge" in check.line()


def test_gpu_memory_against_tensor_parallel_size(monkeypatch: pytest.MonkeyPatch) -> None:
    from fusechat.recipe import load_recipe

    monkeypatch.setattr(preflight, "gpus_here", lambda: [80.0] * 8)
    lines = {c.message.split(":")[0]: c.level for c in preflight.check_gpus(load_recipe(LLAMA))}
    assert lines["Mistral-Large-Instruct-2407"] == "ok"  # 123B bf16 over TP8: ~29 GiB per GPU
    tp1 = load_recipe(LLAMA, ["data.sampling.models.1.tensor_parallel_size=1"])
    lines = {c.message.split(":")[0]: c.level for c in preflight.check_gpus(tp1)}
    assert lines["Mistral-Large-Instruct-2407"] == "BLOCK"  # 229 GiB on one 80 GiB GPU


def test_pins_parser_reads_inputs_and_locks() -> None:
    assert preflight.pins(REPO / "requirements/cpu.txt")["torch"] == "2.13.0+cpu"
    assert preflight.pins(REPO / "requirements/locks/cpu.txt")["math-verify"] == "0.9.0"
    assert preflight.pins(REPO / "requirements/locks/gpu-train.txt")["deepspeed"]


def test_missing_module_is_one_line_with_the_fix() -> None:
    code = (f"import sys, runpy; sys.modules['pydantic'] = None; sys.argv = ['preflight', '--recipe', {str(LLAMA)!r}]; "
            "runpy.run_module('fusechat.preflight', run_name='__main__')")
    proc = subprocess.run([sys.executable, "-c", code], cwd=REPO, capture_output=True, text=True)
    assert proc.returncode == 2
    assert "Traceback" not in proc.stderr and proc.stderr.count("\n") == 1
    assert "module 'pydantic' is not installed" in proc.stderr and "tools/setup_env.sh" in proc.stderr


def test_hub_errors_become_one_line() -> None:
    import requests

    try:
        try:
            raise OSError("Max retries exceeded")
        except OSError as inner:
            raise requests.exceptions.ConnectionError("Couldn't reach 'x/y' on the Hub") from inner
    except requests.exceptions.ConnectionError as exc:
        line = hub_error_line(exc)
    assert line is not None and "hub is unreachable" in line and "\n" not in line
    assert hub_error_line(ValueError("a bug")) is None


def test_a_hub_source_offline_is_a_one_line_stage_error(tmp_path: Path) -> None:
    proc = subprocess.run([sys.executable, "data_construction/01_select_prompts.py", "--recipe", str(LLAMA),
                           f"run.dir={tmp_path / 'run'}"], cwd=REPO, capture_output=True, text=True, timeout=300)
    assert proc.returncode == 1
    assert "Traceback" not in proc.stderr
    last = proc.stderr.strip().splitlines()[-1]
    assert last.startswith("stage error: hub dataset openbmb/UltraFeedback") and "hub is unreachable" in last


def test_unfilled_quota_is_in_the_final_summary(tmp_path: Path, capsys: pytest.CaptureFixture) -> None:
    from fusechat.pipeline import summarise

    folder = tmp_path / "data/05_build"
    folder.mkdir(parents=True)
    (folder / "manifest.json").write_text(json.dumps({"stats": {"shortfall": {
        "leetcode": {"dpo": {"wanted": 1236, "got": 900, "reason": "no pair in the RM window"}}}}}))
    summarise(tmp_path)
    err = capsys.readouterr().err
    assert "SHORTFALL: release quota not filled for leetcode dpo: wanted 1236, got 900" in err


def test_hub_checks_name_gated_models_and_a_missing_token(monkeypatch: pytest.MonkeyPatch) -> None:
    import huggingface_hub
    import requests
    from huggingface_hub.utils import GatedRepoError

    from fusechat.recipe import load_recipe

    monkeypatch.setenv("HF_HUB_OFFLINE", "0")
    monkeypatch.setattr(requests, "head", lambda *a, **k: None)  # reachable
    monkeypatch.setattr(huggingface_hub, "get_token", lambda: None)

    def auth_check(self, repo, repo_type="model", token=None):
        if repo.startswith("meta-llama/"):
            raise GatedRepoError(f"gated: {repo}")

    monkeypatch.setattr(huggingface_hub.HfApi, "auth_check", auth_check)
    monkeypatch.setattr(huggingface_hub.HfApi, "model_info", lambda self, repo, revision=None, token=None: object())
    monkeypatch.setattr(huggingface_hub.HfApi, "dataset_info", lambda self, repo, revision=None, token=None: object())
    checks = preflight.check_hub(load_recipe(LLAMA))
    lines = [c.line() for c in checks]
    assert any(c.level == "warn" and "no token" in c.message for c in checks)
    gated = [c for c in checks if c.level == "BLOCK"]
    assert {c.message.split(":")[0] for c in gated} == {"model meta-llama/Llama-3.1-70B-Instruct",
                                                        "model meta-llama/Llama-3.1-8B-Instruct"}
    assert all("accept it at https://huggingface.co/meta-llama/" in c.message for c in gated)
    assert any(line.startswith("[ok   ] hub        dataset openbmb/UltraFeedback") for line in lines)


def test_the_wrpo_scripts_run_preflight_first(tmp_path: Path) -> None:
    """recipes/wrpo_llama3_8b.sh (through run_wrpo.sh) stops at preflight's blockers before any stage runs; with
    wrpo.source_responses=release the released dataset is one of the hub datasets it checks."""
    import os

    env = {**os.environ, "GEN_PY": sys.executable, "TRAIN_PY": sys.executable, "HF_HUB_OFFLINE": "1",
           "CUDA_VISIBLE_DEVICES": ""}
    proc = subprocess.run(["bash", "recipes/wrpo_llama3_8b.sh", f"run.dir={tmp_path / 'run'}",
                           "wrpo.source_responses=release"], cwd=REPO, capture_output=True, text=True, env=env,
                          timeout=600)
    assert proc.returncode == 1
    assert "preflight: BLOCKED by" in proc.stdout and "[BLOCK] hub" in proc.stdout
    assert "AALF/ultrafeedback_wrpo" in proc.stdout
    assert proc.stderr.strip().splitlines()[-1].startswith("preflight found a blocker")
    assert not (tmp_path / "run").exists()  # no stage started
