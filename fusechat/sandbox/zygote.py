"""The zygote: a quiet process that forks one sandboxed child per job and reports how it ended.

Why a separate process: ``fork`` write-protects every page of the forking process, so whatever the forking
process touches between two forks costs it a copy-on-write fault, and so does everything the child touches.
The worker (JSON protocol, job directories, result records, clean-up) touches hundreds of pages per job; the
zygote only reads a job, forks and waits, so both it and its children fault far less. Measured on HumanEval
samples, this and the precomputed harness snapshots (:func:`fusechat.sandbox.harness.prepare`) cut a job from
~1,100 child + ~380 parent page faults to a fraction of that (numbers in ``docs/sandbox.md``).

Everything the jobs share is set once here, before the first fork, and inherited by every child: environment,
``sys.argv``, temp dir, signal dispositions, ``oom_score_adj`` 1000 (children are the OOM killer's first choice;
the worker stays at -1000), the constant rlimits (the zygote is root, so RLIMIT_NPROC does not bind it, and it
never writes files), the imported modules and the harness's "before" snapshots. Per job the child only starts
a session, points fds 1/2/3 at its output files and the result pipe, closes every other descriptor, sets its
CPU limit, drops to the sandbox uid, enters its empty work dir and runs the harness.

Protocol (trusted, worker <-> zygote): the worker writes ``HEADER`` (wall-clock timeout, test-suite slot, length
of the test suite that follows when the slot is new (:func:`pack_tests`), payload length), then that suite, then the payload
(:func:`pack_payload`: nonce, entry point, program); the zygote answers ``STATUS`` (child pid, wait status, timed out) once
the child has been reaped. The zygote keeps each compiled test suite in its slot (the samples of one prompt
share it), reads payloads into one reused buffer and leaves parsing them to the child, so that it touches as
little memory as it can between two forks. The wall clock is enforced here, by the child's parent,
through a pidfd, so no pid can have been recycled when it is killed.
"""

from __future__ import annotations

import gc
import marshal
import math
import os
import select
import signal
import struct
import sys
from dataclasses import dataclass

from fusechat.sandbox import harness
from fusechat.sandbox.limits import (
    Isolation,
    Limits,
    apply_child_rlimits,
    set_cpu_limit,
    set_parent_death_signal,
)

HEADER = struct.Struct("!dIII")  # timeout seconds, tests slot, tests source bytes (0: slot known), payload bytes
STATUS = struct.Struct("!iii")  # pid, wait status, timed out (0/1)
NONCE_BYTES = 32  # hex digits
_EP_LEN = struct.Struct("!H")
_SRC_LEN = struct.Struct("!I")
CHILD_ENV = {"PATH": "/usr/local/bin:/usr/bin:/bin", "LANG": "C.UTF-8", "LC_ALL": "C.UTF-8",
             "HOME": "/nonexistent", "PYTHONHASHSEED": "0", "PYTHONDONTWRITEBYTECODE": "1",
             "OMP_NUM_THREADS": "1", "OPENBLAS_NUM_THREADS": "1", "MKL_NUM_THREADS": "1", "TZ": "UTC"}
TEST_SLOTS = 64
_exit = os._exit  # bound early: the child must reach it whatever the program did to modules


@dataclass(frozen=True)
class JobPaths:
    """The worker's fixed per-job paths (inside the worker's private /tmp)."""

    workdir: str
    stdout: str
    stderr: str


def read_into(fd: int, buf: bytearray, n: int) -> bool:
    """Fill ``buf[:n]`` from ``fd`` (no allocation per call beyond a view); False on end of file."""
    view = memoryview(buf)
    got = 0
    while got < n:
        k = os.readv(fd, [view[got:n]])
        if k == 0:
            return False
        got += k
    return True


def pack_payload(nonce: str, entry_point: str | None, program: str) -> bytes:
    """Job payload: the nonce, the entry point (empty for none) and the program, no JSON to decode in the child
    (decoding JSON alone costs a fresh child about 60 page faults)."""
    ep = (entry_point or "").encode()
    raw = nonce.encode()
    if len(raw) != NONCE_BYTES:
        raise ValueError(f"nonce must be {NONCE_BYTES} hex digits")
    return raw + _EP_LEN.pack(len(ep)) + ep + program.encode("utf-8", "surrogatepass")


def _unpack_payload(buf: bytearray, size: int) -> tuple[str, str | None, str]:
    view = memoryview(buf)
    nonce = bytes(view[:NONCE_BYTES]).decode()
    (ep_len,) = _EP_LEN.unpack_from(buf, NONCE_BYTES)
    start = NONCE_BYTES + _EP_LEN.size
    entry_point = bytes(view[start:start + ep_len]).decode() or None
    program = bytes(view[start + ep_len:size]).decode("utf-8", "surrogatepass")
    return nonce, entry_point, program


def pack_tests(tests: str) -> bytes:
    """A test suite for a zygote slot: its source and its compiled form (``harness.rewrite_tests``, marshalled).

    Compiled by the worker, which has no fork-protected memory, so parsing and rewriting cost no page faults;
    the zygote only unmarshals. An empty compiled part means the tests do not compile (the child reports why).
    """
    try:
        blob = marshal.dumps(harness.rewrite_tests(tests))
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        blob = b""
    src = tests.encode("utf-8", "surrogatepass")
    return _SRC_LEN.pack(len(src)) + src + blob


def _unpack_tests(buf: bytearray, n: int) -> tuple[str, tuple | None]:
    (src_len,) = _SRC_LEN.unpack_from(buf)
    start = _SRC_LEN.size
    tests = bytes(buf[start:start + src_len]).decode("utf-8", "surrogatepass")
    blob = bytes(buf[start + src_len:n])
    return tests, (marshal.loads(blob) if blob else None)


def _child(buf: bytearray, size: int, tests: str, compiled: tuple | None, timeout: float, paths: JobPaths,
           iso: Isolation, result_fd: int) -> None:
    """Body of the forked child; never returns. Writes its verdict record to fd 3 (the result pipe)."""
    nonce = ""
    try:
        nonce, entry_point, program = _unpack_payload(buf, size)
        os.setsid()
        out = os.open(paths.stdout, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        err = os.open(paths.stderr, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        os.dup2(out, 1)
        os.dup2(err, 2)
        if result_fd != 3:
            os.dup2(result_fd, 3, inheritable=False)
        os.closerange(4, 65536)
        set_cpu_limit(max(1, math.ceil(timeout)) + 1)
        if iso.uid_switch and iso.sandbox_uid is not None:
            os.setgroups([])
            os.setgid(iso.sandbox_uid)
            os.setuid(iso.sandbox_uid)
        try:
            set_parent_death_signal(signal.SIGKILL)  # after setuid, which clears it
        except OSError:
            pass
        os.chdir(paths.workdir)
        record = harness.run(program, tests, entry_point, compiled_tests=compiled)
        try:
            sys.stdout.flush()
            sys.stderr.flush()
        except BaseException:  # noqa: B036
            pass
        harness.report(3, nonce, record)
    except BaseException as exc:  # noqa: B036 - setup failures become an "error" record, never a pass
        try:
            harness.report(3, nonce, {"status": "error", "error": f"sandbox setup: {exc!r}"})
        except BaseException:  # noqa: B036
            pass
    finally:
        _exit(0)


def _wait_child(pid: int, timeout: float) -> tuple[int, bool]:
    """Wait for our child ``pid`` up to ``timeout`` seconds; on expiry kill its session and it. (status, timed out)."""
    pidfd = os.pidfd_open(pid)
    try:
        ready, _, _ = select.select([pidfd], [], [], max(0.0, timeout))
    finally:
        os.close(pidfd)
    if ready:
        return os.waitpid(pid, 0)[1], False
    for kill in (os.killpg, os.kill):
        try:
            kill(pid, signal.SIGKILL)
        except OSError:
            pass
    return os.waitpid(pid, 0)[1], True


def setup_zygote(paths: JobPaths, limits: Limits) -> None:
    """One-time state every child inherits (see the module docstring)."""
    try:
        set_parent_death_signal(signal.SIGKILL)
    except OSError:
        pass
    try:
        fd = os.open("/proc/self/oom_score_adj", os.O_WRONLY)
        os.write(fd, b"1000")
        os.close(fd)
    except OSError:
        pass
    os.environ.clear()
    os.environ.update(CHILD_ENV)
    os.environ["TMPDIR"] = paths.workdir  # tempfile is not imported yet: a child's first use reads this
    sys.argv = ["solution.py"]
    signal.signal(signal.SIGPIPE, signal.SIG_DFL)
    signal.signal(signal.SIGINT, signal.SIG_DFL)
    # Fresh text layers on fds 0/1/2 (never written here, so every child starts with empty buffers).
    sys.stdin = open(0, closefd=False)  # noqa: SIM115
    sys.stdout = open(1, "w", closefd=False)  # noqa: SIM115
    sys.stderr = open(2, "w", closefd=False)  # noqa: SIM115
    apply_child_rlimits(limits)
    harness.prepare()
    gc.collect()
    gc.freeze()  # keep the inherited heap out of the collector: fewer copy-on-write faults per child


def zygote_main(job_fd: int, status_fd: int, result_fd: int, paths: JobPaths, iso: Isolation,
                limits: Limits) -> None:
    """The zygote's loop (runs in the process the worker forked); never returns."""
    try:
        setup_zygote(paths, limits)
        slots: dict[int, tuple[str, tuple | None]] = {}
        buf = bytearray(1 << 16)
        while True:
            if not read_into(job_fd, buf, HEADER.size):
                break
            timeout, slot, tests_len, size = HEADER.unpack_from(buf)
            if tests_len:
                if tests_len > len(buf):
                    buf = bytearray(tests_len)
                if not read_into(job_fd, buf, tests_len):
                    break
                slots[slot] = _unpack_tests(buf, tests_len)
            if size > len(buf):
                buf = bytearray(size)
            if not read_into(job_fd, buf, size):
                break
            tests, compiled = slots.get(slot, ("", None))
            pid = os.fork()
            if pid == 0:
                _child(buf, size, tests, compiled, timeout, paths, iso, result_fd)
            status, timed_out = _wait_child(pid, timeout)
            os.write(status_fd, STATUS.pack(pid, status, int(timed_out)))
    finally:
        _exit(0)
