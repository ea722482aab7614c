"""A pre-forked sandbox worker: set up isolation once, then fork one sandboxed child per job.

Protocol (trusted, pool <-> worker): one JSON object per line on stdin (a job), one per line on stdout (a
result). The worker starts with a scrubbed environment and, when root:

1. ``unshare(CLONE_NEWNS | CLONE_NEWNET)``: a private mount namespace and a network namespace holding only a
   down loopback, so no socket can reach anything (not even 127.0.0.1 of the host);
2. a private tmpfs over every world-writable directory (``/tmp``, ``/var/tmp``, ``/dev/shm``, ``/run/lock``),
   so the sandbox uid has nowhere outside its work dir to write; ``/root`` is replaced by a tmpfs holding only a
   read-only bind of the interpreter when the interpreter lives under it;
3. its own cgroup (v1 ``pids`` and ``memory``) where the machine lets it make one;
4. child subreaper, so daemonised grandchildren are re-parented to the worker and reaped.

Per job it forks a child that: starts a new session, sets rlimits, drops to the worker's sandbox uid (distinct
per worker, so RLIMIT_NPROC counts only that worker's programs), enters a fresh empty work dir, points
stdin at /dev/null and stdout/stderr at size-capped files, closes every other descriptor but the result pipe,
and runs :mod:`fusechat.sandbox.harness`. The worker enforces the wall clock with a pidfd, then kills the
session and every process of the sandbox uid (``kill(-1)`` from a helper running as that uid), reaps, and
removes the work dir.
"""

from __future__ import annotations

import argparse
import gc
import json
import math
import os
import secrets
import select
import shutil
import signal
import sys
import tempfile
import time
from pathlib import Path

from fusechat.sandbox import harness
from fusechat.sandbox.limits import (
    CLONE_NEWNET,
    CLONE_NEWNS,
    MS_BIND,
    MS_NODEV,
    MS_NOSUID,
    MS_PRIVATE,
    MS_RDONLY,
    MS_REC,
    MS_REMOUNT,
    WORLD_WRITABLE_DIRS,
    Isolation,
    Limits,
    apply_child_rlimits,
    mount,
    set_parent_death_signal,
    set_subreaper,
    umount_detach,
    unshare,
)

#: Modules imported once in the worker so that forked children do not pay for them.
PRELOAD = ("math", "re", "collections", "itertools", "functools", "heapq", "bisect", "string", "typing",
           "json", "random", "statistics", "fractions", "decimal", "datetime", "copy", "operator", "cmath",
           "dataclasses", "enum", "abc", "textwrap", "unittest", "hashlib", "struct", "array", "numbers",
           "collections.abc", "io", "time", "sys", "os.path", "traceback", "inspect", "contextlib")

CHILD_ENV = {"PATH": "/usr/local/bin:/usr/bin:/bin", "LANG": "C.UTF-8", "LC_ALL": "C.UTF-8",
             "HOME": "/nonexistent", "PYTHONHASHSEED": "0", "PYTHONDONTWRITEBYTECODE": "1",
             "OMP_NUM_THREADS": "1", "OPENBLAS_NUM_THREADS": "1", "MKL_NUM_THREADS": "1", "TZ": "UTC"}
JOB_ROOT = "/tmp/fc_sandbox_jobs"
_exit = os._exit  # bound early: the child must reach it whatever the program did to modules


def _hide_root_home(iso: Isolation) -> None:
    """If the interpreter lives under a directory others cannot enter (``/root``), make only it visible."""
    prefixes = {os.path.realpath(p) for p in (sys.base_prefix, sys.prefix)}
    for prefix in sorted(prefixes):
        parts = Path(prefix).parts
        for i in range(2, len(parts) + 1):
            anc = str(Path(*parts[:i]))
            if os.stat(anc).st_mode & 0o001:
                continue
            # anc is not enterable by others: stage the prefix, cover anc with a tmpfs, bind the prefix back.
            stage = tempfile.mkdtemp(prefix="fc_prefix_", dir="/tmp")
            mount(prefix, stage, None, MS_BIND | MS_REC)
            mount("tmpfs", anc, "tmpfs", MS_NOSUID | MS_NODEV, "size=1m,mode=0755")
            os.makedirs(prefix, mode=0o755, exist_ok=True)
            for j in range(i, len(parts) + 1):
                os.chmod(str(Path(*parts[:j])), 0o755)
            mount(stage, prefix, None, MS_BIND | MS_REC)
            mount(None, prefix, None, MS_BIND | MS_REMOUNT | MS_RDONLY | MS_REC)
            umount_detach(stage)
            os.rmdir(stage)
            iso.hidden_root_home = True
            iso.notes.append(f"{anc} replaced by a tmpfs exposing only {prefix} read-only")
            break


def _make_cgroup(iso: Isolation, limits: Limits, tag: str) -> list[str]:
    """Join a fresh cgroup v1 pids/memory group where possible; return the directories made."""
    made = []
    own = {}
    try:
        for line in Path("/proc/self/cgroup").read_text().splitlines():
            _, ctrls, path = line.split(":", 2)
            for c in ctrls.split(","):
                own[c] = path
    except OSError:
        return made
    for ctrl, knob, value in (("pids", "pids.max", str(limits.nproc * 2 + 8)),
                              ("memory", "memory.limit_in_bytes", str(limits.cgroup_memory_mb * 1024 * 1024))):
        base = Path("/sys/fs/cgroup") / ctrl
        if ctrl not in own or not base.is_dir():
            continue
        d = base / own[ctrl].lstrip("/") / f"fusechat_sandbox_{tag}"
        try:
            d.mkdir(exist_ok=True)
            (d / knob).write_text(value)
            if ctrl == "memory":
                try:
                    (d / "memory.memsw.limit_in_bytes").write_text(value)
                except OSError:
                    pass
            (d / "cgroup.procs").write_text(str(os.getpid()))
            made.append(str(d))
            setattr(iso, f"cgroup_{ctrl}", True)
        except OSError as exc:
            iso.notes.append(f"cgroup {ctrl} unavailable: {exc.strerror}")
    return made


def setup(slot: int, limits: Limits, uid_base: int, want_netns: bool) -> tuple[Isolation, list[str]]:
    """One-time isolation of this worker; every step that fails is recorded, none is assumed."""
    iso = Isolation(root=os.geteuid() == 0)
    try:
        set_parent_death_signal(signal.SIGKILL)
    except OSError:
        pass
    try:
        set_subreaper()
        iso.subreaper = True
    except OSError as exc:
        iso.notes.append(f"no subreaper: {exc}")
    cgroups: list[str] = []
    if not iso.root:
        iso.notes.append("not root: no uid switch, namespaces or cgroups; RLIMIT_NPROC counts all of this "
                         "user's processes")
        return iso, cgroups
    try:
        unshare(CLONE_NEWNS)
        mount(None, "/", None, MS_REC | MS_PRIVATE)
        iso.mount_namespace = True
    except OSError as exc:
        iso.notes.append(f"no mount namespace: {exc}")
    if want_netns:
        try:
            unshare(CLONE_NEWNET)
            iso.network_namespace = True
        except OSError as exc:
            iso.notes.append(f"NO NETWORK ISOLATION: unshare(CLONE_NEWNET) failed: {exc}")
    else:
        iso.notes.append("network namespace disabled by the caller")
    if iso.mount_namespace:
        try:
            for d in WORLD_WRITABLE_DIRS:
                if os.path.isdir(d):
                    mount("tmpfs", d, "tmpfs", MS_NOSUID | MS_NODEV, f"size={limits.tmpfs_mb}m,mode=1777")
            iso.private_tmp = True
            _hide_root_home(iso)
        except OSError as exc:
            iso.notes.append(f"private tmp / prefix bind failed: {exc}")
    cgroups = _make_cgroup(iso, limits, f"{os.getpid()}_{slot}")
    iso.sandbox_uid = uid_base + slot
    iso.uid_switch = True
    try:
        with open("/proc/self/oom_score_adj", "w") as fh:
            fh.write("-1000")
    except OSError:
        pass
    return iso, cgroups


def _kill_uid(uid: int) -> None:
    """Kill every process of ``uid`` from a helper that runs as that uid (``kill(-1)`` spares only itself)."""
    pid = os.fork()
    if pid == 0:
        try:
            os.setgroups([])
            os.setgid(uid)
            os.setuid(uid)
            for _ in range(200):
                try:
                    os.kill(-1, signal.SIGKILL)
                except ProcessLookupError:
                    break
                except OSError:
                    break
        finally:
            os._exit(0)
    os.waitpid(pid, 0)


def _reap_all(deadline: float) -> int:
    """Reap children (we are subreaper) until none is left or the deadline passes; return how many remain."""
    while True:
        try:
            pid, _ = os.waitpid(-1, os.WNOHANG)
        except ChildProcessError:
            return 0
        if pid == 0:
            if time.monotonic() > deadline:
                return 1
            time.sleep(0.001)


def _read_tail(path: str, n: int) -> str:
    try:
        size = os.path.getsize(path)
        with open(path, "rb") as fh:
            if size > n:
                fh.seek(size - n)
            return fh.read().decode("utf-8", "replace")
    except OSError:
        return ""


_TESTS_CACHE: dict[str, tuple] = {}


def _compiled_tests(tests: str) -> tuple | None:
    """Compile (with assert rewriting) a test suite once per worker; None when it does not compile."""
    hit = _TESTS_CACHE.get(tests)
    if hit is None:
        try:
            hit = harness.rewrite_tests(tests)
        except (SyntaxError, ValueError, RecursionError, MemoryError):
            return None
        if len(_TESTS_CACHE) > 4096:
            _TESTS_CACHE.clear()
        _TESTS_CACHE[tests] = hit
    return hit


def _uid_has_processes(iso: Isolation, cgroups: list[str]) -> bool:
    """Whether anything but the worker may be left: read the worker's pids cgroup, else assume yes."""
    for d in cgroups:
        if "/pids/" in d:
            try:
                return int(Path(d, "pids.current").read_text()) > 1
            except (OSError, ValueError):
                return True
    return True


def _child(job: dict, limits: Limits, iso: Isolation, workdir: str, out_path: str, err_path: str,
           wfd: int, nonce: str) -> None:
    """Body of the forked child; never returns."""
    try:
        os.setsid()
        try:
            with open("/proc/self/oom_score_adj", "w") as fh:
                fh.write("1000")
        except OSError:
            pass
        devnull = os.open("/dev/null", os.O_RDONLY)
        out = os.open(out_path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        err = os.open(err_path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        os.dup2(devnull, 0)
        os.dup2(out, 1)
        os.dup2(err, 2)
        res_fd = os.dup2(wfd, 3, inheritable=False) if wfd != 3 else wfd
        os.closerange(4, 65536)
        signal.signal(signal.SIGPIPE, signal.SIG_DFL)
        signal.signal(signal.SIGINT, signal.SIG_DFL)
        timeout = float(job.get("timeout_s", 10.0))
        apply_child_rlimits(limits, cpu_seconds=max(1, math.ceil(timeout)) + 1)
        if iso.uid_switch and iso.sandbox_uid is not None:
            os.setgroups([])
            os.setgid(iso.sandbox_uid)
            os.setuid(iso.sandbox_uid)
        os.chdir(workdir)
        os.environ.clear()
        os.environ.update(CHILD_ENV)
        os.environ["TMPDIR"] = workdir
        tempfile.tempdir = workdir
        sys.argv = ["solution.py"]
        sys.stdout = open(1, "w", closefd=False)  # noqa: SIM115 - fresh text layers on the redirected fds
        sys.stderr = open(2, "w", closefd=False)  # noqa: SIM115
        sys.stdin = open(0, closefd=False)  # noqa: SIM115
        record = harness.run(job["program"], job.get("tests", ""), job.get("entry_point"),
                             compiled_tests=_compiled_tests(job.get("tests", "")))
        try:
            sys.stdout.flush()
            sys.stderr.flush()
        except BaseException:  # noqa: B036
            pass
        harness.report(res_fd, nonce, record)
    except BaseException as exc:  # noqa: B036 - setup failures become an "error" record, never a pass
        try:
            harness.report(3, nonce, {"status": "error", "error": f"sandbox setup: {exc!r}"})
        except BaseException:  # noqa: B036
            pass
    finally:
        _exit(0)


def _oom_kills(cgroups: list[str]) -> int:
    """The memory cgroup's OOM-kill counter (0 when there is no memory cgroup)."""
    for d in cgroups:
        if "/memory/" in d:
            try:
                for line in Path(d, "memory.oom_control").read_text().splitlines():
                    if line.startswith("oom_kill "):
                        return int(line.split()[1])
            except (OSError, ValueError):
                return 0
    return 0


def _status_from_signal(sig: int, oom: bool) -> str:
    if sig == signal.SIGXCPU:
        return "timeout"
    if sig == signal.SIGXFSZ:
        return "output_limit"
    if sig == signal.SIGKILL and oom:
        return "memory"
    return "crashed"


def run_job(job: dict, limits: Limits, iso: Isolation, cgroups: list[str] | None = None) -> dict:
    """Run one job in a fresh sandboxed child; return the result record (trusted side)."""
    t0 = time.monotonic()
    timeout = float(job.get("timeout_s", 10.0))
    os.makedirs(JOB_ROOT, mode=0o711, exist_ok=True)
    jobdir = tempfile.mkdtemp(prefix="job_", dir=JOB_ROOT)
    os.chmod(jobdir, 0o711)
    workdir = os.path.join(jobdir, "work")
    os.mkdir(workdir, 0o700)
    if iso.uid_switch and iso.sandbox_uid is not None:
        os.chown(workdir, iso.sandbox_uid, iso.sandbox_uid)
    out_path, err_path = os.path.join(jobdir, "stdout"), os.path.join(jobdir, "stderr")
    nonce = secrets.token_hex(16)
    _compiled_tests(job.get("tests", ""))
    oom_before = _oom_kills(cgroups or [])
    rfd, wfd = os.pipe()
    pid = os.fork()
    if pid == 0:
        os.close(rfd)
        _child(job, limits, iso, workdir, out_path, err_path, wfd, nonce)
    os.close(wfd)
    status, detail, wait_status, timed_out = None, "", None, False
    try:
        pidfd = os.pidfd_open(pid)
    except OSError:
        pidfd = None
    deadline = t0 + timeout
    while wait_status is None:
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            timed_out = True
            break
        if pidfd is not None:
            select.select([pidfd], [], [], remaining)
        else:
            time.sleep(min(0.002, remaining))
        wpid, st = os.waitpid(pid, os.WNOHANG)
        if wpid == pid:
            wait_status = st
    if timed_out:
        try:
            os.killpg(pid, signal.SIGKILL)
        except OSError:
            pass
        os.kill(pid, signal.SIGKILL)
        _, wait_status = os.waitpid(pid, 0)
    if pidfd is not None:
        os.close(pidfd)
    # Collect what the harness wrote; other writers (forked copies) may also hold the pipe, so do not block.
    os.set_blocking(rfd, False)
    buf = b""
    try:
        while True:
            chunk = os.read(rfd, 65536)
            if not chunk:
                break
            buf += chunk
            if len(buf) > 1 << 20:
                break
    except BlockingIOError:
        pass
    os.close(rfd)
    # Kill everything the program left (its session, then every process of the sandbox uid) and reap.
    try:
        os.killpg(pid, signal.SIGKILL)
    except OSError:
        pass
    if iso.uid_switch and iso.sandbox_uid is not None and _uid_has_processes(iso, cgroups or []):
        _kill_uid(iso.sandbox_uid)
    leftover = _reap_all(time.monotonic() + 2.0)
    record = None
    for line in buf.decode("utf-8", "replace").splitlines():
        parts = line.split(" ", 2)
        if len(parts) == 3 and parts[0] == "FCRESULT" and secrets.compare_digest(parts[1], nonce):
            try:
                record = json.loads(parts[2])
            except ValueError:
                record = None
            break
    if timed_out:
        status, detail = "timeout", f"wall clock {timeout:g}s exceeded"
    elif os.WIFSIGNALED(wait_status) and record is None:
        sig = os.WTERMSIG(wait_status)
        oom = _oom_kills(cgroups or []) > oom_before
        status, detail = _status_from_signal(sig, oom), f"killed by {signal.Signals(sig).name}" + (
            " (cgroup OOM killer)" if oom else "")
    elif record is None:
        status = "failed"
        detail = f"no harness record (program exited early with code {os.waitstatus_to_exitcode(wait_status)})"
    else:
        status, detail = record.get("status", "error"), record.get("error", "")
    res = {
        "passed": status == "passed",
        "status": status,
        "duration_s": round(time.monotonic() - t0, 6),
        "detail": detail[-1500:] if detail else "",
        "asserts": (record or {}).get("asserts", 0),
        "stdout_tail": _read_tail(out_path, limits.output_tail_chars),
        "stderr_tail": _read_tail(err_path, limits.output_tail_chars),
        "leftover_processes": bool(leftover),
    }
    shutil.rmtree(jobdir, ignore_errors=True)
    return res


def main() -> None:
    """Worker entry point (started by :class:`fusechat.sandbox.pool.SandboxPool`)."""
    ap = argparse.ArgumentParser()
    ap.add_argument("--slot", type=int, required=True)
    ap.add_argument("--uid-base", type=int, default=64000)
    ap.add_argument("--limits", default="{}")
    ap.add_argument("--no-netns", action="store_true")
    args = ap.parse_args()
    limits = Limits(**json.loads(args.limits))
    proto_in = os.fdopen(os.dup(0), "r")
    proto_out = os.fdopen(os.dup(1), "w")
    # The protocol lives on private descriptors; 0/1 point at /dev/null, 2 stays for crash messages.
    null = os.open("/dev/null", os.O_RDWR)
    os.dup2(null, 0)
    os.dup2(null, 1)
    iso, cgroups = setup(args.slot, limits, args.uid_base, not args.no_netns)
    import importlib

    for mod in PRELOAD:
        try:
            importlib.import_module(mod)
        except ImportError:
            pass
    gc.freeze()  # keep the preloaded heap out of the collector: fewer copy-on-write faults per fork
    proto_out.write(json.dumps({"ready": True, "isolation": iso.to_dict(), "cgroups": cgroups}) + "\n")
    proto_out.flush()
    for line in proto_in:
        if not line.strip():
            continue
        job = json.loads(line)
        try:
            res = run_job(job, limits, iso, cgroups)
        except Exception as exc:  # a worker-side failure is reported, the worker keeps serving
            res = {"passed": False, "status": "error", "duration_s": 0.0, "detail": f"worker: {exc!r}",
                   "asserts": 0, "stdout_tail": "", "stderr_tail": "", "leftover_processes": False}
        proto_out.write(json.dumps(res) + "\n")
        proto_out.flush()


if __name__ == "__main__":
    main()
