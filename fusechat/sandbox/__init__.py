"""A sandbox for model-written Python programs (data construction and evaluation share it).

See ``docs/sandbox.md`` for what is isolated on which machine, and :mod:`fusechat.sandbox.harness` for how a
pass is decided.
"""

from fusechat.sandbox.limits import Isolation, Limits
from fusechat.sandbox.pool import STATUSES, CodeJob, SandboxPool, SandboxResult

__all__ = ["STATUSES", "CodeJob", "Isolation", "Limits", "SandboxPool", "SandboxResult", "run_program"]


def run_program(program: str, tests: str = "", timeout_s: float = 10.0, entry_point: str | None = None,
                limits: Limits | None = None) -> SandboxResult:
    """Run one program in a one-worker pool (convenience; start a :class:`SandboxPool` for many)."""
    with SandboxPool(workers=1, limits=limits) as pool:
        return pool.run(CodeJob(program=program, tests=tests, timeout_s=timeout_s, entry_point=entry_point))
