"""``OpenAIJudge``: the one judge client of every judged task, any OpenAI-compatible chat-completions endpoint
(api.openai.com for the paper's judges, ``vllm serve``, the local tiny judge), spoken over ``httpx`` directly (the
``openai`` package's own client has only per-read timeouts, so a server that trickles its body could hold a request
for as long as it liked).

A batch is answered in input order: cache hits first (``evaluation.judge.cache``), the misses sent by
``concurrency`` worker threads. A request that fails with a connection error, a timeout, HTTP 408/409/429 or a 5xx
is retried ``max_retries`` times after ``backoff_s``, ``2·backoff_s``, ``4·backoff_s`` ... seconds, or after the
server's ``Retry-After`` when that is longer; any other error (400 bad request, 401, 404 ...) is final at once. A
request that still fails comes back with ``error`` set and is counted (``JudgeStats.failed``), never cached, so a
rerun retries it.

**Deadline.** ``timeout_s`` is the total deadline of one request, every attempt and every wait between attempts
included: each attempt's connect and each read get at most the time left, the body is read in chunks and given up
the moment the deadline passes (a server that trickles its body cannot hold a request past it), and a wait
(backoff or ``Retry-After``) that would end after the deadline is not waited: the request fails at once with the
reason. A body larger than ``MAX_BODY_BYTES`` is cut off and counts as a failure.

**Reply validation.** A 200 whose body is not an OpenAI chat completion (not JSON, no ``choices[0].message``) is a
failed request; one whose ``content`` is not text (``{"content": 7}``) is an *unparsable* judgment: ``text`` is
"" and ``invalid`` says why, it is counted (``JudgeStats.unparsable``) and never cached. Lone surrogates in a
reply (JSON ``"\\ud800"``) become U+FFFD, so every stored text can be encoded; lone surrogates in a request's
messages are sent as U+FFFD too (the cache key still hashes the request as the task built it).

**The key.** The API key is read from the environment variable named by ``eval.judge.api_key_env`` and held in
memory only. It is scrubbed (``***``) from every reply text, logprob token and error text *before* anything is cut,
cached, returned or written, so a judge that echoes the key, or an error that quotes it across the 300-character
cut, cannot put it into the cache or a verdict file.
"""

from __future__ import annotations

import email.utils
import json
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
#: The endpoint when ``eval.judge.base_url`` is unset (the paper's judges).
OPENAI_BASE_URL = "https://api.openai.com/v1"
#: Largest reply body read (a chat completion of a judge is a few kB; logprobs of 2,048 tokens well under 1 MB).
MAX_BODY_BYTES = 16 * 1024 * 1024
#: Characters of an error text kept (after the key is scrubbed).
ERROR_CHARS = 300
_RETRY_STATUS = {408, 409, 429}


class _AttemptError(Exception):
    """One failed attempt: ``retry`` whether it is transient, ``wait_s`` the server's ``Retry-After`` (if any)."""

    def __init__(self, kind: str, message: str, retry: bool, wait_s: float | None = None):
        super().__init__(message)
        self.kind, self.retry, self.wait_s = kind, retry, wait_s


class _UnparsableError(Exception):
    """A 200 reply whose ``content`` is not text: an unparsable judgment, not a failed request."""


def endpoint_host(base_url: str | None) -> str:
    """What the manifest records of an endpoint: its host[:port] only (never a path, query or credential)."""
    if not base_url:
        return "api.openai.com"
    parts = urlsplit(base_url)
    return parts.hostname + (f":{parts.port}" if parts.port else "") if parts.hostname else "?"


def retryable_status(status: int) -> bool:
    """408/409/429 and every 5xx are transient; other HTTP errors are final."""
    return status in _RETRY_STATUS or status >= 500


def retry_after_s(value: str | None, now: float | None = None) -> float | None:
    """Seconds asked by a ``Retry-After`` header (delta-seconds or an HTTP date, RFC 9110 §10.2.3); None when
    absent or unreadable."""
    if not value:
        return None
    value = value.strip()
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError):
        return None
    if when is None:
        return None
    return max(0.0, when.timestamp() - (time.time() if now is None else now))


def text_safe(s: str) -> str:
    """``s`` with every lone surrogate replaced by U+FFFD (what UTF-8 can encode); unchanged when valid."""
    try:
        s.encode("utf-8")
        return s
    except UnicodeEncodeError:
        return s.encode("utf-8", "surrogatepass").decode("utf-8", "replace")


def parse_top_logprobs(choice: dict[str, Any]) -> tuple[dict[str, float], ...] | None:
    """``choices[0].logprobs.content[i].top_logprobs`` as one {token: logprob} per generated token (the sampled
    token alone when the endpoint returned no alternatives); None when the reply has no (well-formed) logprobs."""
    lp = choice.get("logprobs")
    content = lp.get("content") if isinstance(lp, dict) else None
    if not content or not isinstance(content, list):
        return None
    out = []
    try:
        for tok in content:
            alts = {text_safe(str(t["token"])): float(t["logprob"]) for t in (tok.get("top_logprobs") or [])}
            out.append(alts or {text_safe(str(tok["token"])): float(tok["logprob"])})
    except (AttributeError, KeyError, TypeError, ValueError):
        return None
    return tuple(out)


def _shutdown(sock: Any) -> None:
    """Watchdog: end a blocked read at the deadline (``shutdown`` wakes a thread blocked in ``recv``)."""
    import socket

    try:
        sock.shutdown(socket.SHUT_RDWR)
    except OSError:
        pass


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
    _http: Any = field(default=None, init=False, repr=False)
    _lock: threading.Lock = field(default_factory=threading.Lock, init=False, repr=False)

    def __post_init__(self) -> None:
        import httpx

        self._http = httpx.Client(
            base_url=(self.base_url or OPENAI_BASE_URL).rstrip("/") + "/",
            headers={"Authorization": f"Bearer {self.api_key}", "Content-Type": "application/json"},
            timeout=self.timeout_s, limits=httpx.Limits(max_connections=max(1, self.concurrency)))

    @property
    def host(self) -> str:
        return endpoint_host(self.base_url)

    # ------------------------------------------------------------------ one request
    def _params(self, req: JudgeRequest) -> dict[str, Any]:
        params: dict[str, Any] = {"model": self.model,
                                  "messages": [{"role": text_safe(r), "content": text_safe(c)}
                                               for r, c in req.messages],
                                  "temperature": req.temperature, "max_tokens": req.max_tokens}
        if req.logprobs:
            params["logprobs"] = True
            if req.top_logprobs:
                params["top_logprobs"] = req.top_logprobs
        return params

    def _scrub(self, text: str) -> str:
        return text.replace(self.api_key, "***") if self.api_key else text

    def _error_text(self, kind: str, message: str) -> str:
        """``kind: message``, the key scrubbed first, then whitespace folded and cut to ``ERROR_CHARS``."""
        clean = " ".join(self._scrub(text_safe(message)).split())
        return f"{kind}: {clean[:ERROR_CHARS]}"

    def _read_body(self, resp: Any, deadline: float) -> bytes:
        """The reply body, read in chunks: given up when the deadline passes (a watchdog ends a blocked read)
        or when it grows past ``MAX_BODY_BYTES``."""
        import httpx

        sock = None
        stream = resp.extensions.get("network_stream")
        if stream is not None:
            try:
                sock = stream.get_extra_info("socket")
            except Exception:  # noqa: BLE001 - no socket to watch: the per-chunk check still holds
                sock = None
        timer = None
        if sock is not None:
            timer = threading.Timer(max(0.0, deadline - time.monotonic()), _shutdown, (sock,))
            timer.daemon = True
            timer.start()
        chunks: list[bytes] = []
        size = 0
        try:
            for chunk in resp.iter_bytes():
                size += len(chunk)
                if size > MAX_BODY_BYTES:
                    raise _AttemptError("APIResponseValidationError", f"reply body over {MAX_BODY_BYTES} bytes", False)
                chunks.append(chunk)
                if time.monotonic() >= deadline:
                    break
        except httpx.HTTPError:
            if time.monotonic() < deadline:
                raise
        finally:
            if timer is not None:
                timer.cancel()
        if time.monotonic() >= deadline:
            raise _AttemptError("APITimeoutError", f"reply not complete within the request's {self.timeout_s:g} s "
                                              "deadline", False)
        return b"".join(chunks)

    def _attempt(self, req: JudgeRequest, deadline: float) -> JudgeReply:
        """One HTTP exchange; raises ``_AttemptError`` (failed) or ``_UnparsableError`` (content not text)."""
        import httpx

        left = deadline - time.monotonic()
        if left <= 0:
            raise _AttemptError("APITimeoutError", f"request deadline of {self.timeout_s:g} s passed", False)
        body = json.dumps(self._params(req), ensure_ascii=False).encode("utf-8")
        try:
            with self._http.stream("POST", "chat/completions", content=body, timeout=httpx.Timeout(left)) as resp:
                data = self._read_body(resp, deadline)
                status, retry_after = resp.status_code, resp.headers.get("retry-after")
        except httpx.TimeoutException as exc:
            raise _AttemptError("APITimeoutError", str(exc) or "timed out", True) from None
        except httpx.HTTPError as exc:
            raise _AttemptError("APIConnectionError", str(exc) or type(exc).__name__, True) from None
        text = data.decode("utf-8", "replace")
        if not 200 <= status < 300:
            try:
                err = json.loads(text).get("error")
                msg = err.get("message") if isinstance(err, dict) else err
            except (ValueError, AttributeError):
                msg = None
            raise _AttemptError("APIStatusError", f"HTTP {status}: {msg if isinstance(msg, str) else text}",
                           retryable_status(status), retry_after_s(retry_after))
        return self._reply(text)

    def _reply(self, text: str) -> JudgeReply:
        """A 200 body checked to be a chat completion; the content text and logprob tokens scrubbed."""
        try:
            data = json.loads(text)
            choice = data["choices"][0]
            message = choice["message"]
            if not isinstance(message, dict):
                raise TypeError("message is not an object")
        except (ValueError, KeyError, IndexError, TypeError) as exc:
            raise _AttemptError("APIResponseValidationError", f"not a chat completion ({exc}): {text}", False) from None
        content = message.get("content")
        if content is None:
            content = ""
        if not isinstance(content, str):
            raise _UnparsableError(f"reply content is {type(content).__name__}, not text: {content!r}")
        usage = data.get("usage") if isinstance(data.get("usage"), dict) else {}
        top = parse_top_logprobs(choice) if isinstance(choice, dict) else None
        if top is not None and self.api_key:
            top = tuple({self._scrub(k): v for k, v in d.items()} for d in top)
        return JudgeReply(text=self._scrub(text_safe(content)), top_logprobs=top,
                          prompt_tokens=_count(usage.get("prompt_tokens")),
                          completion_tokens=_count(usage.get("completion_tokens")))

    def _send(self, req: JudgeRequest) -> JudgeReply:
        """One request with retries under its deadline; counts every attempt as a call and the tokens of the
        successful one. Never raises."""
        deadline = time.monotonic() + self.timeout_s
        delay = self.backoff_s
        attempt = 0
        while True:
            with self._lock:
                self.stats.calls += 1
            note = ""
            try:
                reply = self._attempt(req, deadline)
                with self._lock:
                    self.stats.prompt_tokens += reply.prompt_tokens
                    self.stats.completion_tokens += reply.completion_tokens
                return reply
            except _UnparsableError as exc:
                return JudgeReply(text="", invalid=self._error_text("unparsable", str(exc)))
            except _AttemptError as exc:
                if exc.retry and attempt < self.max_retries:
                    wait = max(delay, exc.wait_s or 0.0)
                    if time.monotonic() + wait < deadline:
                        attempt += 1
                        if wait > 0:
                            time.sleep(wait)
                        delay *= 2
                        continue
                    note = f"; next try after {wait:g} s would pass the {self.timeout_s:g} s deadline"
                message = self._error_text(exc.kind, str(exc))
            except Exception as exc:  # noqa: BLE001 - every failure becomes a counted, reported reply
                message = self._error_text(type(exc).__name__, str(exc))
            with self._lock:
                self.stats.failed += 1
            return JudgeReply(text="", error=f"{message}{note} (after {attempt + 1} attempt(s))")

    # ------------------------------------------------------------------ a batch
    def _cached(self, req: JudgeRequest) -> JudgeReply | None:
        """The cache's reply, or None (also when the cache cannot be read: the request is then sent)."""
        if self.cache is None:
            return None
        try:
            return self.cache.get(self.model, req)
        except Exception:  # noqa: BLE001 - an unreadable cache row is a miss, never a crash
            return None

    def chat(self, requests: Sequence[JudgeRequest], desc: str = "judging") -> list[JudgeReply]:
        out: list[JudgeReply | None] = [None] * len(requests)
        misses: dict[JudgeRequest, list[int]] = {}
        for i, req in enumerate(requests):
            hit = self._cached(req)
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
                    if reply.error is None and reply.invalid is None and self.cache is not None:
                        try:
                            self.cache.put(self.model, req, reply)  # committed now: a killed run keeps it
                        except Exception:  # noqa: BLE001 - a judgment that cannot be stored is still used
                            pass
                    for i in misses[req]:
                        out[i] = reply
                    bar.update(1)
            bar.close()
        return [r for r in out if r is not None]

    def close(self) -> None:
        self._http.close()
        if self.owns_cache and self.cache is not None:
            self.cache.close()


def _count(value: Any) -> int:
    """A token count from ``usage``; 0 when absent or not a number."""
    try:
        return max(0, int(value or 0))
    except (TypeError, ValueError):
        return 0


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
