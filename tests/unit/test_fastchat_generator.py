"""The ``generator`` option of MT-Bench and LiveBench: FuseEval's vLLM script (default) or its HF/FastChat script."""

from __future__ import annotations

import pytest

from evaluation.tasks import get_task
from evaluation.tasks._fastchat import render

#: FastChat's ``get_prompt()`` for [Q1?, A1., Q2?, open turn], from FuseEval's LiveBench ``model_adapter`` (5af2bad)
#: with FastChat's ``conversation.py`` at 0e6d3e4, for the FuseChat model names (recorded by running that code)
UPSTREAM = {
    "llama3": "<|begin_of_text|><|start_header_id|>user<|end_header_id|>\n\nQ1?<|eot_id|><|start_header_id|>assistant"
              "<|end_header_id|>\n\nA1.<|eot_id|><|start_header_id|>user<|end_header_id|>\n\nQ2?<|eot_id|>"
              "<|start_header_id|>assistant<|end_header_id|>\n\n",
    "qwen2": "<|im_start|>system\nYou are a helpful assistant.<|im_end|>\n<|im_start|>user\nQ1?<|im_end|>\n"
             "<|im_start|>assistant\nA1.<|im_end|>\n<|im_start|>user\nQ2?<|im_end|>\n<|im_start|>assistant\n",
    "gemma2": "<bos><start_of_turn>user\nQ1?<end_of_turn>\n<start_of_turn>model\nA1.<end_of_turn>\n"
              "<start_of_turn>user\nQ2?<end_of_turn>\n<start_of_turn>model\n",
}
UPSTREAM_ONE_TURN = {
    "llama3": "<|begin_of_text|><|start_header_id|>user<|end_header_id|>\n\nQ1?<|eot_id|><|start_header_id|>assistant"
              "<|end_header_id|>\n\n",
    "qwen2": "<|im_start|>system\nYou are a helpful assistant.<|im_end|>\n<|im_start|>user\nQ1?<|im_end|>\n"
             "<|im_start|>assistant\n",
    "gemma2": "<bos><start_of_turn>user\nQ1?<end_of_turn>\n<start_of_turn>model\n",
}


@pytest.mark.parametrize("family", sorted(UPSTREAM))
def test_render_is_fastchats_text(family: str) -> None:
    assert render(family, ["Q1?", "Q2?"], ["A1."]) == UPSTREAM[family]
    assert render(family, ["Q1?"], []) == UPSTREAM_ONE_TURN[family]


def test_mt_bench_generator_key_changes_the_generation_settings() -> None:
    default = get_task("mt_bench")
    hf = default.configured({"generator": "hf_fastchat"})
    writing = {"question_id": 1, "category": "writing", "turns": ["Q1?", "Q2?"]}
    math = {**writing, "category": "math"}
    assert (default.generator, default.max_model_len) == ("vllm", 4096)
    assert (hf.generator, hf.max_model_len) == ("hf_fastchat", None)
    assert default.decoding_for(writing, "llama3").max_new_tokens == 4096
    d = hf.decoding_for(writing, "llama3")
    assert (d.max_new_tokens, d.temperature, d.top_k) == (1024, 0.7, 50)
    assert (hf.decoding_for(math, "llama3").temperature, hf.decoding_for(math, "llama3").top_k) == (0.0, -1)
    p = hf.prompt_turn(writing, "llama3", ["A1."])
    assert p.text == UPSTREAM["llama3"] and p.add_bos  # the tokenizer's BOS too: two, as HF generate saw it
    assert hf.prompt_turn(writing, "qwen2", ["A1."]).add_bos is False
    assert default.prompt_turn(writing, "llama3", ["A1."]).text is None  # vLLM path: the model's chat template
    assert hf.protocol()["generator"] == "hf_fastchat" and default.protocol()["generator"] == "vllm"
    assert default.configured({"generator": "vllm"}) is default and get_task("mt_bench").generator == "vllm"


def test_livebench_generator_key() -> None:
    default = get_task("livebench")
    hf = default.configured({"generator": "hf_fastchat"})
    item = {"turns": ["Q1?"], "category": "math", "task": "math_comp"}
    assert hf.prompt(item, "gemma2").text == UPSTREAM_ONE_TURN["gemma2"] and hf.prompt(item, "gemma2").add_bos
    assert default.prompt(item, "gemma2").text is None
    assert (hf.max_model_len, default.max_model_len) == (None, 4096)
    assert hf.decoding.max_new_tokens == 4096 == default.decoding.max_new_tokens  # both scripts: 4096, greedy
    assert hf.protocol()["generator"] == "hf_fastchat"


def test_bad_generator_and_family_are_one_line_errors() -> None:
    with pytest.raises(ValueError, match="options.generator must be one of vllm, hf_fastchat, not 'hf'"):
        get_task("mt_bench").configured({"generator": "hf"})
    with pytest.raises(ValueError, match="no FuseEval FastChat template for family 'mistral'"):
        get_task("livebench").configured({"generator": "hf_fastchat"}).prompt({"turns": ["x"]}, "mistral")
