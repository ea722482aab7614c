"""Test-only pieces for the judge tests: a judged task that speaks its own tiny judge prompt, a fake reward, and
a stdlib HTTP endpoint that fails on cue (for retries/backoff)."""

from __future__ import annotations

import json
import math
import random
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Sequence
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

from evaluation.judge import JudgeRequest, LocalVerdict, RewardFn, judge_for
from evaluation.tasks.base import DataSpec, ItemResult, Prompt, ScoreContext, Task

SYSTEM = "TEST-JUDGE: answer A if the answer is good, else B."


def judge_request(question: str, answer: str) -> JudgeRequest:
    return JudgeRequest.of([{"role": "system", "content": SYSTEM},
                            {"role": "user", "content": f"Question: {question}\nAnswer: {answer}"}],
                           max_tokens=4, logprobs=True, top_logprobs=2)


class ToyJudgedTask(Task):
    """A judged task in the shape of AlpacaEval's weighted annotator: P(good) read from the first token's top
    logprobs; a reply that is neither A nor B is unparsable; a failed judgment scores 0. Row id ``alpacaeval2``
    (a registry row) so its metrics validate."""

    id, version, display, category = "alpacaeval2", "test", "Toy judged", "instruction_following"
    metric, tolerance, tolerance_why = "p(good)", 1.0, "test"
    judge = "toy"
    judge_model = "gpt-4-1106-preview"
    data = DataSpec(None)

    def synthetic(self, rng: random.Random, n: int) -> list[dict[str, Any]]:
        return [{"instruction": f"Say something about {rng.randint(0, 999)}"} for _ in range(n)]

    def prompt(self, item: dict[str, Any], family: str) -> Prompt:
        return Prompt([{"role": "user", "content": item["instruction"]}])

    def score_batch(self, items: Sequence[dict[str, Any]], responses: Sequence[Sequence[str]],
                    ctx: ScoreContext) -> list[ItemResult]:
        judge = judge_for(self, ctx)
        replies = judge.chat([judge_request(it["instruction"], rs[0]) for it, rs in zip(items, responses,
                                                                                         strict=True)])
        out = []
        for r in replies:
            if r.error is not None:
                out.append(ItemResult(0.0, None, {"error": r.error}))
                continue
            if r.text not in ("A", "B") or not r.top_logprobs:
                judge.note_unparsable()
                out.append(ItemResult(0.0, r.text))
                continue
            dist = r.top_logprobs[0]
            pa, pb = math.exp(dist.get("A", -math.inf)), math.exp(dist.get("B", -math.inf))
            out.append(ItemResult(pa / (pa + pb), r.text))
        return out

    def local_verdict(self, request: JudgeRequest, reward: RewardFn) -> LocalVerdict | None:
        if not request.messages or request.messages[0] != ("system", SYSTEM):
            return None
        user = request.messages[-1][1]
        q, _, a = user.removeprefix("Question: ").partition("\nAnswer: ")
        p = 1.0 / (1.0 + math.exp(-reward(q, a)))
        p = min(max(p, 1e-6), 1 - 1e-6)
        return LocalVerdict("A" if p >= 0.5 else "B", ({"A": math.log(p), "B": math.log(1 - p)},))


def fake_reward(question: str, answer: str) -> float:
    """Longer answers are better; deterministic."""
    return (len(answer) - 10) / 5.0


class FlakyEndpoint:
    """An OpenAI-shaped endpoint on 127.0.0.1 that answers ``fail_status`` for the first ``failures`` requests,
    then 200 with "A" (and logprobs when asked). Records every request's path and headers' names."""

    def __init__(self, failures: int, fail_status: int = 500):
        self.failures, self.fail_status = failures, fail_status
        self.hits = 0
        self.echo_auth = False  # put the Authorization header into the error text (as a careless server might)
        self.lock = threading.Lock()
        self.bodies: list[dict[str, Any]] = []
        outer = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, format: str, *args: Any) -> None:  # noqa: A002
                return

            def do_POST(self) -> None:  # noqa: N802
                body = json.loads(self.rfile.read(int(self.headers.get("Content-Length") or 0)))
                auth = self.headers.get("Authorization") or ""
                with outer.lock:
                    outer.hits += 1
                    outer.bodies.append({**body, "_auth": auth})
                    fail = outer.hits <= outer.failures
                if fail:
                    msg = f"boom; you sent {auth}" if outer.echo_auth else "boom"
                    payload: dict[str, Any] = {"error": {"message": msg, "type": "server_error"}}
                    status = outer.fail_status
                else:
                    status = 200
                    payload = {"id": "x", "object": "chat.completion", "created": 0, "model": body["model"],
                               "choices": [{"index": 0, "finish_reason": "stop", "logprobs": None,
                                            "message": {"role": "assistant", "content": "A"}}],
                               "usage": {"prompt_tokens": 7, "completion_tokens": 1, "total_tokens": 8}}
                data = json.dumps(payload).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.httpd.server_address[1]}/v1"

    def __enter__(self) -> FlakyEndpoint:
        self.thread.start()
        return self

    def __exit__(self, *exc: Any) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()


class FaultProxy:
    """A fault-injecting OpenAI-compatible proxy on 127.0.0.1 in front of a real judge endpoint (``upstream``).

    ``mode`` (may be changed between runs): ``"pass"`` forwards; ``"trickle"`` sends the reply's headers and then
    its body one byte every ``trickle_s`` seconds; ``"retry_after"`` answers 429 with ``Retry-After:
    retry_after`` the first time it sees each request body, then forwards; ``"numeric"`` replaces the reply's
    content by the number 7; ``"echo"`` appends the request's bearer token to the reply's content and to its
    first logprob token (a judge that echoes the key)."""

    def __init__(self, upstream: str, mode: str = "pass", trickle_s: float = 0.2, retry_after: str = "1"):
        self.upstream, self.mode, self.trickle_s, self.retry_after = upstream.rstrip("/"), mode, trickle_s, retry_after
        self.hits = 0
        self.seen: set[bytes] = set()
        self.lock = threading.Lock()
        outer = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, format: str, *args: Any) -> None:  # noqa: A002
                return

            def _reply(self, status: int, data: bytes, headers: dict[str, str] | None = None,
                       trickle: bool = False) -> None:
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                for k, v in (headers or {}).items():
                    self.send_header(k, v)
                self.end_headers()
                if not trickle:
                    self.wfile.write(data)
                    return
                try:
                    for b in data:
                        self.wfile.write(bytes([b]))
                        self.wfile.flush()
                        time.sleep(outer.trickle_s)
                except OSError:
                    return

            def do_POST(self) -> None:  # noqa: N802
                raw = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                auth = (self.headers.get("Authorization") or "").removeprefix("Bearer ")
                with outer.lock:
                    outer.hits += 1
                    first = raw not in outer.seen
                    outer.seen.add(raw)
                mode = outer.mode
                if mode == "retry_after" and first:
                    self._reply(429, b'{"error": {"message": "slow down"}}', {"Retry-After": outer.retry_after})
                    return
                req = urllib.request.Request(outer.upstream + self.path.removeprefix("/v1"), data=raw,
                                             headers={"Content-Type": "application/json"}, method="POST")
                try:
                    with urllib.request.urlopen(req, timeout=30) as resp:  # noqa: S310 - localhost only
                        status, body = resp.status, json.loads(resp.read())
                except urllib.error.HTTPError as exc:
                    self._reply(exc.code, exc.read())
                    return
                msg = body["choices"][0]["message"]
                if mode == "numeric":
                    msg["content"] = 7
                elif mode == "echo":
                    msg["content"] = f"{msg['content']} (your key: {auth})"
                    lp = (body["choices"][0].get("logprobs") or {}).get("content")
                    if lp:
                        lp[0]["token"] = lp[0]["token"] + auth
                        for alt in lp[0].get("top_logprobs") or []:
                            alt["token"] = alt["token"] + auth
                self._reply(status, json.dumps(body).encode(), trickle=mode == "trickle")

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.httpd.daemon_threads = True
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.httpd.server_address[1]}/v1"

    def __enter__(self) -> FaultProxy:
        self.thread.start()
        return self

    def __exit__(self, *exc: Any) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()


def write_toy_generations(run_dir: Path, task: Any, label: str, answers: list[str]) -> None:
    """A finished eval_generate folder for one model (``label``) and the toy judged task, one answer per item: what
    the scoring stage reads."""
    from fusechat.io import write_jsonl
    from fusechat.stage_runner import MANIFEST
    from fusechat.stage_table import STAGES

    gen = run_dir / STAGES["eval_generate"].folder
    items = [{"instruction": f"Question {i}?"} for i in range(len(answers))]
    write_jsonl(items, gen / "items" / f"{task.id}.jsonl")
    write_jsonl(({"index": i, "responses": [a]} for i, a in enumerate(answers)), gen / "toy" / f"{task.id}.jsonl")
    (gen / "models.json").write_text(json.dumps({label: {"path": "tiny:toy", "folder": "toy", "family": "llama3"}}))
    (gen / "benchmarks.json").write_text(json.dumps({task.id: {"data": {"source": "test", "path": "tiny:toy"}}}))
    (gen / MANIFEST).write_text(json.dumps({"fingerprint": "generations-fp"}))


def length_biased_answers(n: int, seed: int) -> tuple[list[str], list[str], list[float]]:
    """``n`` model and baseline answers of random lengths (100-400 characters) and the AlpacaEval preferences
    (1 = baseline, 2 = model) a length-biased judge would give them: a logistic in the length difference."""
    rng = random.Random(seed)
    base = ["b" * rng.randint(100, 400) for _ in range(n)]
    model = ["m" * rng.randint(100, 400) for _ in range(n)]
    prefs = [1.0 + 1.0 / (1.0 + math.exp(-(len(m) - len(b)) / 60.0)) for m, b in zip(model, base, strict=True)]
    return model, base, prefs
