"""The zygote: a small, quiet process that forks one sandboxed child per job and reports how it ended.

Why a separate process: ``fork`` write-protects every page of the forking process, so whatever the forking
process touches between two forks costs it a copy-on-write fault, and so does everything the child touches;
and the kernel's fork and exit work grows with the forking process's memory. The worker (JSON protocol, job
directories, result records, clean-up, the worker's own imports) is neither quiet nor small. So the worker
starts this module as a fresh interpreter (``python -S``, in the worker's namespaces and cgroups, as root),
which imports little beyond the harness and ``PRELOAD``, only reads a job, forks and waits. Measured numbers
are in ``docs/sandbox.md``.

Everything the jobs share is set once here, before the first fork, and inherited by every child: environment,
``sys.argv``, temp dir, signal dispositions, ``oom_score_adj`` 1000 (children are the OOM killer's first choice;
the worker stays at -1000), the constant rlimits (the zygote is root, so RLIMIT_NPROC does not bind it, and it
never writes files), a fixed hash seed, the imported modules and the harness's "before" snapshots. Per job the child only starts
a session, points fds 1/2/3 at its output files and the result pipe, closes every other descriptor, sets its
CPU limit, drops to the sandbox uid, enters its empty work dir and runs the harness.

Protocol (trusted, worker <-> zygote): the worker writes ``HEADER`` (wall-clock timeout, test-suite slot, length
of the test suite that follows when the slot is new (``worker.pack_tests``), payload length), then that suite, then the payload
(:func:`pack_payload`: nonce, entry point, compiled program, program); the zygote answers ``STATUS`` (child pid, wait status, timed out) once
the child has been reaped. The zygote keeps each compiled test suite in its slot (the samples of one prompt
share it), reads payloads into one reused buffer and leaves parsing them to the child, so that it touches as
little memory as it can between two forks. The wall clock is enforced here, by the child's parent,
through a pidfd, so no pid can have been recycled when it is killed.
"""

from __future__ import annotations

import gc
import importlib
import json
import marshal
import math
import os
import select
import signal
import struct
import sys

from fusechat.sandbox import harness
from fusechat.sandbox.syscalls import apply_child_rlimits, set_cpu_limit, set_parent_death_signal

#: Modules imported before the first fork, so that children do not pay for importing them: the light ones
#: model-written solutions import most (HumanEval: typing, math, copy, string, collections, re). Each further
#: module makes every fork and exit dearer (a fork from the former 35-module worker cost ~0.3 ms more than from
#: this set), and ``random`` (imported by ``statistics``, ``tempfile``, ``secrets``) re-seeds itself in every
#: child through an at-fork hook (~40 page faults): a program that imports them pays once, in its own child.
PRELOAD = ("math", "re", "collections", "itertools", "functools", "heapq", "bisect", "string", "typing", "copy",
           "operator", "json")
HEADER = struct.Struct("!dIII")  # timeout seconds, tests slot, tests source bytes (0: slot known), payload bytes
STATUS = struct.Struct("!iii")  # pid, wait status, timed out (0/1)
NONCE_BYTES = 32  # hex digits
_EP_LEN = struct.Struct("!H")
_CODE_LEN = struct.Struct("!I")
TESTS_SRC_LEN = struct.Struct("!I")  # a test-suite message: source length, source, marshalled code
CHILD_ENV = {"PATH": "/usr/local/bin:/usr/bin:/bin", "LANG": "C.UTF-8", "LC_ALL": "C.UTF-8",
             "HOME": "/nonexistent", "PYTHONHASHSEED": "0", "PYTHONDONTWRITEBYTECODE": "1",
             "OMP_NUM_THREADS": "1", "OPENBLAS_NUM_THREADS": "1", "MKL_NUM_THREADS": "1", "TZ": "UTC"}
TEST_SLOTS = 64
_exit = os._exit  # bound early: the child must reach it whatever the program did to modules


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


def pack_payload(nonce: str, entry_point: str | None, program: str, code: bytes = b"") -> bytes:
    """Job payload: the nonce, the entry point (empty for none), the program's code object marshalled by the
    worker (empty: the child compiles the program itself) and the program's source, no JSON to decode in the child
    (decoding JSON alone costs a fresh child about 60 page faults; compiling, about 80 and 0.4 ms)."""
    ep = (entry_point or "").encode()
    raw = nonce.encode()
    if len(raw) != NONCE_BYTES:
        raise ValueError(f"nonce must be {NONCE_BYTES} hex digits")
    return (raw + _EP_LEN.pack(len(ep)) + ep + _CODE_LEN.pack(len(code)) + code
            + program.encode("utf-8", "surrogatepass"))


def _unpack_payload(buf: bytearray, size: int) -> tuple[str, str | None, bytes, str]:
    view = memoryview(buf)
    nonce = bytes(view[:NONCE_BYTES]).decode()
    (ep_len,) = _EP_LEN.unpack_from(buf, NONCE_BYTES)
    start = NONCE_BYTES + _EP_LEN.size
    entry_point = bytes(view[start:start + ep_len]).decode() or None
    start += ep_len
    (code_len,) = _CODE_LEN.unpack_from(buf, start)
    start += _CODE_LEN.size
    code = bytes(view[start:start + code_len])
    program = bytes(view[start + code_len:size]).decode("utf-8", "surrogatepass")
    return nonce, entry_point, code, program


def _unpack_tests(buf: bytearray, n: int) -> tuple[str, tuple | None]:
    (src_len,) = TESTS_SRC_LEN.unpack_from(buf)
    start = TESTS_SRC_LEN.size
    tests = bytes(buf[start:start + src_len]).decode("utf-8", "surrogatepass")
    blob = bytes(buf[start + src_len:n])
    return tests, (marshal.loads(blob) if blob else None)


def _child(buf: bytearray, size: int, tests: str, compiled: tuple | None, timeout: float, conf: dict,
           result_fd: int) -> None:
    """Body of the forked child; never returns. Writes its verdict record to fd 3 (the result pipe)."""
    nonce = ""
    try:
        nonce, entry_point, code, program = _unpack_payload(buf, size)
        os.setsid()
        out = os.open(conf["stdout"], os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        err = os.open(conf["stderr"], os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        os.dup2(out, 1)
        os.dup2(err, 2)
        if result_fd != 3:
            os.dup2(result_fd, 3, inheritable=False)
        os.closerange(4, 65536)
        set_cpu_limit(max(1, math.ceil(timeout)) + 1)
        uid = conf["sandbox_uid"]
        if uid is not None:
            os.setgroups([])
            os.setgid(uid)
            os.setuid(uid)
        try:
            set_parent_death_signal(signal.SIGKILL)  # after setuid, which clears it
        except OSError:
            pass
        os.chdir(conf["workdir"])
        record = harness.run(program, tests, entry_point, compiled_tests=compiled,
                             compiled_program=marshal.loads(code) if code else None)
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


def setup_zygote(conf: dict) -> None:
    """One-time state every child inherits (see the module docstring)."""
    try:
        set_parent_death_signal(signal.SIGKILL)
    except OSError:
        pass
    if os.getppid() != conf["worker_pid"]:  # the worker died before the death signal was armed
        _exit(1)
    try:
        fd = os.open("/proc/self/oom_score_adj", os.O_WRONLY)
        os.write(fd, b"1000")
        os.close(fd)
    except OSError:
        pass
    # Programs may import what the environment's site-packages hold (without .pth files: ``-S``).
    sys.path.extend(d for d in conf["site_dirs"] if d not in sys.path)
    for mod in PRELOAD:
        try:
            importlib.import_module(mod)
        except ImportError:
            pass
    os.environ.clear()
    os.environ.update(CHILD_ENV)
    os.environ["TMPDIR"] = conf["workdir"]  # tempfile is not imported yet: a child's first use reads this
    sys.argv = ["solution.py"]
    signal.signal(signal.SIGPIPE, signal.SIG_DFL)
    signal.signal(signal.SIGINT, signal.SIG_DFL)
    # Fresh text layers on fds 0/1/2 (never written here, so every child starts with empty buffers).
    sys.stdin = open(0, closefd=False)  # noqa: SIM115
    sys.stdout = open(1, "w", closefd=False)  # noqa: SIM115
    sys.stderr = open(2, "w", closefd=False)  # noqa: SIM115
    apply_child_rlimits(conf["limits"])
    harness.prepare()
    gc.collect()
    gc.freeze()  # keep the inherited heap out of the collector: fewer copy-on-write faults per child


def main() -> None:
    """The zygote's loop; ``sys.argv[1]`` is its JSON configuration (see ``worker._Zygote``). Never returns."""
    try:
        conf = json.loads(sys.argv[1])
        job_fd, status_fd, result_fd = conf["fds"]
        setup_zygote(conf)
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
                _child(buf, size, tests, compiled, timeout, conf, result_fd)
            status, timed_out = _wait_child(pid, timeout)
            os.write(status_fd, STATUS.pack(pid, status, int(timed_out)))
    except BaseException as exc:  # noqa: B036 - say why on stderr; the worker sees the pipes close
        os.write(2, f"fusechat sandbox zygote: {exc!r}\n".encode())
    finally:
        _exit(0)
