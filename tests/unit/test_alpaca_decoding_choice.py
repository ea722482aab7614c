"""AlpacaEval's ``options.decoding``: FuseEval's decoder (default) vs the authors' leaderboard configs, and vLLM's
presence/frequency penalties in the transformers backend."""

from __future__ import annotations

import pytest
import torch

from evaluation.tasks import get_task
from fusechat.generation import OutputPenalty


def test_default_drops_the_penalties_fuseeval_decoder_drops() -> None:
    ae = get_task("alpacaeval2")
    llama, qwen = ae.decoding_for({}, "llama3"), ae.decoding_for({}, "qwen2")
    assert (llama.temperature, llama.top_p, llama.top_k, llama.presence_penalty, llama.frequency_penalty) == \
        (0.6, 0.9, -1, 0.0, 0.0)
    assert (qwen.temperature, qwen.top_p, qwen.top_k, qwen.repetition_penalty) == (0.7, 0.8, 20, 1.0)


def test_leaderboard_config_applies_the_leaderboard_options() -> None:
    ae = get_task("alpacaeval2").configured({"decoding": "leaderboard_config"})
    llama, qwen, gemma = (ae.decoding_for({}, f) for f in ("llama3", "qwen2", "gemma2"))
    assert (llama.top_k, llama.presence_penalty, llama.frequency_penalty, llama.max_new_tokens) == (50, 0.1, 0.1, 4096)
    assert llama.stop == ("<|start_header_id|>", "<|end_header_id|>")
    assert (qwen.top_k, qwen.repetition_penalty, qwen.temperature) == (20, 1.05, 0.7)
    assert (gemma.temperature, gemma.top_p, gemma.presence_penalty) == (0.5, 1.0, 0.0)
    assert ae.decoding_for({}, "mistral").temperature == 0.0  # no FuseEval or leaderboard config: greedy
    sp = llama.sampling(3)
    assert (sp.presence_penalty, sp.frequency_penalty, sp.top_k) == (0.1, 0.1, 50)
    assert ae.protocol()["decoding_choice"] == "leaderboard_config"
    with pytest.raises(ValueError, match="decoding"):
        get_task("alpacaeval2").configured({"decoding": "leaderboard"})


def test_output_penalty_is_vllm_presence_and_frequency_on_generated_tokens_only() -> None:
    ids = torch.tensor([[5, 1, 1, 2]])  # prompt [5], generated [1, 1, 2]
    scores = torch.zeros(1, 6)
    out = OutputPenalty(prompt_len=1, presence=0.1, frequency=0.2)(ids, scores.clone())
    assert out.tolist()[0] == pytest.approx([0.0, -0.5, -0.3, 0.0, 0.0, 0.0])  # 5 is a prompt token: untouched
    assert torch.equal(OutputPenalty(4, 0.1, 0.2)(ids, scores.clone()), scores)  # nothing generated yet
