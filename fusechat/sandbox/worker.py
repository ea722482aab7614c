"""A pre-forked sandbox worker: set up isolation once, then run jobs through its zygote.

Protocol (trusted, pool <-> worker): one JSON object per line on stdin (a job), one per line on stdout (a
result), answered in order (the pool may queue the next job before the last result came back). The worker
starts with a scrubbed environment and, when root:

1. ``unshare(CLONE_NEWNS | CLONE_NEWNET)``: a private mount namespace and a network namespace holding only a
   down loopback, so no socket can reach anything (not even 127.0.0.1 of the host);
2. a private tmpfs over every world-writable directory (``/tmp``, ``/var/tmp``, ``/dev/shm``, ``/run/lock``),
   so the sandbox uid has nowhere outside its work dir to write; ``/root`` is replaced by a tmpfs holding only a
   read-only bind of the interpreter when the interpreter lives under it;
3. its own cgroup (v1 ``pids`` and ``memory``) where the machine lets it make one;
4. child subreaper, so daemonised grandchildren are re-parented to the worker and reaped.

Then it forks its zygote (:mod:`fusechat.sandbox.zygote`), which forks one sandboxed child per job: a new
session, rlimits, the worker's sandbox uid (distinct per worker, so RLIMIT_NPROC counts only that worker's
programs), a fresh empty work dir, stdout/stderr into size-capped files, no descriptor but the result pipe, and
the harness (:mod:`fusechat.sandbox.harness`). The zygote enforces the wall clock; the worker then kills every
process of the sandbox uid that is left (``kill(-1)`` from a helper running as that uid), reaps, reads the
child's record (a per-job nonce proves it is this job's), and empties the work dir.
"""

from __future__ import annotations

import json
import marshal
import os
import select
import signal
import sys
import time
from collections import OrderedDict
from pathlib import Path
from typing import NamedTuple

from fusechat.sandbox.harness import compile_program
from fusechat.sandbox.limits import Isolation, Limits
from fusechat.sandbox.rewrite import rewrite_tests
from fusechat.sandbox.syscalls import (
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
    mount,
    set_parent_death_signal,
    set_subreaper,
    unshare,
)
from fusechat.sandbox.zygote import HEADER, STATUS, TEST_SLOTS, TESTS_SRC_LEN, pack_payload

JOB_ROOT = "/tmp/fc_sandbox_jobs"
#: Processes of the worker's cgroup that are not the sandbox's: the worker and its zygote.
TRUSTED_PROCESSES = 2
#: Seconds the worker waits for the zygote beyond a job's own timeout before it gives the zygote up for dead.
ZYGOTE_GRACE_S = 10.0
_NO_RECORD_SIZE = 1 << 20


def _cover_keeping(covers: list[tuple[str, str]], keep: list[str]) -> None:
    """Mount a fresh tmpfs over each ``(directory, tmpfs options)`` of ``covers``, then make each path of ``keep``
    (lying under one of them) visible again, read-only, at the same place.

    ``keep`` is opened (``O_PATH``) before it is covered and bound from ``/proc/self/fd`` afterwards, the one way
    left to reach it; the directories leading to it on the new tmpfs are made enterable by all (0755).
    """
    fds = {p: os.open(p, os.O_PATH | os.O_DIRECTORY | os.O_CLOEXEC) for p in keep}
    try:
        for d, options in covers:
            mount("tmpfs", d, "tmpfs", MS_NOSUID | MS_NODEV, options)
        for path, fd in fds.items():
            root = next(d for d, _ in covers if path.startswith(d.rstrip("/") + "/"))
            os.makedirs(path, mode=0o755, exist_ok=True)
            rel = Path(path).relative_to(root).parts
            for k in range(1, len(rel) + 1):
                os.chmod(os.path.join(root, *rel[:k]), 0o755)
            mount(f"/proc/self/fd/{fd}", path, None, MS_BIND | MS_REC)
            mount(None, path, None, MS_BIND | MS_REMOUNT | MS_RDONLY | MS_REC)
    finally:
        for fd in fds.values():
            os.close(fd)


def _hide_root_home(iso: Isolation) -> None:
    """If the interpreter lives under a directory others cannot enter (``/root``), make only it visible."""
    prefixes = {os.path.realpath(p) for p in (sys.base_prefix, sys.prefix)}
    for prefix in sorted(prefixes):
        parts = Path(prefix).parts
        for i in range(2, len(parts) + 1):
            anc = str(Path(*parts[:i]))
            if os.stat(anc).st_mode & 0o001:
                continue
            # anc is not enterable by others: cover it with a tmpfs that holds only the prefix.
            _cover_keeping([(anc, "size=1m,mode=0755")], [prefix])
            iso.hidden_root_home = True
            iso.notes.append(f"{anc} replaced by a tmpfs exposing only {prefix} read-only")
            break


def _paths_under_private_tmp(needed: list[str]) -> list[str]:
    """Those of ``needed`` (or their real paths) that lie under a directory the private tmpfs covers, outermost
    only: a repository, virtual environment or interpreter kept in ``/tmp`` must stay visible to the zygote."""
    found: list[str] = []
    for path in needed:
        for cand in {os.path.abspath(path), os.path.realpath(path)}:
            if any(cand.startswith(d + "/") for d in WORLD_WRITABLE_DIRS) and os.path.isdir(cand):
                found.append(cand)
    kept: list[str] = []
    for cand in sorted(set(found), key=len):
        if not any(cand == k or cand.startswith(k + "/") for k in kept):
            kept.append(cand)
    return kept


def _private_tmp(iso: Isolation, limits: Limits, needed: list[str]) -> None:
    """Cover every world-writable directory with a private tmpfs; bind ``needed`` paths under them back, read-only."""
    keep = _paths_under_private_tmp(needed)
    _cover_keeping([(d, f"size={limits.tmpfs_mb}m,mode=1777") for d in WORLD_WRITABLE_DIRS if os.path.isdir(d)],
                   keep)
    iso.notes.extend(f"{path} is under a private tmp dir: bound back read-only" for path in keep)


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


def setup(slot: int, limits: Limits, uid: int, want_netns: bool,
          needed: list[str] | None = None) -> tuple[Isolation, list[str]]:
    """One-time isolation of this worker; every step that fails is recorded, none is assumed. ``needed``: the
    directories the zygote and the programs must still see (interpreter, environment, this repository)."""
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
            _private_tmp(iso, limits, needed or [])
            iso.private_tmp = True
            _hide_root_home(iso)
        except OSError as exc:
            iso.notes.append(f"private tmp / prefix bind failed: {exc}")
    cgroups = _make_cgroup(iso, limits, f"{os.getpid()}_{slot}")
    iso.sandbox_uid = uid
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


def _read_tail(path: str, n: int) -> str:
    try:
        size = os.path.getsize(path)
        if size == 0:
            return ""
        with open(path, "rb") as fh:
            if size > n:
                fh.seek(size - n)
            return fh.read().decode("utf-8", "replace")
    except OSError:
        return ""


class _CgroupFile:
    """One cgroup control file kept open and re-read with ``pread`` (one system call per look, several per job)."""

    def __init__(self, cgroups: list[str], controller: str, name: str) -> None:
        self.fd: int | None = None
        for d in cgroups:
            if f"/{controller}/" in d:
                try:
                    self.fd = os.open(os.path.join(d, name), os.O_RDONLY | os.O_CLOEXEC)
                except OSError:
                    self.fd = None

    def read(self) -> str | None:
        if self.fd is None:
            return None
        try:
            return os.pread(self.fd, 4096, 0).decode()
        except OSError:
            return None

    def close(self) -> None:
        if self.fd is not None:
            os.close(self.fd)
            self.fd = None


def _oom_kills(oom_control: _CgroupFile) -> int:
    """The memory cgroup's OOM-kill counter (0 when there is no memory cgroup)."""
    for line in (oom_control.read() or "").splitlines():
        if line.startswith("oom_kill "):
            try:
                return int(line.split()[1])
            except ValueError:
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


def read_exact(fd: int, n: int) -> bytes | None:
    """Read exactly ``n`` bytes from ``fd``; None on end of file."""
    chunks, got = [], 0
    while got < n:
        chunk = os.read(fd, n - got)
        if not chunk:
            return None
        chunks.append(chunk)
        got += len(chunk)
    return b"".join(chunks)


def pack_tests(tests: str) -> bytes:
    """A test suite for a zygote slot: its source and its compiled form (``rewrite.rewrite_tests``, marshalled).

    Compiled by the worker, which has no fork-protected memory, so parsing and rewriting cost no page faults;
    the zygote only unmarshals. An empty compiled part means the tests do not compile (the child reports why).
    """
    try:
        blob = marshal.dumps(rewrite_tests(tests))
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        blob = b""
    src = tests.encode("utf-8", "surrogatepass")
    return TESTS_SRC_LEN.pack(len(src)) + src + blob


#: Programs up to this many characters are compiled by the worker (see :func:`pack_program`); longer ones by
#: their sandboxed child, so that no program can make the worker spend unbounded time compiling it.
PRECOMPILE_MAX_CHARS = 64 * 1024


def pack_program(program: str) -> bytes:
    """The program's code object, marshalled, or b"" when the sandboxed child should compile it.

    Compiling costs a freshly forked child ~0.4 ms and ~80 page faults; the worker compiles (never runs) the
    program in ~0.15 ms without them. Programs that do not compile, or are over ``PRECOMPILE_MAX_CHARS``, go to
    the child as source, which reports a syntax error with the usual record. Compiling untrusted source runs no
    part of it (the data build's static checks do the same outside the sandbox).
    """
    if len(program) > PRECOMPILE_MAX_CHARS:
        return b""
    try:
        return marshal.dumps(compile_program(program))
    except (SyntaxError, ValueError, RecursionError, MemoryError, OverflowError):
        return b""


class JobPaths(NamedTuple):
    """The worker's fixed per-job paths (inside the worker's private /tmp)."""

    workdir: str
    stdout: str
    stderr: str


#: How the worker starts its zygote: a fresh interpreter without site processing (see the zygote's docstring).
ZYGOTE_CMD = ("-S", "-c", "from fusechat.sandbox.zygote import main; main()")


class _Zygote:
    """The worker's handle on its zygote (see :mod:`fusechat.sandbox.zygote`): three pipes and a pid."""

    def __init__(self, paths: JobPaths, iso: Isolation, limits: Limits, site_dirs: list[str]) -> None:
        job_r, self.job_w = os.pipe()
        self.status_r, status_w = os.pipe()
        self.result_r, result_w = os.pipe()
        conf = {"fds": [job_r, status_w, result_w], "workdir": paths.workdir, "stdout": paths.stdout,
                "stderr": paths.stderr, "limits": limits.to_dict(), "site_dirs": site_dirs,
                "sandbox_uid": iso.sandbox_uid if iso.uid_switch else None, "worker_pid": os.getpid()}
        env = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "LANG": "C.UTF-8", "PYTHONHASHSEED": "0",
               "PYTHONPATH": os.environ.get("PYTHONPATH", ""), "PYTHONDONTWRITEBYTECODE": "1"}
        for fd in (job_r, status_w, result_w):
            os.set_inheritable(fd, True)  # every other descriptor of the worker is close-on-exec
        try:
            self.pid: int | None = os.posix_spawn(sys.executable, [sys.executable, *ZYGOTE_CMD, json.dumps(conf)],
                                                  env)
        finally:
            for fd in (job_r, status_w, result_w):
                os.close(fd)
        os.set_blocking(self.result_r, False)
        self.slots: OrderedDict[str, int] = OrderedDict()  # test source -> the zygote's slot compiled from it

    def _slot(self, tests: str) -> tuple[int, bytes]:
        """The zygote's slot for ``tests``, and the source to send when the zygote does not hold it yet."""
        slot = self.slots.get(tests)
        if slot is not None:
            self.slots.move_to_end(tests)
            return slot, b""
        slot = len(self.slots) if len(self.slots) < TEST_SLOTS else self.slots.popitem(last=False)[1]
        self.slots[tests] = slot
        return slot, pack_tests(tests)

    def run(self, payload: bytes, tests: str, timeout: float) -> tuple[int, int, bool] | None:
        """Hand one job over; (child pid, wait status, timed out), or None when the zygote is gone."""
        slot, source = self._slot(tests)
        try:
            view = memoryview(HEADER.pack(timeout, slot, len(source), len(payload)) + source + payload)
            while view:
                view = view[os.write(self.job_w, view):]
        except OSError:
            return None
        ready, _, _ = select.select([self.status_r], [], [], timeout + ZYGOTE_GRACE_S)
        raw = read_exact(self.status_r, STATUS.size) if ready else None
        if raw is None:
            return None
        pid, status, timed_out = STATUS.unpack(raw)
        return pid, status, bool(timed_out)

    def drain(self) -> bytes:
        """Everything children wrote to the result pipe so far (at most 1 MiB; never blocks)."""
        buf = b""
        try:
            while len(buf) <= _NO_RECORD_SIZE:
                chunk = os.read(self.result_r, 65536)
                if not chunk:
                    break
                buf += chunk
        except BlockingIOError:
            pass
        return buf

    def kill(self) -> None:
        """Stop the zygote for good (its children die with it: parent-death signal)."""
        if self.pid is not None:
            try:
                os.kill(self.pid, signal.SIGKILL)
                os.waitpid(self.pid, 0)
            except (ProcessLookupError, ChildProcessError):
                pass
            self.pid = None
        for fd in (self.job_w, self.status_r, self.result_r):
            try:
                os.close(fd)
            except OSError:
                pass


class Worker:
    """The trusted side of one pool slot: isolation, its zygote, per-job bookkeeping and clean-up."""

    def __init__(self, slot: int, limits: Limits, uid: int, want_netns: bool,
                 site_dirs: list[str] | None = None) -> None:
        self.limits = limits
        self.site_dirs = list(site_dirs or [])
        self.iso, self.cgroups = setup(slot, limits, uid, want_netns, needed=_needed_paths(self.site_dirs))
        jobdir = os.path.join(JOB_ROOT, f"w{slot}_{os.getpid()}")
        os.makedirs(jobdir, mode=0o711, exist_ok=True)
        os.chmod(jobdir, 0o711)
        self.paths = JobPaths(os.path.join(jobdir, "work"), os.path.join(jobdir, "stdout"),
                              os.path.join(jobdir, "stderr"))
        self.jobdir = jobdir
        self._pids = _CgroupFile(self.cgroups, "pids", "pids.current")
        self._oom = _CgroupFile(self.cgroups, "memory", "memory.oom_control")
        self.zygote = _Zygote(self.paths, self.iso, limits, self.site_dirs)

    # -- clean-up -------------------------------------------------------------------------------------------
    def _reap_orphans(self) -> None:
        """Reap whatever was re-parented to us (we are subreaper); notice a dead zygote."""
        while True:
            try:
                pid, _ = os.waitpid(-1, os.WNOHANG)
            except ChildProcessError:
                return
            if pid == 0:
                return
            if pid == self.zygote.pid:
                self.zygote.pid = None

    def _pids_current(self) -> int | None:
        text = self._pids.read()
        try:
            return int(text) if text is not None else None
        except ValueError:
            return None

    def _sandbox_processes_left(self) -> bool:
        """Whether any process of this job is still there (zombies included until reaped)."""
        current = self._pids_current()
        if current is not None:
            trusted = TRUSTED_PROCESSES if self.zygote.pid is not None else TRUSTED_PROCESSES - 1
            return current > trusted
        if self.iso.uid_switch and self.iso.sandbox_uid is not None:
            return bool(_pids_of_uid(self.iso.sandbox_uid))
        return bool(self._stray_children())

    def _stray_children(self) -> list[int]:
        """Our children other than the zygote (non-root mode, where there is no sandbox uid to kill)."""
        me = os.getpid()
        try:
            kids = Path(f"/proc/{me}/task/{me}/children").read_text().split()
        except OSError:
            return []
        return [int(k) for k in kids if int(k) != self.zygote.pid]

    def clean_up(self, child_pid: int) -> bool:
        """Kill and reap every process the job left; True when something is still there after 2 seconds."""
        self._reap_orphans()
        if not self._sandbox_processes_left():
            return False
        uid_mode = self.iso.uid_switch and self.iso.sandbox_uid is not None
        if not uid_mode:
            try:
                os.killpg(child_pid, signal.SIGKILL)
            except OSError:
                pass
        deadline = time.monotonic() + 2.0
        while True:
            if uid_mode:
                _kill_uid(self.iso.sandbox_uid)
            else:
                for pid in self._stray_children():  # our own unreaped children: no pid reuse possible
                    try:
                        os.kill(pid, signal.SIGKILL)
                    except OSError:
                        pass
            self._reap_orphans()
            if not self._sandbox_processes_left():
                return False
            if time.monotonic() > deadline:
                return True
            time.sleep(0.002)

    # -- one job --------------------------------------------------------------------------------------------
    def run_job(self, job: dict) -> dict:
        """Run one job in a fresh sandboxed child; return the result record (trusted side)."""
        t0 = time.monotonic()
        timeout = float(job.get("timeout_s", 10.0))
        if self.zygote.pid is None:
            self.zygote.kill()
            self.zygote = _Zygote(self.paths, self.iso, self.limits, self.site_dirs)
        self.zygote.drain()  # nothing from an earlier job may stand before this job's record
        os.mkdir(self.paths.workdir, 0o700)
        if self.iso.uid_switch and self.iso.sandbox_uid is not None:
            os.chown(self.paths.workdir, self.iso.sandbox_uid, self.iso.sandbox_uid)
        nonce = os.urandom(16).hex()
        oom_before = _oom_kills(self._oom)
        program = job["program"]
        ended = self.zygote.run(pack_payload(nonce, job.get("entry_point"), program, pack_program(program)),
                                job.get("tests", ""), timeout)
        if ended is None:  # the zygote died or hung: it takes its child down with it
            self.zygote.kill()
            leftover = self.clean_up(-1)
            oom = _oom_kills(self._oom) > oom_before
            return self._result("memory" if oom else "error", "sandbox zygote died" + (
                " (cgroup OOM killer)" if oom else ""), None, t0, leftover)
        pid, wait_status, timed_out = ended
        leftover = self.clean_up(pid)
        record = _find_record(self.zygote.drain(), nonce)
        if timed_out:
            status, detail = "timeout", f"wall clock {timeout:g}s exceeded"
        elif os.WIFSIGNALED(wait_status) and record is None:
            sig = os.WTERMSIG(wait_status)
            oom = _oom_kills(self._oom) > oom_before
            status, detail = _status_from_signal(sig, oom), f"killed by {signal.Signals(sig).name}" + (
                " (cgroup OOM killer)" if oom else "")
        elif record is None:
            status = "failed"
            detail = f"no harness record (program exited early with code {os.waitstatus_to_exitcode(wait_status)})"
        else:
            status, detail = record.get("status", "error"), record.get("error", "")
        return self._result(status, detail, record, t0, leftover)

    def _result(self, status: str, detail: str, record: dict | None, t0: float, leftover: bool) -> dict:
        res = {
            "passed": status == "passed",
            "status": status,
            "duration_s": round(time.monotonic() - t0, 6),
            "detail": detail[-1500:] if detail else "",
            "asserts": (record or {}).get("asserts", 0),
            "stdout_tail": _read_tail(self.paths.stdout, self.limits.output_tail_chars),
            "stderr_tail": _read_tail(self.paths.stderr, self.limits.output_tail_chars),
            "leftover_processes": bool(leftover),
        }
        try:
            os.rmdir(self.paths.workdir)
        except FileNotFoundError:
            pass
        except OSError:
            import shutil  # rare (the program left files); kept out of every worker's start-up

            shutil.rmtree(self.paths.workdir, ignore_errors=True)
        return res

    def close(self) -> None:
        """Stop the zygote and remove the job dir."""
        self.zygote.kill()
        self._pids.close()
        self._oom.close()
        import shutil

        shutil.rmtree(self.jobdir, ignore_errors=True)


def _needed_paths(site_dirs: list[str]) -> list[str]:
    """What the zygote needs to start and the programs to import: interpreter, prefixes, site dirs, PYTHONPATH."""
    paths = [os.path.dirname(sys.executable), os.path.dirname(os.path.realpath(sys.executable)), sys.prefix,
             sys.base_prefix, *site_dirs]
    paths += [p for p in os.environ.get("PYTHONPATH", "").split(os.pathsep) if p]
    return paths


def _pids_of_uid(uid: int) -> list[int]:
    """Processes owned by ``uid`` (a /proc scan: only used where no pids cgroup counts them)."""
    out = []
    for entry in os.scandir("/proc"):
        if entry.name.isdigit():
            try:
                if entry.stat().st_uid == uid:
                    out.append(int(entry.name))
            except OSError:
                continue
    return out


def _find_record(buf: bytes, nonce: str) -> dict | None:
    """The harness record of this job: the first ``FCRESULT <nonce> <json>`` line carrying our nonce."""
    for line in buf.decode("utf-8", "replace").splitlines():
        parts = line.split(" ", 2)
        if len(parts) == 3 and parts[0] == "FCRESULT" and parts[1] == nonce:
            try:
                return json.loads(parts[2])
            except ValueError:
                return None
    return None


def main() -> None:
    """Worker entry point (started by :class:`fusechat.sandbox.pool.SandboxPool`)."""
    # One JSON argument from the pool (argparse alone would be an eighth of the start-up):
    # {"slot": int, "uid": int (claimed by the pool), "limits": Limits fields, "netns": bool, "site_dirs": [str]}
    conf = json.loads(sys.argv[1])
    limits = Limits(**conf["limits"])
    proto_in = os.fdopen(os.dup(0), "r")
    proto_out = os.fdopen(os.dup(1), "w")
    # The protocol lives on private descriptors; 0/1 point at /dev/null, 2 stays for crash messages.
    null = os.open("/dev/null", os.O_RDWR)
    os.dup2(null, 0)
    os.dup2(null, 1)
    os.close(null)
    worker = Worker(conf["slot"], limits, conf["uid"], conf["netns"], site_dirs=conf["site_dirs"])
    proto_out.write(json.dumps({"ready": True, "isolation": worker.iso.to_dict(), "cgroups": worker.cgroups}) + "\n")
    proto_out.flush()
    try:
        for line in proto_in:
            if not line.strip():
                continue
            job = json.loads(line)
            try:
                res = worker.run_job(job)
            except Exception as exc:  # a worker-side failure is reported, the worker keeps serving
                res = {"passed": False, "status": "error", "duration_s": 0.0, "detail": f"worker: {exc!r}",
                       "asserts": 0, "stdout_tail": "", "stderr_tail": "", "leftover_processes": False}
            proto_out.write(json.dumps(res) + "\n")
            proto_out.flush()
    finally:
        worker.close()


if __name__ == "__main__":
    main()
