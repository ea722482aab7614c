"""The local tiny judge: an OpenAI-compatible chat-completions server on localhost whose verdicts come from a
reward model, for tests and the smoke run (the judged tasks go through the same client code path as with a paid
judge or ``vllm serve``).

``POST /v1/chat/completions`` turns the body into a ``JudgeRequest`` and asks every judged task
(``task.local_verdict(request, reward)``) whether it is its judge prompt; the first ``LocalVerdict`` is the reply.
A prompt no task recognises is HTTP 400 with an OpenAI-style error body ("unrecognised judge prompt").
``GET /v1/models`` lists the one served model. ``reward(question, answer)`` is the reward model's score of one
answer (``fusechat.reward.RewardScorer``, one lock around the model, memoised) in standard units
(``(score - center) / scale``), so the tiny judge's verdicts are real measurements of the tiny models' answers.

The reply carries ``logprobs.content`` (token, logprob, top_logprobs) when the request asked ``logprobs``: from
the verdict's own per-token distributions when it gives them (AlpacaEval's weighted annotator reads them), else
the reply's whitespace-separated pieces with logprob 0. ``usage`` counts tokens with the reward model's tokenizer
(the message contents and the reply text, no chat template), or, without one, whitespace-separated words.

Request headers are never logged (``Authorization`` carries the key); the server logs nothing per request.

CLI: ``python -m evaluation.judge.local_server --reward-model tiny:ArmoRM-Llama3-8B-v0.1 --port 8008``.
"""

from __future__ import annotations

import argparse
import json
import math
import threading
import time
import uuid
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

from evaluation.judge import JudgeRequest, LocalVerdict, RewardFn
from evaluation.judge.client import LOCAL_MODEL

UNRECOGNISED = "unrecognised judge prompt"


class RewardModel:
    """``RewardFn`` over a reward model: loaded on first use, one lock around it, scores memoised.

    The judged tasks' local mappings (a rating, a verdict, a logprob) read rewards in standard units: 0 for a
    typical answer, ±1 one spread away. A raw score ``r`` is therefore returned as ``(r - center) / scale``
    (``eval.judge.local_reward_center`` / ``local_reward_scale``)."""

    def __init__(self, reward_model: str, world: Any = None, *, score_attr: str = "logits",
                 trust_remote_code: bool = False, max_length: int = 4096, center: float = 0.0, scale: float = 1.0):
        if scale <= 0:
            raise ValueError(f"reward scale must be > 0, got {scale}")
        self.center, self.scale = center, scale
        self.ref, self.world = reward_model, world
        self.score_attr, self.trust_remote_code, self.max_length = score_attr, trust_remote_code, max_length
        self._scorer: Any = None
        self._lock = threading.Lock()
        self._memo: dict[tuple[str, str], float] = {}

    def _load(self) -> Any:
        if self._scorer is None:
            from fusechat.reward import RewardScorer
            from fusechat.tiny_world import resolve

            self._scorer = RewardScorer(resolve(self.ref, self.world), score_attr=self.score_attr,
                                        trust_remote_code=self.trust_remote_code, max_length=self.max_length,
                                        batch_size=1)
        return self._scorer

    def __call__(self, question: str, answer: str) -> float:
        key = (question, answer)
        with self._lock:
            if key not in self._memo:
                conv = [{"role": "user", "content": question}, {"role": "assistant", "content": answer}]
                self._memo[key] = (self._load().score([conv])[0] - self.center) / self.scale
            return self._memo[key]

    def count_tokens(self, text: str) -> int:
        with self._lock:
            return len(self._load().tok(text, add_special_tokens=False)["input_ids"])


def _words(text: str) -> int:
    return len(text.split())


def judged_tasks() -> list[Any]:
    """Every registered task with a judge model (``evaluation.tasks.all_tasks``)."""
    from evaluation.tasks import all_tasks

    return [t for t in all_tasks().values() if t.judge_model]


def _content(message: dict[str, Any]) -> str:
    c = message.get("content") or ""
    if isinstance(c, list):  # OpenAI content parts
        return "".join(p.get("text", "") for p in c if isinstance(p, dict))
    return str(c)


def request_of(body: dict[str, Any]) -> JudgeRequest:
    """The ``JudgeRequest`` a chat-completions body describes (unset parameters take the contract's defaults)."""
    params: dict[str, Any] = {}
    if body.get("temperature") is not None:
        params["temperature"] = float(body["temperature"])
    if (mt := body.get("max_tokens") or body.get("max_completion_tokens")) is not None:
        params["max_tokens"] = int(mt)
    if body.get("logprobs") is not None:
        params["logprobs"] = bool(body["logprobs"])
    if body.get("top_logprobs") is not None:
        params["top_logprobs"] = int(body["top_logprobs"])
    msgs = [{"role": str(m.get("role", "user")), "content": _content(m)} for m in body.get("messages") or []]
    return JudgeRequest.of(msgs, **params)


def _logprobs(verdict: LocalVerdict, top_n: int) -> list[dict[str, Any]]:
    if verdict.top_logprobs:
        dists = [dict(d) for d in verdict.top_logprobs]
    else:
        dists = [{piece: 0.0} for piece in verdict.text.split(" ") if piece]
    out = []
    for dist in dists:
        ranked = sorted(dist.items(), key=lambda kv: -kv[1])
        token, lp = ranked[0]
        out.append({"token": token, "logprob": lp, "bytes": list(token.encode()),
                    "top_logprobs": [{"token": t, "logprob": v, "bytes": list(t.encode())}
                                     for t, v in ranked[:top_n]]})
    return out


class LocalJudge:
    """The server's logic without HTTP: body in, (status, JSON body) out."""

    def __init__(self, reward: RewardFn, tasks: Sequence[Any] | None = None, model: str = LOCAL_MODEL,
                 count_tokens: Callable[[str], int] | None = None):
        self.reward, self.model = reward, model
        self.tasks = list(judged_tasks() if tasks is None else tasks)
        self.count_tokens = count_tokens or getattr(reward, "count_tokens", None) or _words

    def complete(self, body: dict[str, Any]) -> tuple[int, dict[str, Any]]:
        try:
            req = request_of(body)
        except (TypeError, ValueError, AttributeError) as exc:
            return 400, _error(f"malformed request: {exc}")
        verdict = next((v for t in self.tasks if (v := t.local_verdict(req, self.reward)) is not None), None)
        if verdict is None:
            return 400, _error(UNRECOGNISED)
        message: dict[str, Any] = {"role": "assistant", "content": verdict.text}
        choice: dict[str, Any] = {"index": 0, "message": message, "finish_reason": "stop", "logprobs": None}
        if req.logprobs:
            choice["logprobs"] = {"content": _logprobs(verdict, req.top_logprobs or 0)}
        pt = sum(self.count_tokens(c) for _, c in req.messages)
        ct = self.count_tokens(verdict.text)
        return 200, {"id": f"chatcmpl-{uuid.uuid4().hex}", "object": "chat.completion", "created": int(time.time()),
                     "model": body.get("model") or self.model, "choices": [choice],
                     "usage": {"prompt_tokens": pt, "completion_tokens": ct, "total_tokens": pt + ct}}

    def models(self) -> dict[str, Any]:
        return {"object": "list", "data": [{"id": self.model, "object": "model", "owned_by": "fusechat-local"}]}


def _error(message: str, kind: str = "invalid_request_error") -> dict[str, Any]:
    return {"error": {"message": message, "type": kind, "param": None, "code": None}}


def _handler(judge: LocalJudge) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - never log (headers carry the key)
            return

        def _send(self, status: int, payload: dict[str, Any]) -> None:
            data = json.dumps(payload, allow_nan=False).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def do_GET(self) -> None:  # noqa: N802
            if self.path.rstrip("/").endswith("/models"):
                self._send(200, judge.models())
            else:
                self._send(404, _error(f"no route {self.path}", "not_found_error"))

        def do_POST(self) -> None:  # noqa: N802
            length = int(self.headers.get("Content-Length") or 0)
            raw = self.rfile.read(length)
            if not self.path.rstrip("/").endswith("/chat/completions"):
                self._send(404, _error(f"no route {self.path}", "not_found_error"))
                return
            try:
                body = json.loads(raw or b"{}")
                status, payload = judge.complete(body)
            except json.JSONDecodeError:
                status, payload = 400, _error("request body is not JSON")
            except Exception as exc:  # noqa: BLE001 - a scoring failure is a 500 the client retries/reports
                status, payload = 500, _error(f"local judge failed: {type(exc).__name__}: {exc}", "server_error")
            if status == 200 and any(isinstance(v, float) and not math.isfinite(v)
                                     for v in _floats(payload)):
                # deterministic (a NaN reward): a 400 so the client does not retry it; counted as failed
                status, payload = 400, _error("local judge produced a non-finite logprob")
            self._send(status, payload)

    return Handler


def _floats(obj: Any) -> Iterator[Any]:
    if isinstance(obj, dict):
        for v in obj.values():
            yield from _floats(v)
    elif isinstance(obj, list):
        for v in obj:
            yield from _floats(v)
    else:
        yield obj


class LocalJudgeServer:
    """``LocalJudge`` over HTTP on 127.0.0.1 (``port=0``: any free port), served by a background thread."""

    def __init__(self, judge: LocalJudge, port: int = 0, host: str = "127.0.0.1"):
        self.judge = judge
        self.httpd = ThreadingHTTPServer((host, port), _handler(judge))
        self.httpd.daemon_threads = True
        self._thread: threading.Thread | None = None

    @property
    def base_url(self) -> str:
        host, port = self.httpd.server_address[:2]
        return f"http://{host}:{port}/v1"

    def start(self) -> LocalJudgeServer:
        self._thread = threading.Thread(target=self.httpd.serve_forever, name="local-judge", daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()
        if self._thread is not None:
            self._thread.join(timeout=10)


def local_model_name(reward_model: str, world: Any = None, center: float = 0.0, scale: float = 1.0) -> str:
    """The served model name, and so the judgment-cache key's model: the reward model, its standardisation
    (other units give other verdicts) and, for a tiny-world one, the world's content key (another world's reward
    model gives other verdicts, so must miss the cache)."""
    units = "" if (center, scale) == (0.0, 1.0) else f"~z({center:g},{scale:g})"
    if reward_model.startswith("tiny:"):
        from fusechat.tiny_world import resolve

        world_key = Path(resolve(reward_model, world)).parent.parent.name
        return f"{LOCAL_MODEL}/{reward_model.removeprefix('tiny:')}@{world_key}{units}"
    return f"{LOCAL_MODEL}/{reward_model}{units}"


@contextmanager
def serve_local_judge(reward_model: str, world: Any = None, *, tasks: Sequence[Any] | None = None,
                      reward: RewardFn | None = None, model: str | None = None, center: float = 0.0,
                      scale: float = 1.0) -> Iterator[str]:
    """Serve the local judge for the duration of the block; yields its base URL (``http://127.0.0.1:<port>/v1``).
    ``reward``/``tasks``: for tests (default: ``reward_model`` through ``RewardModel``; every judged task)."""
    judge = LocalJudge(reward if reward is not None else RewardModel(reward_model, world, center=center, scale=scale),
                       tasks, model or local_model_name(reward_model, world, center, scale))
    server = LocalJudgeServer(judge).start()
    try:
        yield server.base_url
    finally:
        server.stop()


def main(argv: Sequence[str] | None = None) -> None:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--reward-model", default="tiny:ArmoRM-Llama3-8B-v0.1")
    p.add_argument("--port", type=int, default=8008)
    p.add_argument("--score-attr", default="logits", help="'score' for ArmoRM-Llama3-8B-v0.1 itself")
    p.add_argument("--trust-remote-code", action="store_true")
    p.add_argument("--model-name", default=None, help="served model name (default: from the reward model)")
    p.add_argument("--reward-center", type=float, default=0.1, help="raw score of a typical answer")
    p.add_argument("--reward-scale", type=float, default=0.05, help="raw score spread (one standard unit)")
    args = p.parse_args(argv)
    reward = RewardModel(args.reward_model, score_attr=args.score_attr, trust_remote_code=args.trust_remote_code,
                         center=args.reward_center, scale=args.reward_scale)
    judge = LocalJudge(reward, model=args.model_name or local_model_name(args.reward_model, None, args.reward_center,
                                                                         args.reward_scale))
    server = LocalJudgeServer(judge, port=args.port)
    print(f"local judge {judge.model} on {server.base_url} ({len(judge.tasks)} judged task(s))", flush=True)
    try:
        server.httpd.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        server.httpd.server_close()


if __name__ == "__main__":
    main()
