"""SamplingParams.top_k and .stop are honoured by the transformers backend (the vLLM backend: tests/vllm_cpu/)."""

from __future__ import annotations

import pytest

from fusechat.generation import HFGenerator, SamplingParams, cut_at_stop
from fusechat.tiny_world import TinyWorldSettings, resolve

CONVS = [[{"role": "user", "content": "Name three colours."}], [{"role": "user", "content": "What is 2+3?"}]]


def test_cut_at_stop_takes_the_earliest_stop_string():
    assert cut_at_stop("abc STOP def END", ("END", "STOP")) == "abc "
    assert cut_at_stop("abc", ("x",)) is None
    assert cut_at_stop("abc", ()) is None
    assert cut_at_stop("abc", ("",)) is None


@pytest.fixture(scope="module")
def gen() -> HFGenerator:
    return HFGenerator(resolve("tiny:Llama-3.1-70B-Instruct", TinyWorldSettings()), batch_size=8)


def test_top_k_1_sampling_is_greedy_and_default_top_k_is_off(gen):
    greedy = gen.chat(CONVS, SamplingParams(temperature=0.0, max_new_tokens=24))
    k1 = gen.chat(CONVS, SamplingParams(n=2, temperature=1.5, top_k=1, max_new_tokens=24, seed=5))
    for g, row in zip(greedy, k1, strict=True):
        assert [c.text for c in row] == [g[0].text] * 2
    # top_k=-1 must not fall back to generation_config's top_k=50: with a vocabulary of a few hundred tokens,
    # unrestricted sampling at a high temperature differs from top-50 sampling for the same seed.
    free = gen.chat(CONVS, SamplingParams(n=4, temperature=2.0, max_new_tokens=24, seed=3))
    k50 = gen.chat(CONVS, SamplingParams(n=4, temperature=2.0, top_k=50, max_new_tokens=24, seed=3))
    assert [c.text for r in free for c in r] != [c.text for r in k50 for c in r]


def test_stop_strings_end_the_text_before_the_stop_string(gen):
    params = SamplingParams(n=3, temperature=1.0, max_new_tokens=40, seed=11)
    full = gen.chat(CONVS, params)
    text = next(c.text for r in full for c in r if len(c.text) > 12)
    stop = text[6:9]
    cut = gen.chat(CONVS, SamplingParams(n=3, temperature=1.0, max_new_tokens=40, seed=11, stop=(stop,)))
    for frow, crow in zip(full, cut, strict=True):
        for f, c in zip(frow, crow, strict=True):
            assert stop not in c.text
            if stop in f.text:
                assert c.finish_reason == "stop"
                assert f.text.startswith(c.text)
                assert c.text == f.text[:f.text.index(stop)].strip()
            else:
                assert c.text == f.text
