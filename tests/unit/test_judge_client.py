"""The judge client against real HTTP servers on localhost: the local tiny judge (a test-only judged task with a
fake reward), and a flaky endpoint for retries. Cache hits, input order, logprobs round-trip, retry/backoff,
no retry on 400, failures counted and never cached, and resuming a half-filled cache."""

from __future__ import annotations

import json
import math
import urllib.error
import urllib.request
from pathlib import Path

import pytest
from judge_helpers import SYSTEM, FlakyEndpoint, ToyJudgedTask, fake_reward, judge_request

from evaluation.judge import JudgeError, JudgeRequest
from evaluation.judge.cache import JudgmentCache
from evaluation.judge.client import OpenAIJudge, make_judge
from evaluation.judge.local_server import UNRECOGNISED, serve_local_judge
from fusechat.recipe import EvalJudgeConfig

TASK = ToyJudgedTask()
QA = [(f"q{i}", "x" * (3 * i)) for i in range(8)]  # rewards (3i-10)/5: items 0-3 bad (B), 4-7 good (A)


def _judge(base_url: str, cache_dir: Path, **kw: object) -> OpenAIJudge:
    params: dict = {"concurrency": 4, "max_retries": 2, "backoff_s": 0.0, "timeout_s": 10.0, **kw}
    return OpenAIJudge(model="tiny-judge", base_url=base_url, api_key="k", cache=JudgmentCache(cache_dir),
                       progress=False, **params)


@pytest.fixture
def local_url():
    with serve_local_judge("unused", tasks=[TASK], reward=fake_reward, model="tiny-judge") as url:
        yield url


def test_local_judge_answers_in_order_with_logprobs_and_caches(local_url: str, tmp_path: Path) -> None:
    judge = _judge(local_url, tmp_path)
    reqs = [judge_request(q, a) for q, a in QA]
    replies = judge.chat(reqs)
    assert [r.text for r in replies] == ["B"] * 4 + ["A"] * 4
    for (q, a), r in zip(QA, replies, strict=True):
        p = 1 / (1 + math.exp(-fake_reward(q, a)))
        assert r.top_logprobs is not None and len(r.top_logprobs) == 1
        assert r.top_logprobs[0]["A"] == pytest.approx(math.log(p)) and r.top_logprobs[0]["B"] == pytest.approx(
            math.log(1 - p))
        assert r.prompt_tokens > 0 and r.completion_tokens == 1 and not r.cached and r.error is None
    s = judge.stats
    assert (s.calls, s.cache_hits, s.failed) == (8, 0, 0)
    assert s.prompt_tokens == sum(r.prompt_tokens for r in replies) and s.completion_tokens == 8
    again = _judge(local_url, tmp_path)
    replies2 = again.chat(reqs)
    assert (again.stats.calls, again.stats.cache_hits) == (0, 8)
    assert [(r.text, r.top_logprobs) for r in replies2] == [(r.text, r.top_logprobs) for r in replies]
    assert all(r.cached for r in replies2)


def test_top_logprobs_are_truncated_to_what_was_asked(local_url: str, tmp_path: Path) -> None:
    one = JudgeRequest.of(judge_request("q", "x" * 40).openai_messages(), logprobs=True, top_logprobs=1)
    none = JudgeRequest.of(one.openai_messages(), logprobs=False)
    r1, r0 = _judge(local_url, tmp_path).chat([one, none])
    assert r1.top_logprobs is not None and list(r1.top_logprobs[0]) == ["A"]
    assert r0.top_logprobs is None and r0.text == "A"


def test_unrecognised_prompt_is_a_400_not_retried_counted_and_not_cached(local_url: str, tmp_path: Path) -> None:
    judge = _judge(local_url, tmp_path, max_retries=3)
    bad = JudgeRequest.of([{"role": "user", "content": "what is this"}])
    [r] = judge.chat([bad])
    assert r.error is not None and UNRECOGNISED in r.error and "1 attempt" in r.error and r.text == ""
    assert (judge.stats.calls, judge.stats.failed) == (1, 1)
    assert JudgmentCache(tmp_path).get("tiny-judge", bad) is None
    with pytest.raises(urllib.error.HTTPError) as exc:
        urllib.request.urlopen(urllib.request.Request(f"{local_url}/chat/completions", data=json.dumps(
            {"model": "m", "messages": [{"role": "user", "content": "hi"}]}).encode(), method="POST"))
    assert exc.value.code == 400 and json.loads(exc.value.read())["error"]["message"] == UNRECOGNISED
    models = json.loads(urllib.request.urlopen(f"{local_url}/models").read())
    assert [m["id"] for m in models["data"]] == ["tiny-judge"]


def test_retries_5xx_with_backoff_then_succeeds(tmp_path: Path) -> None:
    with FlakyEndpoint(failures=2) as ep:
        judge = _judge(ep.base_url, tmp_path, max_retries=2, concurrency=1)
        [r] = judge.chat([judge_request("q", "a")])
    assert r.error is None and r.text == "A" and ep.hits == 3
    assert (judge.stats.calls, judge.stats.failed, judge.stats.prompt_tokens) == (3, 0, 7)
    body = ep.bodies[-1]
    assert body["logprobs"] is True and body["top_logprobs"] == 2 and body["max_tokens"] == 4
    assert body["messages"][0] == {"role": "system", "content": SYSTEM} and body["model"] == "tiny-judge"


def test_gives_up_after_max_retries_and_does_not_cache(tmp_path: Path) -> None:
    with FlakyEndpoint(failures=10, fail_status=429) as ep:
        judge = _judge(ep.base_url, tmp_path, max_retries=2)
        [r] = judge.chat([judge_request("q", "a")])
    assert r.error is not None and "3 attempt" in r.error and ep.hits == 3
    assert (judge.stats.calls, judge.stats.failed) == (3, 1)
    assert len(JudgmentCache(tmp_path)) == 0


def test_400_is_not_retried(tmp_path: Path) -> None:
    with FlakyEndpoint(failures=1, fail_status=400) as ep:
        [r] = _judge(ep.base_url, tmp_path, max_retries=5).chat([judge_request("q", "a")])
    assert r.error is not None and ep.hits == 1


def test_connection_refused_is_retried_then_reported(tmp_path: Path) -> None:
    with FlakyEndpoint(failures=0) as ep:
        url = ep.base_url
    judge = _judge(url, tmp_path, max_retries=1)  # the port is closed now
    [r] = judge.chat([judge_request("q", "a")])
    assert r.error is not None and "APIConnectionError" in r.error
    assert (judge.stats.calls, judge.stats.failed) == (2, 1)


def test_resume_after_half_the_judgments_makes_only_the_missing_calls(local_url: str, tmp_path: Path) -> None:
    reqs = [judge_request(q, a) for q, a in QA]
    first = _judge(local_url, tmp_path)
    first.chat(reqs[::2])  # "killed" after half of the judgments were paid for
    assert first.stats.calls == 4
    resumed = _judge(local_url, tmp_path)
    out = resumed.chat(reqs)
    assert (resumed.stats.calls, resumed.stats.cache_hits) == (4, 4)
    fresh = _judge(local_url, tmp_path / "fresh").chat(reqs)
    assert [(r.text, r.top_logprobs) for r in out] == [(r.text, r.top_logprobs) for r in fresh]


def test_duplicate_requests_in_a_batch_are_sent_once(local_url: str, tmp_path: Path) -> None:
    judge = _judge(local_url, tmp_path)
    req = judge_request("q", "a")
    assert [r.text for r in judge.chat([req, req, req])] == ["B"] * 3 and judge.stats.calls == 1


def test_make_judge_models_and_key(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.delenv("MY_JUDGE_KEY", raising=False)
    cfg = EvalJudgeConfig(api_key_env="MY_JUDGE_KEY", cache_dir=str(tmp_path))
    with pytest.raises(JudgeError, match="MY_JUDGE_KEY is not set"):
        make_judge(cfg, TASK)
    monkeypatch.setenv("MY_JUDGE_KEY", "sk-test")
    j = make_judge(cfg, TASK)
    assert j.model == "gpt-4-1106-preview" and j.host == "api.openai.com" and "sk-test" not in repr(j)
    j.close()
    j = make_judge(cfg.model_copy(update={"model": "qwen-judge", "base_url": "http://gpu7:8000/v1"}), TASK)
    assert (j.model, j.host) == ("qwen-judge", "gpu7:8000")
    j.close()
    monkeypatch.delenv("MY_JUDGE_KEY")
    local = cfg.model_copy(update={"local": "tiny"})
    j = make_judge(local, TASK, "http://127.0.0.1:9/v1", local_model="tiny-judge/rm@abc")
    assert j.model == "tiny-judge/rm@abc" and j.api_key  # placeholder key for the local judge
    j.close()
