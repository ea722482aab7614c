"""A sandbox for model-written Python programs (data construction and evaluation share it).

See ``docs/sandbox.md`` for what is isolated on which machine, and :mod:`fusechat.sandbox.harness` for how a
pass is decided.

The public names are imported lazily: the worker and zygote processes import this package too, and must not
carry the pool's ``threading``/``subprocess`` (whose at-fork hooks every fork would run) or anything else they do
not need (every module the zygote holds makes each fork dearer).
"""

__all__ = ["STATUSES", "CodeJob", "Isolation", "Limits", "SandboxPool", "SandboxResult", "run_program"]
_LAZY = {"Isolation": "limits", "Limits": "limits", "STATUSES": "pool", "CodeJob": "pool", "SandboxPool": "pool",
         "SandboxResult": "pool", "run_program": "pool"}


def __getattr__(name: str) -> object:
    if name in _LAZY:
        import importlib

        return getattr(importlib.import_module(f"fusechat.sandbox.{_LAZY[name]}"), name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
