"""Resource limits and the isolation record of the code sandbox (the system calls are in ``syscalls``).

Everything here runs in trusted code: the pool (parent) and the worker processes, never in a sandboxed child.
Each worker reports what the kernel of *this* machine allowed; the pool puts the answer in every result's
``isolation`` metadata so nobody has to assume that a network namespace (or anything else) was in place.
"""

from __future__ import annotations

from typing import NamedTuple


class Limits(NamedTuple):
    """Per-program limits. Every field is enforced by the kernel in the sandboxed child (see docs/sandbox.md).

    ``nproc`` counts processes *and threads* of the sandbox uid (RLIMIT_NPROC is per real uid, and is ignored
    for root, which is why the child drops to a dedicated uid per worker). ``memory_mb`` is RLIMIT_AS of each
    process; ``cgroup_memory_mb`` caps the sum over all processes of one worker where a cgroup can be made.
    (A NamedTuple, not a dataclass: ``dataclasses`` imports ``inspect``, a tenth of a worker's start-up.)
    """

    memory_mb: int = 1024
    cgroup_memory_mb: int = 2048
    nproc: int = 16
    fsize_mb: int = 16
    nofile: int = 128
    stack_mb: int = 16
    tmpfs_mb: int = 128
    output_tail_chars: int = 2000

    def to_dict(self) -> dict:
        """Plain-dict view (for JSON metadata)."""
        return dict(self._asdict())


class Isolation:
    """What a worker actually got. Each flag is True only when the corresponding step succeeded."""

    FIELDS = ("root", "uid_switch", "sandbox_uid", "network_namespace", "mount_namespace", "private_tmp",
              "hidden_root_home", "cgroup_pids", "cgroup_memory", "subreaper", "notes")

    def __init__(self, root: bool = False) -> None:
        self.root = root
        self.uid_switch = False
        self.sandbox_uid: int | None = None
        self.network_namespace = False
        self.mount_namespace = False
        self.private_tmp = False
        self.hidden_root_home = False
        self.cgroup_pids = False
        self.cgroup_memory = False
        self.subreaper = False
        self.notes: list[str] = []

    def to_dict(self) -> dict:
        """Plain-dict view (for JSON metadata)."""
        return {f: (list(self.notes) if f == "notes" else getattr(self, f)) for f in self.FIELDS}


def process_cpu_seconds(pid: int) -> float | None:
    """User + system CPU time consumed so far by process ``pid`` (Linux ``/proc/<pid>/stat``, clock ticks);
    None where it cannot be read. Budgets of work (the math grader, the scoring guard) are measured with it, so
    they mean the same on a loaded machine as on an idle one."""
    import os

    try:
        with open(f"/proc/{pid}/stat", "rb") as fh:
            fields = fh.read().rsplit(b")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    except (OSError, ValueError, IndexError):
        return None
