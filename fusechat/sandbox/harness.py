"""The in-child test harness: run a program, then its tests, and decide *pass* only from harness evidence.

Runs inside the sandboxed child (after fork, after the limits and the uid switch). The verdict rules:

* the program is executed first, then the tests, in one namespace; the tests' definitions therefore replace any
  same-named function the program defined (``check``, ``test_*``, helpers);
* every ``assert`` of the tests is rewritten (AST) to go through harness helpers that count executed assertions
  and refuse comparisons whose outcome is decided by a solution-defined ``__eq__``/``__lt__``/``__bool__``/
  ``__len__``/``__contains__`` against a plain value (the "always equal" object);
* ``builtins`` is restored from a snapshot after the program ran, and a program that rebinds attributes of
  modules tests rely on (``math``, ``operator``, ...) fails;
* ``SystemExit``/``KeyboardInterrupt``/any exception is a failure; ``os._exit`` before the harness finished
  means no result record and the worker reports a failure;
* a pass needs all tests to finish *and* at least one assertion to have run when the tests contain asserts;
  the harness then writes one record, carrying a per-job nonce, to a pipe the worker reads.

Limit (stated, not hidden): the harness shares the interpreter with the program, so code written *deliberately*
against this harness (frame introspection to steal the nonce, ctypes memory writes, background threads that
rebind helpers) can forge a pass. Containment (processes, memory, files, network) does not depend on this
module; it is kernel-enforced by the worker.
"""

from __future__ import annotations

import ast
import builtins
import json
import operator
import os
import sys
import traceback
import types
from typing import Any

PROGRAM_FILENAME = "<solution>"
TESTS_FILENAME = "<tests>"
MODULE_NAME = "solution"
_GUARDED_DUNDERS = ("__eq__", "__ne__", "__lt__", "__le__", "__gt__", "__ge__", "__bool__", "__len__",
                    "__contains__")
_GUARDED_MODULES = ("math", "operator", "builtins", "collections", "itertools", "functools", "re", "json",
                    "unittest", "cmath", "fractions", "decimal", "string", "typing", "heapq", "bisect")
_CMP_OPS = {ast.Eq: ("==", operator.eq), ast.NotEq: ("!=", operator.ne), ast.Lt: ("<", operator.lt),
            ast.LtE: ("<=", operator.le), ast.Gt: (">", operator.gt), ast.GtE: (">=", operator.ge),
            ast.In: ("in", lambda a, b: a in b), ast.NotIn: ("not in", lambda a, b: a not in b)}
_OP_BY_NAME = {name: fn for name, fn in _CMP_OPS.values()}
_CONTAINERS = (list, tuple, set, frozenset, dict)


class SuspiciousValueError(AssertionError):
    """A comparison or truth test whose outcome a solution-defined dunder method decided."""


def _untrusted_type(tp: type) -> str | None:
    """Name of a guarded dunder that ``tp`` defines in solution code (None when it defines none)."""
    for klass in tp.__mro__:
        if klass.__module__ != MODULE_NAME:
            continue
        for name in _GUARDED_DUNDERS:
            fn = klass.__dict__.get(name)
            if fn is None:
                continue
            code = getattr(fn, "__code__", None)
            if code is None or code.co_filename != TESTS_FILENAME:
                return f"{klass.__qualname__}.{name}"
    return None


def _find_untrusted(value: Any, budget: int = 20000) -> str | None:
    """Walk ``value`` (containers included, bounded) and return the first solution-defined guarded dunder."""
    stack, seen = [value], 0
    while stack and seen < budget:
        obj = stack.pop()
        seen += 1
        hit = _untrusted_type(type(obj))
        if hit:
            return hit
        if isinstance(obj, dict):
            stack.extend(obj.keys())
            stack.extend(obj.values())
        elif isinstance(obj, _CONTAINERS):
            stack.extend(obj)
    return None


class _Counter:
    asserts = 0


def _fc_cmp(op: str, left: Any, right: Any) -> Any:
    bad_l, bad_r = _find_untrusted(left), _find_untrusted(right)
    if (bad_l is None) != (bad_r is None):
        raise SuspiciousValueError(f"comparison '{op}' decided by solution-defined {bad_l or bad_r}")
    return _OP_BY_NAME[op](left, right)


def _fc_truth(value: Any) -> bool:
    bad = _find_untrusted(value, budget=1)
    if bad:
        raise SuspiciousValueError(f"truth value decided by solution-defined {bad}")
    _Counter.asserts += 1
    return bool(value)


class _AssertRewriter(ast.NodeTransformer):
    """``assert a OP b, m`` -> ``assert __fc_truth__(__fc_cmp__('OP', a, b)), m`` (and ``assert x`` likewise)."""

    def __init__(self) -> None:
        self.count = 0

    def _wrap_test(self, test: ast.expr) -> ast.expr:
        if isinstance(test, ast.Compare) and len(test.ops) == 1 and type(test.ops[0]) in _CMP_OPS:
            name = _CMP_OPS[type(test.ops[0])][0]
            return ast.Call(ast.Name("__fc_cmp__", ast.Load()),
                            [ast.Constant(name), test.left, test.comparators[0]], [])
        if isinstance(test, ast.UnaryOp) and isinstance(test.op, ast.Not):
            return ast.UnaryOp(ast.Not(), ast.Call(ast.Name("__fc_truth__", ast.Load()),
                                                   [self._wrap_test(test.operand)], []))
        return test

    def visit_Assert(self, node: ast.Assert) -> ast.Assert:  # noqa: N802 (ast API)
        self.generic_visit(node)
        self.count += 1
        wrapped = ast.Call(ast.Name("__fc_truth__", ast.Load()), [self._wrap_test(node.test)], [])
        return ast.copy_location(ast.Assert(wrapped, node.msg), node)


def rewrite_tests(source: str) -> tuple[Any, int]:
    """Compile ``source`` with asserts rewritten; return (code object, number of assert statements)."""
    tree = ast.parse(source, TESTS_FILENAME)
    rw = _AssertRewriter()
    tree = ast.fix_missing_locations(rw.visit(tree))
    return compile(tree, TESTS_FILENAME, "exec"), rw.count


def _module_snapshot() -> dict[tuple[str, str], int]:
    snap = {}
    for mod_name in _GUARDED_MODULES:
        mod = sys.modules.get(mod_name)
        if mod is None:
            continue
        for attr, val in list(vars(mod).items()):
            snap[(mod_name, attr)] = id(val)
    return snap


def _restore_builtins(snapshot: dict[str, Any]) -> None:
    bdict = builtins.__dict__
    update = bdict.update
    bdict.clear()
    update(snapshot)


def _tail(text: str, n: int = 1500) -> str:
    return text if len(text) <= n else "..." + text[-n:]


def run(program: str, tests: str, entry_point: str | None,
        compiled_tests: tuple[Any, int] | None = None) -> dict:
    """Execute program then tests; return the verdict record (never raises).

    ``compiled_tests`` is ``rewrite_tests(tests)`` done beforehand by the (trusted) worker, which caches it
    across the samples that share one test suite.
    """
    if sys.flags.optimize:
        return {"status": "error", "error": "interpreter runs with -O: asserts would be stripped"}
    try:
        prog_code = compile(program, PROGRAM_FILENAME, "exec")
    except (SyntaxError, ValueError) as exc:
        return {"status": "syntax_error", "error": _tail(f"program: {exc!r}")}
    try:
        tests_code, n_asserts = compiled_tests or rewrite_tests(tests)
    except (SyntaxError, ValueError) as exc:
        return {"status": "error", "error": _tail(f"tests do not parse: {exc!r}")}
    builtins_snapshot = dict(vars(builtins))
    modules_before = _module_snapshot()
    module = types.ModuleType(MODULE_NAME)
    module.__file__ = PROGRAM_FILENAME
    sys.modules[MODULE_NAME] = module  # dataclasses, pickle and typing look the module up
    ns: dict[str, Any] = module.__dict__
    ns["__builtins__"] = builtins
    stage = "program"
    try:
        exec(prog_code, ns)
        stage = "tests"
        sys.settrace(None)
        sys.setprofile(None)
        _restore_builtins(builtins_snapshot)
        changed = [f"{m}.{a}" for (m, a), i in _module_snapshot().items()
                   if (m, a) in modules_before and modules_before[(m, a)] != i]
        if changed:
            return {"status": "failed", "error": f"solution rebound module attributes: {changed[:5]}"}
        ns["__fc_cmp__"] = _fc_cmp
        ns["__fc_truth__"] = _fc_truth
        _Counter.asserts = 0
        exec(tests_code, ns)
        if entry_point:
            check = ns.get("check")
            if callable(check):
                if entry_point not in ns:
                    return {"status": "failed", "error": f"entry point {entry_point!r} is not defined"}
                check(ns[entry_point])
    except MemoryError:
        return {"status": "memory", "error": f"MemoryError in {stage}"}
    except SuspiciousValueError as exc:
        return {"status": "failed", "error": _tail(f"suspicious value: {exc}")}
    except BaseException as exc:  # noqa: B036 - SystemExit/KeyboardInterrupt from the program are failures too
        tb = "".join(traceback.format_exception(type(exc), exc, exc.__traceback__))
        return {"status": "failed", "error": _tail(f"{type(exc).__name__} in {stage}: {tb}")}
    if n_asserts and _Counter.asserts == 0:
        return {"status": "failed", "error": "no test assertion ran (tests overridden or skipped)"}
    return {"status": "passed", "asserts": _Counter.asserts}


def report(fd: int, nonce: str, record: dict) -> None:
    """Write the record with the nonce to the result pipe in one write (kept under PIPE_BUF)."""
    line = json.dumps(record)[:3500]
    try:
        json.loads(line)
    except ValueError:
        line = json.dumps({"status": record.get("status", "error"), "error": "record truncated"})
    os.write(fd, f"FCRESULT {nonce} {line}\n".encode())
