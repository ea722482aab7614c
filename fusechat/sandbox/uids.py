"""Machine-wide claims on sandbox uids, so that two pools never run programs as the same uid.

Why: a worker's clean-up kills every process of its sandbox uid (``kill(-1)`` from a helper running as that uid),
RLIMIT_NPROC counts every process of that uid, and "no process of the uid is left" is how a finished job is checked.
All three are machine-wide. Two pools on one machine (two pipeline runs, two pytest-xdist workers, a benchmark
next to a test) that both took uid ``64000`` would kill each other's programs mid-job, share one process budget
and see each other's programs as leftovers. So each uid a pool uses is claimed first: an exclusive ``flock`` on
``<lock dir>/uid-<n>.lock``, held for the pool's lifetime and released by the kernel when the process ends
(a crashed pool frees its uids). A pool asks for ``uid_base, uid_base + 1, ...`` and takes the first free ones.
"""

from __future__ import annotations

import fcntl
import os
from pathlib import Path

#: How far above ``uid_base`` a pool looks for free uids before it gives up.
SEARCH_SPAN = 4096
#: Lock files live in one fixed place per machine (not $TMPDIR, which differs between callers): /run/lock when it
#: is writable (root, which the uid switch needs anyway), else /tmp.
LOCK_DIRS = ("/run/lock", "/tmp")


def lock_dir() -> Path:
    """The machine-wide directory holding the uid lock files (created 0700 on first use)."""
    base = next((d for d in LOCK_DIRS if os.access(d, os.W_OK)), LOCK_DIRS[-1])
    d = Path(base) / "fusechat-sandbox-uids"
    d.mkdir(mode=0o700, exist_ok=True)
    return d


class UidClaim:
    """``n`` uids at or above ``base`` that no other live pool on this machine holds, held until :meth:`release`."""

    def __init__(self, base: int, n: int, directory: Path | None = None) -> None:
        self.uids: list[int] = []
        self._fds: list[int] = []
        d = directory or lock_dir()
        for uid in range(base, base + SEARCH_SPAN):
            if len(self.uids) == n:
                break
            fd = os.open(d / f"uid-{uid}.lock", os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o600)
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                os.close(fd)
                continue
            self.uids.append(uid)
            self._fds.append(fd)
        if len(self.uids) < n:
            self.release()
            raise RuntimeError(f"sandbox: no {n} free uids in {base}..{base + SEARCH_SPAN - 1} (lock files in {d})")

    def release(self) -> None:
        """Give the uids back (closing the lock files drops the locks)."""
        for fd in self._fds:
            os.close(fd)
        self._fds = []
