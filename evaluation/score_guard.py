"""The scoring stage's guard around every scorer: responses checked as text at the stage boundary, and pure
per-item scorers run in a killable worker with a per-item budget of work.

A model's output is untrusted input. Three verdicts are the guard's own, never a task's, and each is counted
per (model, task) in the metrics cell (``scoring_failures``) and listed under the table like judge failures:

* ``invalid_response``: the generation's ``responses`` is not a list of strings (``42``, ``None``, ``[1, 2]``).
  The task scores empty text in its place (so its per-item detail keeps its shape); a ground-truth task's item
  then scores 0 (an empty answer is never right, not even by FuseEval's random fallback guess).
* ``scorer_timeout``: the scorer spent more than its budget on one item: ``cpu_s`` seconds of CPU time (a budget
  of work, so a loaded machine gives the same verdicts as an idle one), ``memory_mb`` MB of address space above
  the worker's own, or ``wall_s`` seconds of wall-clock time (a safety net for a scorer that blocks without
  working). The worker is killed and replaced; the item scores 0 and the detail says which budget (``over``).
* ``scorer_error``: the scorer raised on the item (a bug or an input it cannot read); it scores 0 and the detail
  holds the exception in one line.

Which scorers run in the worker: a task whose ``score_batch`` is the base one (per-item ``score``: the multiple
choice tasks), and the items a task names with ``isolate_item(item)`` (LiveBench's non-coding items). Forked once
per task, the worker inherits the task and the scoring context (no pickling of either) and scores items in
order, one at a time, so a task's RNG sees the same sequence as in-process scoring. The other scorers already run
their untrusted work in a killable process of their own (math-verify's graders, ``fusechat.math_answers``; the
code sandbox, ``fusechat.sandbox``) or in a remote judge (``evaluation.judge.client``, with a request deadline).
"""

from __future__ import annotations

import multiprocessing as mp
import os
import time
from collections.abc import Sequence
from dataclasses import dataclass, replace
from typing import Any

from evaluation.tasks.base import ItemResult, ScoreContext, Task
from fusechat.sandbox.limits import process_cpu_seconds

INVALID_RESPONSE = "invalid_response"
SCORER_TIMEOUT = "scorer_timeout"
SCORER_ERROR = "scorer_error"
VERDICTS = (INVALID_RESPONSE, SCORER_TIMEOUT, SCORER_ERROR)
#: ``ScoreContext.options`` keys (``eval.benchmarks.N.options``) that override the budget of one task.
BUDGET_OPTIONS = {"scorer_cpu_s": "cpu_s", "scorer_memory_mb": "memory_mb", "scorer_wall_s": "wall_s"}
_POLL_S = 0.05


@dataclass(frozen=True)
class Budget:
    """Per-item limits of a guarded scorer. A correct item takes milliseconds; the defaults leave two orders of
    magnitude of room (a 4,096-token answer through the slowest regex) and still end a hostile one."""

    cpu_s: float = 20.0
    memory_mb: int = 2048
    wall_s: float = 300.0

    @staticmethod
    def of(options: dict[str, Any]) -> Budget:
        """The default budget with the task entry's ``scorer_*`` options applied."""
        return replace(Budget(), **{f: type(getattr(Budget(), f))(options[k])
                                    for k, f in BUDGET_OPTIONS.items() if k in options})


def one_line(exc: BaseException, limit: int = 300) -> str:
    """``Type: message`` on one line, cut to ``limit`` characters, encodable (lone surrogates escaped)."""
    msg = " ".join(str(exc).split())[:limit]
    return f"{type(exc).__name__}: {msg}".encode("utf-8", "backslashreplace").decode("utf-8")


def checked_responses(task: Task, generations: Sequence[dict[str, Any]]) -> tuple[list[list[str]], list[int]]:
    """Each generation's ``responses`` if it is a list of strings, else empty strings in its place (as many as
    the other items have, or the task's turns/n); also the indices that were replaced."""
    ok = [isinstance(g.get("responses"), list) and all(isinstance(r, str) for r in g["responses"])
          for g in generations]
    lengths = [len(g["responses"]) for g, good in zip(generations, ok, strict=True) if good]
    width = max(set(lengths), key=lengths.count) if lengths else max(task.turns, task.decoding.n, 1)
    out: list[list[str]] = []
    bad: list[int] = []
    for i, (g, good) in enumerate(zip(generations, ok, strict=True)):
        if good:
            out.append(list(g["responses"]))
        else:
            out.append([""] * width)
            bad.append(i)
    return out, bad


def mark_invalid(task: Task, result: ItemResult) -> ItemResult:
    """The verdict of an item whose responses were not text: the task's extraction and detail kept (its
    aggregation may read them), the guard's verdict added, score 0 on a ground-truth task."""
    return ItemResult(0.0 if task.ground_truth else result.score, result.extracted,
                      {**result.detail, "verdict": INVALID_RESPONSE})


def _failed(verdict: str, **detail: Any) -> ItemResult:
    return ItemResult(0.0, None, {"verdict": verdict, **detail})


def _address_space_mb() -> int:
    try:
        with open("/proc/self/statm") as fh:
            return int(fh.read().split()[0]) * os.sysconf("SC_PAGE_SIZE") // (1 << 20)
    except (OSError, ValueError, IndexError):
        return 0


def _worker(conn: Any, task: Task, ctx: ScoreContext, memory_mb: int) -> None:  # pragma: no cover - child
    import resource

    limit = (_address_space_mb() + memory_mb) << 20
    try:
        resource.setrlimit(resource.RLIMIT_AS, (limit, resource.getrlimit(resource.RLIMIT_AS)[1]))
    except (ValueError, OSError):
        pass
    while True:
        try:
            msg = conn.recv()
        except (EOFError, OSError):
            return
        if msg is None:
            return
        item, responses = msg
        try:
            out: tuple[str, Any] = ("ok", task.score(item, responses, ctx))
        except MemoryError:
            out = ("memory", None)
        except BaseException as exc:  # noqa: BLE001 - every failure of a scorer is a counted verdict
            out = ("error", one_line(exc))
        try:
            conn.send(out)
        except Exception as exc:  # noqa: BLE001 - e.g. an unpicklable detail
            conn.send(("error", one_line(exc)))


class GuardedScorer:
    """One forked worker that scores items of one task under ``budget`` (see the module docstring)."""

    def __init__(self, task: Task, ctx: ScoreContext, budget: Budget):
        self.task, self.ctx, self.budget = task, ctx, budget
        self._mp = mp.get_context("fork")
        self._proc: Any = None
        self._conn: Any = None

    def _start(self) -> None:
        self._conn, child = self._mp.Pipe()
        self._proc = self._mp.Process(target=_worker, args=(child, self.task, self.ctx, self.budget.memory_mb),
                                      daemon=True)
        self._proc.start()
        child.close()

    def _kill(self) -> None:
        if self._proc is not None:
            self._proc.kill()
            self._proc.join()
            self._conn.close()
        self._proc = self._conn = None

    def score(self, item: dict[str, Any], responses: Sequence[str]) -> ItemResult:
        """The task's verdict of one item, or the guard's ``scorer_timeout`` / ``scorer_error``."""
        if self._proc is None:
            self._start()
        try:
            self._conn.send((item, list(responses)))
        except (OSError, ValueError) as exc:
            self._kill()
            return _failed(SCORER_ERROR, error=one_line(exc))
        cpu0 = process_cpu_seconds(self._proc.pid)
        t0 = time.monotonic()
        while True:
            try:
                ready = self._conn.poll(_POLL_S)
                if ready:
                    status, value = self._conn.recv()
                    break
            except (EOFError, OSError):
                self._kill()  # the worker died (killed by the kernel for memory, a segfault in a C extension)
                return _failed(SCORER_TIMEOUT, over="memory_mb", budget=self.budget.memory_mb)
            cpu = process_cpu_seconds(self._proc.pid)
            if cpu is not None and cpu0 is not None and cpu - cpu0 > self.budget.cpu_s:
                self._kill()
                return _failed(SCORER_TIMEOUT, over="cpu_s", budget=self.budget.cpu_s)
            if time.monotonic() - t0 > self.budget.wall_s:
                self._kill()
                return _failed(SCORER_TIMEOUT, over="wall_s", budget=self.budget.wall_s)
        if status == "ok":
            return value
        if status == "memory":
            self._kill()  # a MemoryError can leave a scorer's state half-built: start clean
            return _failed(SCORER_TIMEOUT, over="memory_mb", budget=self.budget.memory_mb)
        return _failed(SCORER_ERROR, error=value)

    def close(self) -> None:
        if self._proc is None:
            return
        try:
            self._conn.send(None)
        except OSError:
            pass
        self._proc.join(timeout=2)
        if self._proc.is_alive():
            self._kill()
        self._proc = self._conn = None


def isolated(task: Task, items: Sequence[dict[str, Any]]) -> list[bool]:
    """Which items the guard scores in its worker: all of a per-item task, those a task names with
    ``isolate_item`` (see the module docstring)."""
    pick = getattr(task, "isolate_item", None)
    if callable(pick):
        return [bool(pick(it)) for it in items]
    per_item = type(task).score_batch is Task.score_batch
    return [per_item] * len(items)


def score_batch(task: Task, items: Sequence[dict[str, Any]], responses: Sequence[Sequence[str]],
                ctx: ScoreContext, budget: Budget | None = None) -> list[ItemResult]:
    """``task.score_batch`` with the guard: isolated items one by one in the worker, the others in one batch
    through the task itself (whose own sandbox/grader/judge bounds them)."""
    budget = budget or Budget.of(ctx.options)
    which = isolated(task, items)
    results: list[ItemResult | None] = [None] * len(items)
    rest = [i for i, w in enumerate(which) if not w]
    if rest:
        for i, r in zip(rest, _batch(task, [items[i] for i in rest], [responses[i] for i in rest], ctx),
                        strict=True):
            results[i] = r
    if len(rest) < len(items):
        _warm_up(task, [it for it, w in zip(items, which, strict=True) if w], ctx, len(responses[0]))
        guard = GuardedScorer(task, ctx, budget)
        try:
            for i, w in enumerate(which):
                if w:
                    results[i] = guard.score(items[i], responses[i])
        finally:
            guard.close()
    return [r for r in results if r is not None]


def _warm_up(task: Task, items: Sequence[dict[str, Any]], ctx: ScoreContext, width: int) -> None:
    """Score empty responses (our own text, not a model's) to one item per (category, task) in this process
    before the worker is forked, so the scorers' first-use imports (IFEval's, sympy's ...) are inherited and are
    not charged to a model's item."""
    seen: set[tuple[Any, Any]] = set()
    for it in items:
        key = (it.get("category"), it.get("task"))
        if key in seen:
            continue
        seen.add(key)
        try:
            task.score(it, [""] * max(width, 1), ctx)
        except Exception:  # noqa: BLE001 - the worker will report it per item
            pass


def _batch(task: Task, items: Sequence[dict[str, Any]], responses: Sequence[Sequence[str]],
           ctx: ScoreContext) -> list[ItemResult]:
    """``task.score_batch``; when it raises, item by item, an item that raises alone being a ``scorer_error``."""
    try:
        return task.score_batch(items, responses, ctx)
    except Exception as exc:  # noqa: BLE001 - find the item(s) it could not score
        if len(items) == 1:
            return [_failed(SCORER_ERROR, error=one_line(exc))]
    out = []
    for it, rs in zip(items, responses, strict=True):
        try:
            out.append(task.score_batch([it], [rs], ctx)[0])
        except Exception as exc:  # noqa: BLE001 - a counted verdict, never a crash of the stage
            out.append(_failed(SCORER_ERROR, error=one_line(exc)))
    return out


def counts(results: Sequence[ItemResult]) -> dict[str, int]:
    """How many items got each of the guard's verdicts (only those that occurred)."""
    out: dict[str, int] = {}
    for r in results:
        v = r.detail.get("verdict") if isinstance(r.detail, dict) else None
        if v in VERDICTS:
            out[v] = out.get(v, 0) + 1
    return out


def storable(obj: Any) -> Any:
    """``obj`` with every string made UTF-8-encodable (lone surrogates escaped as ``\\udXXX``), so a verdict that
    quotes broken model text can be written."""
    if isinstance(obj, str):
        try:
            obj.encode("utf-8")
            return obj
        except UnicodeEncodeError:
            return obj.encode("utf-8", "backslashreplace").decode("utf-8")
    if isinstance(obj, dict):
        return {storable(k): storable(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return [storable(v) for v in obj]
    return obj
