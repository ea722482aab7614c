"""A source model's ``trust_remote_code`` recipe key (InternLM2.5's repository ships its own tokenizer and model code)
reaches the transformers backend, the vLLM engine and selection's context-window check, and the sampling stage
passes each model's own flag."""

from __future__ import annotations

import sys
import types
from pathlib import Path

import pytest

from data_construction import sampling
from data_construction.selection import PROMPT_FILE
from fusechat.io import write_parquet
from fusechat.recipe import load_recipe
from fusechat.stage_runner import StageContext
from fusechat.stage_table import WRPO_STAGES

REPO = Path(__file__).resolve().parents[2]
SMOKE_WRPO = REPO / "recipes" / "smoke_wrpo.yaml"


def _ctx(recipe, root: Path) -> StageContext:
    spec = WRPO_STAGES["sample_responses"]
    out = root / spec.folder
    out.mkdir(parents=True, exist_ok=True)
    return StageContext(spec, recipe, out, {"select_prompts": root / WRPO_STAGES["select_prompts"].folder})


class RecordedError(Exception):
    pass


def test_trust_remote_code_reaches_the_transformers_backend_and_the_context_check(monkeypatch) -> None:
    import transformers

    from data_construction import context_window
    from fusechat.generation import load_generator

    seen: list[tuple[str, object]] = []

    def fake(kind):
        def from_pretrained(path, **kw):
            seen.append((kind, kw.get("trust_remote_code")))
            raise RecordedError
        return from_pretrained

    monkeypatch.setattr(transformers.AutoTokenizer, "from_pretrained", fake("tokenizer"))
    monkeypatch.setattr(transformers.AutoConfig, "from_pretrained", fake("config"))
    for flag in (True, False):
        with pytest.raises(RecordedError):
            load_generator("some/model", backend="hf", trust_remote_code=flag)
        for load in (context_window.load_tokenizer, context_window.config_window):
            with pytest.raises(RecordedError):
                load.__wrapped__("some/model", flag)
    assert seen == [("tokenizer", True), ("tokenizer", True), ("config", True),
                    ("tokenizer", False), ("tokenizer", False), ("config", False)]


def test_trust_remote_code_reaches_the_vllm_engine(monkeypatch) -> None:
    from fusechat.generation import load_generator

    engines: list[dict] = []

    class LLM:
        def __init__(self, **kw):
            engines.append(kw)

    monkeypatch.setitem(sys.modules, "vllm", types.SimpleNamespace(LLM=LLM))
    load_generator("internlm/internlm2_5-20b-chat", backend="vllm", tensor_parallel_size=2, trust_remote_code=True)
    load_generator("some/model", backend="vllm")
    assert [e["trust_remote_code"] for e in engines] == [True, False] and engines[0]["tensor_parallel_size"] == 2


def test_the_sampling_stage_passes_each_models_flag(tmp_path: Path, monkeypatch) -> None:
    from fusechat.generation import Completion

    class Fake:
        def chat(self, convs, params):
            return [[Completion("ok", "stop", 1, 1)] * params.n for _ in convs]

    flags: dict[str, bool] = {}

    def load(path, **kw):
        flags[path] = kw["trust_remote_code"]
        return Fake()

    monkeypatch.setattr(sampling, "load_generator", load)
    prompts = [{"id": "p0", "source": "ultrafeedback", "domain": "general",
                "messages": [{"role": "user", "content": "Hi there"}], "gold_answer": None, "tests": None,
                "dataset_response": None, "dataset_response_model": None, "metadata": "{}"}]
    write_parquet(prompts, tmp_path / WRPO_STAGES["select_prompts"].folder / PROMPT_FILE)
    recipe = load_recipe(SMOKE_WRPO, [f"run.dir={tmp_path}", *(f"data.sampling.models.{i}.path=fake/m{i}"
                                                                 for i in range(4)),
                                      "data.sampling.models.1.trust_remote_code=true"])
    sampling.run(_ctx(recipe, tmp_path))
    assert flags == {"fake/m0": False, "fake/m1": True, "fake/m2": False, "fake/m3": False}


def test_the_wrpo_recipe_trusts_only_internlms_code() -> None:
    recipe = load_recipe(REPO / "recipes" / "wrpo_llama3_8b.yaml")
    assert [m.name for m in recipe.data.sampling.models if m.trust_remote_code] == ["internlm2_5-20b-chat"]
