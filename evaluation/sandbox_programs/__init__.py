"""The Python programs our code benchmarks run inside :mod:`fusechat.sandbox`, as real modules.

Each module here is a self-contained script: :func:`source` reads its text from disk at run time and
``evaluation.code_exec`` joins the texts of the modules a check needs into one sandbox test suite (or program
prelude), followed by one generated call whose arguments are data (``repr`` literals or
``_fcx_load(<blob>)``). Nothing the sandbox executes is kept in a string literal, so ruff, type checkers and the
unit tests (``tests/unit/test_sandbox_programs.py``) see it like any other module.

Rules for a module here (they hold because its text runs on its own in a fresh sandboxed namespace):

* no ``from __future__`` import (it would not be the first statement once joined) and no import of this
  repository: in the sandbox a module sees only the standard library, the names defined by the modules joined
  before it (:data:`REQUIRES`) and the solution's namespace (``globals()``);
* names start with ``_fcx`` / ``_Fcx`` so that they cannot be mistaken for the solution's own;
* the names a module takes from the texts joined before it are imported for type checkers only
  (``if TYPE_CHECKING``), never at run time: the solution runs first in the same namespace and controls every
  name in it, so no run-time switch may decide what a suite imports (it could swap the guarded ``==`` for a
  plain one); the unit tests link a module to its siblings with :func:`link`;
* code that must only run embedded (cancelling LCB's load alarm) is guarded by ``if __spec__ is None`` (a
  sandbox suite runs in the harness's bare ``solution`` module, which has no spec; a program that sets one only
  keeps its own alarm, which then kills it).

Modules: :mod:`.loader` (decoder of embedded data), :mod:`.compare` (float tolerance and the guarded ``==``),
:mod:`.evalplus_check` (evalplus' per-test check), :mod:`.lcb_check` (LiveCodeBench's ``run_test``),
:mod:`.lcb_load_alarm` and :mod:`.lcb_import_header` (what LCB puts before every program).
"""

from __future__ import annotations

from functools import cache
from importlib import resources
from types import ModuleType

#: Which modules' text must come before a module's text in a suite (its ``_fcx`` helpers).
REQUIRES: dict[str, tuple[str, ...]] = {
    "loader": (),
    "compare": (),
    "evalplus_check": ("compare",),
    "lcb_check": ("compare",),
    "lcb_load_alarm": (),
    "lcb_import_header": (),
}


@cache
def source(name: str) -> str:
    """The text of program module ``name`` (read from the installed package once per process)."""
    if name not in REQUIRES:
        raise KeyError(f"no sandbox program module {name!r} (known: {', '.join(REQUIRES)})")
    return resources.files(__package__).joinpath(f"{name}.py").read_text(encoding="utf-8")


def call(function: str, *args: str) -> str:
    """The one generated line of a suite: ``function(arg, ...)``, each ``arg`` a data expression (a ``repr``
    literal or ``_fcx_load(...)``) or ``globals()``; ``function`` must be defined by a program module."""
    if not function.isidentifier() or not function.startswith("_fcx_"):
        raise ValueError(f"{function!r} is not a program module's _fcx_ function")
    return f"{function}({', '.join(args)})\n"


def link(name: str) -> ModuleType:
    """Program module ``name`` imported, with the names its suite would have defined before it bound into it
    (the texts of :data:`REQUIRES`, and evalplus' special oracles for ``evalplus_check``): the same functions the
    sandbox runs, callable directly (tests)."""
    import importlib

    module = importlib.import_module(f"{__name__}.{name}")
    for dep in REQUIRES[name]:
        linked = link(dep)
        for attr, value in vars(linked).items():
            if attr.startswith(("_fcx", "_Fcx", "_FCX")):
                setattr(module, attr, value)
    if name == "evalplus_check":
        from evalplus.eval import _special_oracle

        for attr, value in vars(_special_oracle).items():
            if not attr.startswith("__"):
                setattr(module, attr, value)
    return module
