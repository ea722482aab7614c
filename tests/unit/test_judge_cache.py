"""The judgment cache: keyed by (judge model, full request), persistent across instances, failures refused, and
the default location follows eval.judge.cache_dir / $FUSECHAT_CACHE."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pytest

from evaluation.judge import JudgeReply, JudgeRequest
from evaluation.judge.cache import DB_NAME, JudgmentCache, cache_key, default_cache_dir, key_material
from fusechat.recipe import REPO_ROOT

REQ = JudgeRequest.of([{"role": "system", "content": "judge"}, {"role": "user", "content": "Q and A"}],
                      temperature=0.0, max_tokens=64, logprobs=True, top_logprobs=5)


def test_same_request_hits_and_every_change_misses(tmp_path: Path) -> None:
    cache = JudgmentCache(tmp_path)
    reply = JudgeReply("m", ({"m": -0.1, "M": -2.4},), prompt_tokens=12, completion_tokens=1)
    cache.put("gpt-4-1106-preview", REQ, reply)
    got = cache.get("gpt-4-1106-preview", JudgeRequest.of(REQ.openai_messages(), temperature=0.0, max_tokens=64,
                                                          logprobs=True, top_logprobs=5))
    assert got == dataclasses.replace(reply, cached=True)
    variants = [
        ("gpt-4-0125-preview", REQ),
        ("gpt-4-1106-preview", dataclasses.replace(REQ, temperature=0.7)),
        ("gpt-4-1106-preview", dataclasses.replace(REQ, max_tokens=65)),
        ("gpt-4-1106-preview", dataclasses.replace(REQ, logprobs=False)),
        ("gpt-4-1106-preview", dataclasses.replace(REQ, top_logprobs=4)),
        ("gpt-4-1106-preview", dataclasses.replace(REQ, messages=(("user", "judge"), ("user", "Q and A")))),
        ("gpt-4-1106-preview", dataclasses.replace(REQ, messages=(("system", "judge"), ("user", "Q and A ")))),
        ("gpt-4-1106-preview", dataclasses.replace(REQ, messages=REQ.messages[::-1])),
    ]
    keys = {cache_key(m, r) for m, r in variants}
    assert len(keys) == len(variants) and cache_key("gpt-4-1106-preview", REQ) not in keys
    for m, r in variants:
        assert cache.get(m, r) is None, (m, r)


def test_key_material_has_model_and_request_only() -> None:
    mat = key_material("gpt-4", REQ)
    assert '"model":"gpt-4"' in mat and '"top_logprobs":5' in mat and "Q and A" in mat
    for absent in ("base_url", "api_key", "http", "sk-"):
        assert absent not in mat


def test_persistent_across_instances_and_failures_refused(tmp_path: Path) -> None:
    JudgmentCache(tmp_path).put("j", REQ, JudgeReply("B"))
    again = JudgmentCache(tmp_path)
    assert again.get("j", REQ) == JudgeReply("B", cached=True) and len(again) == 1
    with pytest.raises(ValueError, match="never cached"):
        again.put("j", dataclasses.replace(REQ, max_tokens=1), JudgeReply("", error="boom"))
    assert len(again) == 1 and (tmp_path / DB_NAME).exists()


def test_default_location(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("FUSECHAT_CACHE", str(tmp_path))
    assert default_cache_dir() == tmp_path / "judgments"
    assert default_cache_dir(str(tmp_path / "mine")) == tmp_path / "mine"
    assert default_cache_dir("rel/j") == REPO_ROOT / "rel/j"
    monkeypatch.delenv("FUSECHAT_CACHE")
    assert default_cache_dir() == REPO_ROOT / ".cache" / "judgments"
