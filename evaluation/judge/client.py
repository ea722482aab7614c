"""``OpenAIJudge``: the one judge client of every judged task, any OpenAI-compatible chat-completions endpoint
(api.openai.com for the paper's judges, ``vllm serve``, the local tiny judge) through the ``openai`` package.

A batch is answered in input order: cache hits first (``evaluation.judge.cache``), the misses sent by
``concurrency`` worker threads. A request that fails with a connection error, a timeout, HTTP 408/409/429 or a 5xx
is retried ``max_retries`` times after ``backoff_s``, ``2·backoff_s``, ``4·backoff_s`` ... seconds; any other
error (400 bad request, 401, 404 ...) is final at once. A request that still fails comes back with ``error`` set
and is counted (``JudgeStats.failed``), never cached, so a rerun retries it.

The API key is read from the environment variable named by ``eval.judge.api_key_env`` and handed to the client in
memory only; error texts are scrubbed of it before they are returned.
"""

from __future__ import annotations

import os
import threading
import time
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor, as_completed
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

from evaluation.judge import Judge, JudgeError, JudgeReply, JudgeRequest
from evaluation.judge.cache import JudgmentCache, default_cache_dir

#: Model name of the local tiny judge when ``eval.judge.model`` is unset (``evaluation.judge.local_server``).
LOCAL_MODEL = "tiny-judge"
#: The key sent to the local tiny judge when the key variable is unset (it checks none).
LOCAL_PLACEHOLDER_KEY = "local-tiny-judge"
_RETRY_STATUS = {408, 409, 429}


def endpoint_host(base_url: str | None) -> str:
    """What the manifest records of an endpoint: its host[:port] only (never a path, query or credential)."""
    if not base_url:
        return "api.openai.com"
    parts = urlsplit(base_url)
    return parts.hostname + (f":{parts.port}" if parts.port else "") if parts.hostname else "?"


def retryable(exc: BaseException) -> bool:
    """Connection errors, timeouts, 408/409/429 and every 5xx are transient; other HTTP errors are final."""
    import openai

    if isinstance(exc, openai.APIConnectionError):  # includes APITimeoutError
        return True
    if isinstance(exc, openai.APIStatusError):
        return exc.status_code in _RETRY_STATUS or exc.status_code >= 500
    return False


def parse_top_logprobs(choice: Any) -> tuple[dict[str, float], ...] | None:
    """``choices[0].logprobs.content[i].top_logprobs`` as one {token: logprob} per generated token (the sampled
    token alone when the endpoint returned no alternatives); None when the reply has no logprobs."""
    lp = getattr(choice, "logprobs", None)
    content = getattr(lp, "content", None) if lp is not None else None
    if not content:
        return None
    out = []
    for tok in content:
        alts = {t.token: float(t.logprob) for t in (tok.top_logprobs or [])}
        out.append(alts or {tok.token: float(tok.logprob)})
    return tuple(out)


@dataclass
class OpenAIJudge(Judge):
    """A ``Judge`` behind an OpenAI-compatible endpoint with the on-disk cache (see the module docstring)."""

    base_url: str | None = None
    api_key: str = field(default="", repr=False)
    cache: JudgmentCache | None = None
    concurrency: int = 8
    max_retries: int = 5
    backoff_s: float = 2.0
    timeout_s: float = 120.0
    progress: bool = True
    owns_cache: bool = False
    _client: Any = field(default=None, init=False, repr=False)
    _lock: threading.Lock = field(default_factory=threading.Lock, init=False, repr=False)

    def __post_init__(self) -> None:
        from openai import OpenAI

        self._client = OpenAI(base_url=self.base_url, api_key=self.api_key, timeout=self.timeout_s, max_retries=0)

    @property
    def host(self) -> str:
        return endpoint_host(self.base_url)

    # ------------------------------------------------------------------ one request
    def _params(self, req: JudgeRequest) -> dict[str, Any]:
        params: dict[str, Any] = {"model": self.model, "messages": req.openai_messages(),
                                  "temperature": req.temperature, "max_tokens": req.max_tokens}
        if req.logprobs:
            params["logprobs"] = True
            if req.top_logprobs:
                params["top_logprobs"] = req.top_logprobs
        return params

    def _scrub(self, text: str) -> str:
        return text.replace(self.api_key, "***") if self.api_key else text

    def _send(self, req: JudgeRequest) -> JudgeReply:
        """One request with retries; counts every attempt as a call and the tokens of the successful one."""
        delay = self.backoff_s
        attempt = 0
        while True:
            with self._lock:
                self.stats.calls += 1
            try:
                resp = self._client.chat.completions.create(**self._params(req))
                choice = resp.choices[0]
                usage = resp.usage
                reply = JudgeReply(text=choice.message.content or "", top_logprobs=parse_top_logprobs(choice),
                                   prompt_tokens=int(getattr(usage, "prompt_tokens", 0) or 0),
                                   completion_tokens=int(getattr(usage, "completion_tokens", 0) or 0))
                with self._lock:
                    self.stats.prompt_tokens += reply.prompt_tokens
                    self.stats.completion_tokens += reply.completion_tokens
                return reply
            except Exception as exc:  # noqa: BLE001 - every failure becomes a counted, reported reply
                if attempt < self.max_retries and retryable(exc):
                    attempt += 1
                    if delay > 0:
                        time.sleep(delay)
                    delay *= 2
                    continue
                with self._lock:
                    self.stats.failed += 1
                msg = " ".join(str(exc).split())[:300]
                return JudgeReply(text="", error=self._scrub(f"{type(exc).__name__}: {msg} "
                                                             f"(after {attempt + 1} attempt(s))"))

    # ------------------------------------------------------------------ a batch
    def chat(self, requests: Sequence[JudgeRequest], desc: str = "judging") -> list[JudgeReply]:
        out: list[JudgeReply | None] = [None] * len(requests)
        misses: dict[JudgeRequest, list[int]] = {}
        for i, req in enumerate(requests):
            hit = self.cache.get(self.model, req) if self.cache is not None else None
            if hit is not None:
                out[i] = hit
                self.stats.cache_hits += 1
            else:
                misses.setdefault(req, []).append(i)  # identical requests in one batch are sent once
        if misses:
            from tqdm.auto import tqdm

            bar = tqdm(total=len(misses), desc=f"{desc} ({self.model})", unit="judgment", disable=not self.progress)
            with ThreadPoolExecutor(max_workers=self.concurrency) as pool:
                futures = {pool.submit(self._send, req): req for req in misses}
                for fut in as_completed(futures):
                    req = futures[fut]
                    reply = fut.result()
                    if reply.error is None and self.cache is not None:
                        self.cache.put(self.model, req, reply)  # committed now: a killed run keeps it
                    for i in misses[req]:
                        out[i] = reply
                    bar.update(1)
            bar.close()
        return [r for r in out if r is not None]

    def close(self) -> None:
        self._client.close()
        if self.owns_cache and self.cache is not None:
            self.cache.close()


def api_key(cfg: Any, local: bool = False) -> str:
    """The key from the environment variable ``cfg.api_key_env``; a one-line ``JudgeError`` when it is unset
    (the local tiny judge takes a placeholder)."""
    key = os.environ.get(cfg.api_key_env, "")
    if key:
        return key
    if local:
        return LOCAL_PLACEHOLDER_KEY
    raise JudgeError(f"judge API key: environment variable {cfg.api_key_env} is not set (eval.judge.api_key_env; "
                     f"for a keyless vLLM server set it to any value, e.g. {cfg.api_key_env}=EMPTY)")


def make_judge(cfg: Any, task: Any, base_url_override: str | None = None, *, cache: JudgmentCache | None = None,
               local_model: str | None = None, progress: bool = True) -> OpenAIJudge:
    """The judge of ``task`` under ``eval.judge`` (``cfg``: ``fusechat.recipe.EvalJudgeConfig``).

    Model: ``eval.judge.model``, else the local judge's name when ``base_url_override`` points at the local tiny
    judge (``local_model``, default ``tiny-judge``), else the task's paper judge. ``cache``: a shared cache (kept
    open on close); None opens ``eval.judge.cache_dir`` (closed with the judge)."""
    local = base_url_override is not None and cfg.local == "tiny"
    model = cfg.model or (local_model or LOCAL_MODEL if local else task.judge_model)
    if not model:
        raise JudgeError(f"{task.id}: no judge model (eval.judge.model unset and the task names no paper judge)")
    owns = cache is None
    return OpenAIJudge(model=model, base_url=base_url_override or cfg.base_url, api_key=api_key(cfg, local),
                       cache=cache if cache is not None else JudgmentCache(default_cache_dir(cfg.cache_dir)),
                       concurrency=cfg.concurrency, max_retries=cfg.max_retries, backoff_s=cfg.backoff_s,
                       timeout_s=cfg.timeout_s, progress=progress, owns_cache=owns)
