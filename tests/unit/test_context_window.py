"""The length limit covers what the sampling model sees: the whole conversation, in its tokens, against its context
window (``data_construction/context_window.py``), checked at selection."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from test_hostile_rows import HS2, UF, select

from data_construction.context_window import ContextLimit, model_budget
from fusechat.recipe import load_recipe
from fusechat.stage_runner import StageError

REPO = Path(__file__).resolve().parents[2]
TINY_WINDOW = 512  # max_position_embeddings of the tiny world's models


def helpsteer(turns: list[str]) -> dict:
    roles = ["User", "Assistant"]
    text = turns[0] + "".join(f"\n<extra_id_1>{roles[(i + 1) % 2]}\n{t}" for i, t in enumerate(turns[1:]))
    return {**HS2, "prompt": text}


def test_helpsteer2_with_a_1mb_earlier_turn_is_dropped(tmp_path: Path) -> None:
    big = helpsteer(["Tell me about rivers. " * 48000, "Rivers are long.", "Thanks, and lakes?"])
    assert len(big["prompt"]) > 1_000_000
    kept, counts = select(tmp_path, "helpsteer2", [big, HS2])
    assert counts.dropped == {"prompt_too_long": 1} and len(kept) == 1  # the last turn alone is short
    # with the character cut lifted, the tokenizer check still drops it
    kept, counts = select(tmp_path, "helpsteer2", [big, HS2], "data.selection.max_prompt_chars=10000000")
    assert counts.dropped == {"over_context_window": 1} and len(kept) == 1


def test_conversation_under_the_char_limit_but_over_the_token_window(tmp_path: Path) -> None:
    # ~600 tokens over three turns (the tiny window is 512, minus 64 reserved for the response), 3.6k characters
    long = helpsteer(["Please describe these rivers: " + "Nile Amazon Yangtze Danube Volga " * 40,
                      "Here they are.", "And the lakes?"])
    assert len(long["prompt"]) < 8000
    kept, counts = select(tmp_path, "helpsteer2", [long, HS2])
    assert counts.dropped == {"over_context_window": 1}
    kept, counts = select(tmp_path, "helpsteer2", [long, HS2], "data.selection.response_reserve_tokens=0",
                          "data.sampling.models.0.context_window=100000", "data.sampling.models.1.context_window=100000",
                          "data.sampling.models.2.context_window=100000", "data.sampling.models.3.context_window=100000")
    assert counts.dropped == {} and len(kept) == 2


def test_a_1mb_single_prompt_inside_the_limits_passes_unchanged(tmp_path: Path) -> None:
    text = ("A long but valid request about rivers and mountains. " * 20000)[:1_000_000].strip()
    windows = [f"data.sampling.models.{i}.context_window=2000000" for i in range(4)]
    kept, counts = select(tmp_path, "ultrafeedback", [{**UF, "instruction": text}],
                          "data.selection.max_prompt_chars=2000000", *windows)
    assert counts.dropped == {} and kept[0]["messages"] == [{"role": "user", "content": text}]


def test_only_the_models_of_the_domain_count(tmp_path: Path) -> None:
    recipe = load_recipe(REPO / "recipes" / "smoke.yaml")
    cache: dict = {}
    limit = ContextLimit.for_domain(recipe, "math", cache)
    assert [b.name for b in limit.budgets] == ["Qwen2.5-Math-72B-Instruct"]
    assert limit.budgets[0].max_prompt_tokens == TINY_WINDOW - min(64, TINY_WINDOW // 2)
    assert ContextLimit.for_domain(recipe, "chinese", cache).budgets[0].name == "Qwen2.5-72B-Instruct"


def test_offline_hub_tokenizer_is_one_line(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    model = {"name": "Absent-7B", "path": "no-such-org/no-such-model-7b", "family": "llama3", "temperature": 0.8,
             "top_p": 0.95, "domains": ["general"]}
    recipe = load_recipe(REPO / "recipes" / "smoke.yaml", [f"data.sampling.models={json.dumps([model])}"])
    with pytest.raises(StageError, match=r"sampling model Absent-7B \(no-such-org/no-such-model-7b\): cannot load") \
            as info:
        model_budget(recipe.data.sampling.models[0], recipe)
    assert "\n" not in str(info.value)


@settings(max_examples=60, deadline=None, derandomize=True)
@given(turns=st.lists(st.text(min_size=1, max_size=300).filter(str.strip), min_size=1, max_size=5)
       .filter(lambda t: len(t) % 2 == 1))
def test_the_cheap_bound_never_lets_an_over_long_prompt_through(turns: list[str]) -> None:
    """Soundness of the byte pre-check: whenever it says "fits", the tokenizer agrees."""
    recipe = load_recipe(REPO / "recipes" / "smoke.yaml")
    for budget in ContextLimit.for_domain(recipe, "general", _CACHE).budgets:
        for limit in (8, 64, 200):
            budget.max_prompt_tokens = limit
            messages = [{"role": "user" if i % 2 == 0 else "assistant", "content": t} for i, t in enumerate(turns)]
            if budget.surely_fits(messages):
                assert budget.lengths([messages])[0] <= limit


_CACHE: dict = {}


def test_a_template_that_refuses_a_conversation_is_a_named_drop() -> None:
    from transformers import AutoTokenizer

    from data_construction.context_window import ModelBudget
    from fusechat.tiny_world import resolve

    tok = AutoTokenizer.from_pretrained(resolve("tiny:Qwen2.5-72B-Instruct"))  # a private copy: not the cached one
    tok.chat_template = ("{% if 'forbidden' in messages[-1]['content'] %}{{ raise_exception('no') }}{% endif %}"
                         "{{ messages[-1]['content'] }}")
    limit = ContextLimit([ModelBudget("strict", tok, 100, None, {})])
    ok, refused = [{"role": "user", "content": "fine"}], [{"role": "user", "content": "forbidden"}]
    assert limit.drops([ok, refused]) == [None, "chat_template_rejects"]
