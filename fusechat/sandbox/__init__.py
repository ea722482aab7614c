"""A sandbox for model-written Python programs (data construction and evaluation share it).

See ``docs/sandbox.md`` for what is isolated on which machine, and :mod:`fusechat.sandbox.harness` for how a
pass is decided.

The public names are imported lazily: the worker processes import this package too, and must not carry the
pool's ``threading``/``subprocess`` into the zygote, where every ``fork`` would run their at-fork hooks.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from fusechat.sandbox.limits import Isolation, Limits
    from fusechat.sandbox.pool import STATUSES, CodeJob, SandboxPool, SandboxResult

__all__ = ["STATUSES", "CodeJob", "Isolation", "Limits", "SandboxPool", "SandboxResult", "run_program"]
_LAZY = {"Isolation": "limits", "Limits": "limits", "STATUSES": "pool", "CodeJob": "pool", "SandboxPool": "pool",
         "SandboxResult": "pool"}


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        import importlib

        return getattr(importlib.import_module(f"fusechat.sandbox.{_LAZY[name]}"), name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def run_program(program: str, tests: str = "", timeout_s: float = 10.0, entry_point: str | None = None,
                limits: Limits | None = None) -> SandboxResult:
    """Run one program in a one-worker pool (convenience; start a :class:`SandboxPool` for many)."""
    from fusechat.sandbox.pool import CodeJob, SandboxPool

    with SandboxPool(workers=1, limits=limits) as pool:
        return pool.run(CodeJob(program=program, tests=tests, timeout_s=timeout_s, entry_point=entry_point))
