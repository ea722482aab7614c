"""The Linux system calls of the sandbox (namespaces, mounts, prctl, rlimits) through ctypes and ``resource``.

Kept apart from :mod:`fusechat.sandbox.limits` so that the zygote can use them without importing
``dataclasses`` (and ``inspect`` behind it): every module the zygote holds makes each ``fork`` dearer.
"""

from __future__ import annotations

import ctypes
import os
import resource

# Linux constants (sched.h / mount.h / prctl.h).
CLONE_NEWNS = 0x00020000
CLONE_NEWNET = 0x40000000
MS_RDONLY = 1
MS_NOSUID = 2
MS_NODEV = 4
MS_REMOUNT = 32
MS_BIND = 4096
MS_REC = 16384
MS_PRIVATE = 1 << 18
PR_SET_CHILD_SUBREAPER = 36
PR_SET_PDEATHSIG = 1

#: World-writable directories that a sandboxed program could otherwise write into (and leave files behind).
WORLD_WRITABLE_DIRS = ("/tmp", "/var/tmp", "/dev/shm", "/run/lock")

_libc: ctypes.CDLL | None = None


def libc() -> ctypes.CDLL:
    """The C library, loaded once with errno support."""
    global _libc
    if _libc is None:
        # The C library the interpreter itself links (dlopen(NULL)); ctypes.util.find_library would import
        # subprocess and threading, whose at-fork hooks every sandboxed child would then pay for.
        _libc = ctypes.CDLL(None, use_errno=True)
    return _libc


def _check(rc: int, what: str) -> None:
    if rc != 0:
        err = ctypes.get_errno()
        raise OSError(err, f"{what}: {os.strerror(err)}")


def unshare(flags: int) -> None:
    """``unshare(2)`` (``os.unshare`` only exists from Python 3.12)."""
    _check(libc().unshare(flags), "unshare")


def mount(source: str | None, target: str, fstype: str | None, flags: int, data: str | None = None) -> None:
    """``mount(2)``."""
    enc = (lambda s: s.encode() if s is not None else None)  # noqa: E731
    _check(libc().mount(enc(source), enc(target), enc(fstype), ctypes.c_ulong(flags), enc(data)),
           f"mount {target}")


def set_subreaper() -> None:
    """Make this process the reaper of orphaned descendants (so daemonised grandchildren come back to us)."""
    _check(libc().prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0), "prctl(SUBREAPER)")


def set_parent_death_signal(sig: int) -> None:
    """Ask the kernel to send ``sig`` to this process when its parent dies."""
    _check(libc().prctl(PR_SET_PDEATHSIG, sig, 0, 0, 0), "prctl(PDEATHSIG)")


def _set_limit(res: int, soft: int, hard: int) -> None:
    cur_soft, cur_hard = resource.getrlimit(res)
    if cur_hard != resource.RLIM_INFINITY:  # never try to raise a hard limit (BigCodeBench #8)
        hard = min(hard, cur_hard)
        soft = min(soft, hard)
    resource.setrlimit(res, (soft, hard))


def apply_child_rlimits(limits: dict[str, int]) -> None:
    """Set the job-independent rlimits (all but CPU) of the calling process; inherited by every child forked.

    ``limits`` is ``Limits.to_dict()``. Called once in the zygote (root, so RLIMIT_NPROC does not bind it; the
    count is per uid and binds the children once they dropped to their sandbox uid).
    """
    mib = 1024 * 1024
    for res, value in (
        (resource.RLIMIT_AS, limits["memory_mb"] * mib),
        (resource.RLIMIT_FSIZE, limits["fsize_mb"] * mib),
        (resource.RLIMIT_NOFILE, limits["nofile"]),
        (resource.RLIMIT_CORE, 0),
        (resource.RLIMIT_STACK, limits["stack_mb"] * mib),
        (resource.RLIMIT_NPROC, limits["nproc"]),
    ):
        _set_limit(res, value, value)


def set_cpu_limit(seconds: int) -> None:
    """RLIMIT_CPU of the calling process (SIGXCPU at ``seconds``, SIGKILL one second later); per job, in the child."""
    _set_limit(resource.RLIMIT_CPU, seconds, seconds + 1)
