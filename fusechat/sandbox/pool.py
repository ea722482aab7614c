"""The pool of pre-forked sandbox workers, and the job/result types callers use.

>>> with SandboxPool(workers=2) as pool:                                  # doctest: +SKIP
...     results = pool.run_many([CodeJob(program="def f(): return 1", tests="assert f() == 1")])
>>> results[0].passed, results[0].status                                   # doctest: +SKIP
(True, 'passed')
"""

from __future__ import annotations

import json
import os
import queue
import subprocess
import sys
import threading
from collections.abc import Iterable
from dataclasses import asdict, dataclass, field
from pathlib import Path

from fusechat.sandbox.limits import Limits

_REPO_ROOT = str(Path(__file__).resolve().parents[2])
STATUSES = ("passed", "failed", "timeout", "memory", "crashed", "syntax_error", "output_limit", "error")


@dataclass(frozen=True)
class CodeJob:
    """One program and its tests.

    ``program`` is executed first (module ``__name__`` is ``"solution"``, so ``if __name__ == "__main__"``
    blocks do not run), then ``tests`` in the same namespace; when ``entry_point`` is given and the tests define
    ``check``, the harness finally calls ``check(<entry_point>)`` (the HumanEval convention). ``timeout_s`` is
    the wall-clock limit of the whole job; CPU time is limited to ``ceil(timeout_s) + 1`` seconds.
    """

    program: str
    tests: str = ""
    timeout_s: float = 10.0
    entry_point: str | None = None


@dataclass
class SandboxResult:
    """Outcome of one job. ``passed`` is True only when ``status == "passed"``."""

    passed: bool
    status: str
    duration_s: float
    stdout_tail: str = ""
    stderr_tail: str = ""
    detail: str = ""
    asserts: int = 0
    leftover_processes: bool = False
    isolation: dict = field(default_factory=dict)

    def to_dict(self) -> dict:
        """Plain-dict view (the CLI prints this as JSON)."""
        return asdict(self)


class _Worker:
    def __init__(self, slot: int, limits: Limits, uid_base: int, netns: bool) -> None:
        cmd = [sys.executable, "-m", "fusechat.sandbox.worker", "--slot", str(slot), "--uid-base", str(uid_base),
               "--limits", json.dumps(limits.to_dict())]
        if not netns:
            cmd.append("--no-netns")
        env = {"PATH": "/usr/local/bin:/usr/bin:/bin", "LANG": "C.UTF-8", "PYTHONPATH": _REPO_ROOT,
               "PYTHONDONTWRITEBYTECODE": "1"}
        self.proc = subprocess.Popen(cmd, stdin=subprocess.PIPE, stdout=subprocess.PIPE, env=env, text=True,
                                     bufsize=1, cwd="/", close_fds=True)
        line = self.proc.stdout.readline()
        if not line:
            raise RuntimeError(f"sandbox worker {slot} failed to start (exit {self.proc.wait()})")
        hello = json.loads(line)
        self.isolation: dict = hello["isolation"]
        self.cgroups: list[str] = hello.get("cgroups", [])

    def run(self, job: CodeJob) -> dict:
        self.proc.stdin.write(json.dumps(asdict(job)) + "\n")
        self.proc.stdin.flush()
        line = self.proc.stdout.readline()
        if not line:
            raise RuntimeError("sandbox worker died")
        return json.loads(line)

    def close(self) -> None:
        try:
            self.proc.stdin.close()
        except OSError:
            pass
        try:
            self.proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
        for d in self.cgroups:
            try:
                os.rmdir(d)
            except OSError:
                pass


class SandboxPool:
    """``workers`` pre-started worker processes, each forking one sandboxed child per job.

    Worker ``i`` runs its programs as uid ``uid_base + i``; the uids must be otherwise unused on the machine.
    A worker that dies is replaced and its job reported with status ``"error"``. Thread-safe: ``run_many``
    may be called from several threads.
    """

    def __init__(self, workers: int = 2, limits: Limits | None = None, uid_base: int = 64000,
                 network_namespace: bool = True) -> None:
        self.limits = limits or Limits()
        self._uid_base = uid_base
        self._netns = network_namespace
        self._free: queue.Queue[int] = queue.Queue()
        self._workers: list[_Worker | None] = [None] * workers
        for i in range(workers):
            self._workers[i] = _Worker(i, self.limits, uid_base, network_namespace)
            self._free.put(i)
        self.isolation = self._workers[0].isolation if workers else {}

    def __enter__(self) -> SandboxPool:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        """Stop every worker and remove its cgroups."""
        for w in self._workers:
            if w is not None:
                w.close()
        self._workers = []

    def run(self, job: CodeJob) -> SandboxResult:
        """Run one job on the next free worker."""
        slot = self._free.get()
        try:
            worker = self._workers[slot]
            assert worker is not None
            try:
                raw = worker.run(job)
                iso = worker.isolation
            except (RuntimeError, OSError, ValueError) as exc:
                worker.close()
                self._workers[slot] = _Worker(slot, self.limits, self._uid_base, self._netns)
                raw = {"passed": False, "status": "error", "duration_s": 0.0, "detail": f"pool: {exc}"}
                iso = self._workers[slot].isolation
            return SandboxResult(**raw, isolation=iso)
        finally:
            self._free.put(slot)

    def run_many(self, jobs: Iterable[CodeJob]) -> list[SandboxResult]:
        """Run ``jobs`` on all workers at once; results in input order."""
        jobs = list(jobs)
        results: list[SandboxResult | None] = [None] * len(jobs)
        todo: queue.Queue[int] = queue.Queue()
        for i in range(len(jobs)):
            todo.put(i)

        def drain() -> None:
            while True:
                try:
                    i = todo.get_nowait()
                except queue.Empty:
                    return
                results[i] = self.run(jobs[i])

        threads = [threading.Thread(target=drain, daemon=True) for _ in range(max(1, len(self._workers)))]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        return [r for r in results if r is not None]
