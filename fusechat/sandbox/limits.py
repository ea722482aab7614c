"""Resource limits and the isolation record of the code sandbox (the system calls are in ``syscalls``).

Everything here runs in trusted code: the pool (parent) and the worker processes, never in a sandboxed child.
Each worker reports what the kernel of *this* machine allowed; the pool puts the answer in every result's
``isolation`` metadata so nobody has to assume that a network namespace (or anything else) was in place.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field


@dataclass(frozen=True)
class Limits:
    """Per-program limits. Every field is enforced by the kernel in the sandboxed child (see docs/sandbox.md).

    ``nproc`` counts processes *and threads* of the sandbox uid (RLIMIT_NPROC is per real uid, and is ignored
    for root, which is why the child drops to a dedicated uid per worker). ``memory_mb`` is RLIMIT_AS of each
    process; ``cgroup_memory_mb`` caps the sum over all processes of one worker where a cgroup can be made.
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
        return asdict(self)


@dataclass
class Isolation:
    """What a worker actually got. Each flag is True only when the corresponding step succeeded."""

    root: bool = False
    uid_switch: bool = False
    sandbox_uid: int | None = None
    network_namespace: bool = False
    mount_namespace: bool = False
    private_tmp: bool = False
    hidden_root_home: bool = False
    cgroup_pids: bool = False
    cgroup_memory: bool = False
    subreaper: bool = False
    notes: list[str] = field(default_factory=list)

    def to_dict(self) -> dict:
        """Plain-dict view (for JSON metadata)."""
        return asdict(self)
