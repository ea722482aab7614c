"""LLM judges behind one OpenAI-compatible client (the ``openai`` package), with an on-disk judgment cache.

The contract every judged task codes against (``evaluation/tasks/alpacaeval2.py``, ``arena_hard.py``,
``mt_bench.py``, ``alignbench.py``):

* ``judge_for(task, ctx)`` returns the run's ``Judge`` for a task (one per scoring context, created lazily and
  closed by the scoring stage). Its model is ``eval.judge.model`` when set, else the task's paper judge
  (``task.judge_model``).
* ``Judge.chat(requests)`` answers a batch of ``JudgeRequest`` concurrently (``eval.judge.concurrency``), in
  input order, each either from the cache or from the endpoint (retries with exponential backoff, timeout). A
  request that still fails comes back as a ``JudgeReply`` with ``error`` set, never as an exception: the task
  counts it (``Judge.stats.failed``) and shows it under the table.
* ``Judge.note_unparsable()``: the task calls it for a reply whose verdict/rating it could not parse, so the
  count is recorded next to calls, cache hits and tokens (``Judge.stats``, written into the stage manifest and
  the metrics JSON by the scoring stage).
* The cache key is a hash of (judge model, full request, parameters): never the base URL or the API key, which is
  read from the environment variable ``eval.judge.api_key_env`` only and never written anywhere.
* A local judge (``eval.judge.local: tiny``): the scoring stage starts ``evaluation.judge.local_server`` on
  localhost and points the same client at it. Its verdicts come from the tiny world's reward model through each
  judged task's ``local_verdict`` hook (see ``LocalVerdict``).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class JudgeRequest:
    """One chat-completions request to the judge (the judge model itself is the ``Judge``'s)."""

    messages: tuple[tuple[str, str], ...]  # ((role, content), ...): hashable, order kept
    temperature: float = 0.0
    max_tokens: int = 2048
    logprobs: bool = False
    top_logprobs: int | None = None

    @staticmethod
    def of(messages: Sequence[dict[str, str]], **params: Any) -> JudgeRequest:
        """From OpenAI-style ``[{"role": ..., "content": ...}]`` messages."""
        return JudgeRequest(tuple((m["role"], m["content"]) for m in messages), **params)

    def openai_messages(self) -> list[dict[str, str]]:
        return [{"role": r, "content": c} for r, c in self.messages]


@dataclass(frozen=True)
class JudgeReply:
    """The judge's answer. ``top_logprobs``: per generated token, {token: logprob} of the top alternatives
    (only when the request asked for logprobs). ``error``: set when every attempt failed (``text`` is "").
    ``invalid``: set when the judge answered but its content was not text (``text`` is ""; the task finds no
    verdict in it and counts it unparsable); such a reply is never cached."""

    text: str
    top_logprobs: tuple[dict[str, float], ...] | None = None
    cached: bool = False
    error: str | None = None
    prompt_tokens: int = 0
    completion_tokens: int = 0
    invalid: str | None = None


@dataclass
class JudgeStats:
    """What judging cost and what went wrong, per task and model (manifest + metrics JSON + under the table)."""

    calls: int = 0  # requests actually sent to the endpoint (successful or not)
    cache_hits: int = 0
    prompt_tokens: int = 0  # tokens of calls made now (cache hits cost nothing)
    completion_tokens: int = 0
    failed: int = 0  # requests that failed after every retry
    unparsable: int = 0  # replies the task could not parse (no verdict, two verdicts, out-of-range rating ...)

    def as_dict(self) -> dict[str, int]:
        return dict(self.__dict__)


@dataclass(frozen=True)
class LocalVerdict:
    """What the local tiny judge answers to a request a task recognises as its own prompt."""

    text: str
    top_logprobs: tuple[dict[str, float], ...] | None = None


#: ``reward(question, answer) -> float``: the tiny world's reward model score of one answer to one question.
RewardFn = Callable[[str, str], float]


class JudgeError(RuntimeError):
    """A judge that cannot be used at all (no endpoint configured, API key variable unset ...): one line."""


@dataclass
class Judge:
    """Base class. ``evaluation.judge.client.OpenAIJudge`` talks to an OpenAI-compatible endpoint through the cache;
    tests subclass this with canned replies."""

    model: str
    stats: JudgeStats = field(default_factory=JudgeStats)

    def chat(self, requests: Sequence[JudgeRequest], desc: str = "judging") -> list[JudgeReply]:
        raise NotImplementedError

    def note_unparsable(self, n: int = 1) -> None:
        self.stats.unparsable += n

    def close(self) -> None:
        pass


#: ``ScoreContext.options`` key under which the scoring stage puts a callable ``task -> Judge``.
JUDGE_OPTION = "_judge_factory"


def judge_for(task: Any, ctx: Any) -> Judge:
    """The judge of ``task`` for this scoring context: created once by the scoring stage's factory, closed with
    the context."""
    make = ctx.options.get(JUDGE_OPTION)
    if make is None:
        raise JudgeError(f"{task.id}: no judge configured for this scoring context (set eval.judge in the recipe)")
    return ctx.resource("judge", lambda: make(task))
