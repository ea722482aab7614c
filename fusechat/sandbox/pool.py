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
import site
import subprocess
import sys
import threading
from collections import deque
from collections.abc import Iterable, Sequence
from dataclasses import asdict, dataclass, field
from itertools import pairwise
from pathlib import Path

from fusechat.sandbox.limits import Limits
from fusechat.sandbox.uids import UidClaim

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


#: Jobs the pool keeps queued at one worker in ``run_many``: the next job is already in the worker's pipe when
#: it finishes one, so it never waits on the pool. Results are small (tails are capped), so two in flight cannot
#: fill a pipe and deadlock.
PIPELINE_DEPTH = 2


def _site_dirs() -> list[str]:
    """This environment's site-packages directories (what a program in the sandbox may import besides stdlib):
    the prefix's own, then any other ``site-packages``/``dist-packages`` directory on ``sys.path`` (one a ``.pth``
    file chains in, as an environment layered over another does), in ``sys.path`` order."""
    found = list(site.getsitepackages())
    found += [p for p in sys.path if os.path.basename(os.path.normpath(p)) in ("site-packages", "dist-packages")]
    return [d for d in dict.fromkeys(found) if os.path.isdir(d)]


def _bytecode_is_current(src: Path, cfile: str) -> bool:
    """Whether ``cfile`` is what the import system would accept for ``src`` (PEP 552 timestamp header)."""
    import importlib.util

    try:
        with open(cfile, "rb") as fh:
            head = fh.read(16)
        st = os.stat(src)
    except OSError:
        return False
    return (len(head) == 16 and head[:4] == importlib.util.MAGIC_NUMBER and head[4:8] == b"\0\0\0\0"
            and int.from_bytes(head[8:12], "little") == int(st.st_mtime) & 0xFFFFFFFF
            and int.from_bytes(head[12:16], "little") == st.st_size & 0xFFFFFFFF)


def ensure_bytecode() -> int:
    """Byte-compile this package (and ``fusechat/__init__``) where the cached bytecode is missing or stale; return
    how many files were compiled.

    Workers and zygotes start with ``PYTHONDONTWRITEBYTECODE=1``, so without cached bytecode each of them compiles
    these modules from source at every start (~17 ms a process, four a pool of two, in the start-up of every
    pool), which is also what happens under a user's own ``PYTHONDONTWRITEBYTECODE``. Only these ten files are
    written, where Python itself would put them (``__pycache__``); a read-only install or a
    ``PYTHONPYCACHEPREFIX`` is left alone.
    """
    if sys.pycache_prefix is not None:
        return 0
    import importlib.util
    import py_compile

    here = Path(__file__).resolve().parent
    compiled = 0
    for src in [here.parent / "__init__.py", *sorted(here.glob("*.py"))]:
        try:
            cfile = importlib.util.cache_from_source(str(src))
            if _bytecode_is_current(src, cfile):
                continue
            py_compile.compile(str(src), cfile=cfile, doraise=True)
            compiled += 1
        except (OSError, py_compile.PyCompileError):
            continue
    return compiled


def _error_result(detail: str) -> dict:
    return {"passed": False, "status": "error", "duration_s": 0.0, "detail": detail}


class _Worker:
    """The pool's handle on one worker process (started on creation, usable after :meth:`wait_ready`)."""

    def __init__(self, slot: int, limits: Limits, uid: int, netns: bool) -> None:
        # -S: the worker needs only the standard library and this repository (PYTHONPATH); the directories the
        # sandboxed programs may import from are handed over explicitly.
        conf = {"slot": slot, "uid": uid, "limits": limits.to_dict(), "netns": netns,
                "site_dirs": _site_dirs()}
        cmd = [sys.executable, "-S", "-c", "from fusechat.sandbox.worker import main; main()", json.dumps(conf)]
        env = {"PATH": "/usr/local/bin:/usr/bin:/bin", "LANG": "C.UTF-8", "PYTHONPATH": _REPO_ROOT,
               "PYTHONDONTWRITEBYTECODE": "1"}
        self.slot = slot
        self.proc = subprocess.Popen(cmd, stdin=subprocess.PIPE, stdout=subprocess.PIPE, env=env, text=True,
                                     bufsize=1, cwd="/", close_fds=True)
        self.isolation: dict = {}
        self.cgroups: list[str] = []

    def wait_ready(self) -> _Worker:
        line = self.proc.stdout.readline()
        if not line:
            raise RuntimeError(f"sandbox worker {self.slot} failed to start (exit {self.proc.wait()})")
        hello = json.loads(line)
        self.isolation = hello["isolation"]
        self.cgroups = hello.get("cgroups", [])
        return self

    def send(self, job: CodeJob) -> None:
        self.proc.stdin.write(json.dumps(asdict(job)) + "\n")
        self.proc.stdin.flush()

    def stop(self) -> None:
        """Ask the worker to finish (end of its job stream); :meth:`close` waits for it."""
        try:
            self.proc.stdin.close()
        except OSError:
            pass

    def receive(self) -> dict:
        line = self.proc.stdout.readline()
        if not line:
            raise RuntimeError("sandbox worker died")
        return json.loads(line)

    def close(self) -> None:
        self.stop()
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
    """``workers`` pre-started worker processes, each running one sandboxed child per job through its zygote.

    Worker ``i`` runs its programs as the ``i``-th uid the pool claims at or above ``uid_base``
    (:class:`fusechat.sandbox.uids.UidClaim`: no other live pool on the machine holds it; ``self.uids``). The uids
    must be otherwise unused on the machine (no login user).
    A worker that dies is replaced and its jobs reported with status ``"error"``. Thread-safe: ``run`` and
    ``run_many`` may be called from several threads.
    """

    def __init__(self, workers: int = 2, limits: Limits | None = None, uid_base: int = 64000,
                 network_namespace: bool = True) -> None:
        self.limits = limits or Limits()
        self._netns = network_namespace
        self._free: queue.Queue[int] = queue.Queue()
        ensure_bytecode()
        # Without root there is no uid switch (the worker says so in its notes), so nothing to claim.
        self._claim = UidClaim(uid_base, workers) if os.geteuid() == 0 else None
        self.uids: list[int] = self._claim.uids if self._claim else [uid_base + i for i in range(workers)]
        # Start every worker first, then wait for them: their start-ups overlap.
        self._workers: list[_Worker] = []
        try:
            self._workers = [_Worker(i, self.limits, self.uids[i], network_namespace) for i in range(workers)]
            for w in self._workers:
                w.wait_ready()
                self._free.put(w.slot)
        except BaseException:
            self.close()
            raise
        self.isolation = self._workers[0].isolation if workers else {}

    def __enter__(self) -> SandboxPool:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        """Stop every worker and remove its cgroups, then give the uids back."""
        for w in self._workers:  # all at once: their shut-downs overlap
            w.stop()
        for w in self._workers:
            w.close()
        self._workers = []
        if self._claim is not None:
            self._claim.release()

    def _replace(self, slot: int) -> _Worker:
        self._workers[slot].close()
        self._workers[slot] = _Worker(slot, self.limits, self.uids[slot], self._netns).wait_ready()
        return self._workers[slot]

    def _drive(self, slot: int, jobs: list[CodeJob], schedule: _Schedule,
               results: list[SandboxResult | None]) -> None:
        """Run jobs from ``schedule`` on worker ``slot``, keeping up to PIPELINE_DEPTH of them queued there."""
        worker = self._workers[slot]
        pending: deque[int] = deque()
        while True:
            try:
                while len(pending) < PIPELINE_DEPTH:
                    i = schedule.take(wait=not pending)
                    if i is None:
                        break
                    pending.append(i)
                    worker.send(jobs[i])
                if not pending:
                    return
                raw = worker.receive()
                i = pending.popleft()
                results[i] = SandboxResult(**raw, isolation=worker.isolation)
                schedule.done(i, results[i].passed)
            except (RuntimeError, OSError, ValueError) as exc:
                for i in pending:  # every job queued at the dead worker is reported, none is lost
                    results[i] = SandboxResult(**_error_result(f"pool: {exc}"), isolation=worker.isolation)
                    schedule.done(i, False)
                pending.clear()
                worker = self._replace(slot)

    def run(self, job: CodeJob) -> SandboxResult:
        """Run one job on the next free worker."""
        return self.run_many([job])[0]

    def run_many(self, jobs: Iterable[CodeJob]) -> list[SandboxResult]:
        """Run ``jobs`` on all free workers at once; results in input order."""
        return [chain[0] for chain in self.run_chains([[job] for job in jobs])]

    def run_chains(self, chains: Iterable[Sequence[CodeJob]]) -> list[list[SandboxResult]]:
        """Run chains of jobs on all free workers at once: a chain's next job runs only once its previous job has
        passed (EvalPlus' plus tests after its base tests: a sample that failed the base tests has failed the
        plus figure, whatever the plus tests say). Per chain, the results of the jobs that ran, in chain order
        (shorter than the chain when one did not pass)."""
        jobs: list[CodeJob] = []
        index_chains: list[list[int]] = []
        for chain in chains:
            index_chains.append(list(range(len(jobs), len(jobs) + len(chain))))
            jobs.extend(chain)
        results: list[SandboxResult | None] = [None] * len(jobs)
        schedule = _Schedule(index_chains)

        def drive() -> None:
            slot = self._free.get()
            try:
                self._drive(slot, jobs, schedule, results)
            finally:
                self._free.put(slot)

        n_threads = min(len(self._workers), len(jobs))
        if n_threads <= 1:
            drive()
        else:
            threads = [threading.Thread(target=drive, daemon=True) for _ in range(n_threads)]
            for t in threads:
                t.start()
            for t in threads:
                t.join()
        return [[r for r in (results[i] for i in chain) if r is not None] for chain in index_chains]


class _Schedule:
    """The job indices the pool's driving threads take: ready jobs in order; a chain's next job becomes ready when
    its previous one passed. A thread with nothing queued at its worker waits while jobs are still running
    elsewhere (one of them may release a follow-up), so the follow-ups of the last chains use every worker."""

    def __init__(self, chains: list[list[int]]) -> None:
        self._cond = threading.Condition()
        self._ready: deque[int] = deque(chain[0] for chain in chains if chain)
        self._next = {a: b for chain in chains for a, b in pairwise(chain)}
        self._running = 0

    def take(self, wait: bool) -> int | None:
        """The next ready job; None when there is none (after waiting for the running ones when ``wait``)."""
        with self._cond:
            while wait and not self._ready and self._running:
                self._cond.wait()
            if not self._ready:
                return None
            self._running += 1
            return self._ready.popleft()

    def done(self, i: int, passed: bool) -> None:
        """Job ``i`` ended; release its chain's next job when it passed."""
        with self._cond:
            self._running -= 1
            if passed and i in self._next:
                self._ready.append(self._next[i])
            self._cond.notify_all()


def run_program(program: str, tests: str = "", timeout_s: float = 10.0, entry_point: str | None = None,
                limits: Limits | None = None) -> SandboxResult:
    """Run one program in a one-worker pool (convenience; start a :class:`SandboxPool` for many)."""
    with SandboxPool(workers=1, limits=limits) as pool:
        return pool.run(CodeJob(program=program, tests=tests, timeout_s=timeout_s, entry_point=entry_point))
