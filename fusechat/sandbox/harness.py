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

import builtins
import json
import operator
import os
import sys
import types
from typing import Any

PROGRAM_FILENAME = "<solution>"
TESTS_FILENAME = "<tests>"
MODULE_NAME = "solution"
_GUARDED_DUNDERS = ("__eq__", "__ne__", "__lt__", "__le__", "__gt__", "__ge__", "__bool__", "__len__",
                    "__contains__")
_GUARDED_MODULES = ("math", "operator", "builtins", "collections", "itertools", "functools", "re", "json",
                    "unittest", "cmath", "fractions", "decimal", "string", "typing", "heapq", "bisect")
_OP_BY_NAME = {"==": operator.eq, "!=": operator.ne, "<": operator.lt, "<=": operator.le, ">": operator.gt,
               ">=": operator.ge, "in": lambda a, b: a in b, "not in": lambda a, b: a not in b}
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


#: Built-in types the walk need not ask about: their comparison dunders are C slots of static types, which no
#: program can replace (``int.__eq__ = f`` raises TypeError); a subclass is another type and is asked about.
#: Matched by identity (``id``), never by ``==``/hash of the type, which a program's metaclass could define.
_PLAIN_TYPE_IDS = frozenset(map(id, (int, float, complex, str, bytes, bool, type(None))))
_SEQUENCE_TYPE_IDS = frozenset(map(id, (list, tuple, set, frozenset)))


def _find_untrusted(value: Any, budget: int = 20000) -> str | None:
    """Walk ``value`` (containers included, bounded) and return the first solution-defined guarded dunder.

    The common case, a program's output made of built-in numbers, strings and containers, is decided by the
    identity of each node's type alone (most of a test suite's time went to asking every ``int`` of an output
    for its MRO); every other type is asked as before.
    """
    stack, seen = [value], 0
    plain, sequences = _PLAIN_TYPE_IDS, _SEQUENCE_TYPE_IDS
    while stack and seen < budget:
        obj = stack.pop()
        seen += 1
        tp_id = id(type(obj))
        if tp_id in plain:
            continue
        if tp_id in sequences:
            stack.extend(obj)
            continue
        if tp_id == _DICT_TYPE_ID:
            stack.extend(obj.keys())
            stack.extend(obj.values())
            continue
        hit = _untrusted_type(type(obj))
        if hit:
            return hit
        if isinstance(obj, dict):
            stack.extend(obj.keys())
            stack.extend(obj.values())
        elif isinstance(obj, _CONTAINERS):
            stack.extend(obj)
    return None


_DICT_TYPE_ID = id(dict)


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


def _module_snapshot() -> dict[tuple[str, str], int]:
    snap = {}
    for mod_name in _GUARDED_MODULES:
        mod = sys.modules.get(mod_name)
        if mod is None:
            continue
        for attr, val in list(vars(mod).items()):
            snap[(mod_name, attr)] = id(val)
    return snap


def _dict_version_views(dicts: tuple[dict, ...]) -> tuple[Any, ...] | None:
    """Live views of CPython's per-dict version tags (PEP 509) of ``dicts``, or None where unavailable.

    The tag is internal (``PyDictObject.ma_version_tag``, 8 bytes after ``ma_used``): CPython 3.11-3.13 change it
    on every modification of the dict, later versions may not. It is therefore only used after a self-test shows
    that it moves when a dict is modified and stays when it is not; otherwise the exact snapshot comparison runs.
    Reading it does not touch the dict's values, which is the point: comparing snapshots by value touches the
    reference count of every attribute of every guarded module, i.e. hundreds of copy-on-write page faults in a
    freshly forked child. The views are made here, before the fork, so a child only reads ``.value``.
    """
    if sys.implementation.name != "cpython":
        return None
    try:
        import ctypes
    except ImportError:
        return None
    word = ctypes.sizeof(ctypes.c_ssize_t)

    def view(d: dict) -> Any:
        return ctypes.c_uint64.from_address(id(d) + 3 * word)  # after ob_refcnt, ob_type, ma_used

    probe: dict[str, Any] = {"a": 1}
    used = ctypes.c_ssize_t.from_address(id(probe) + 2 * word).value
    tag = view(probe)
    v0 = tag.value
    v1 = tag.value
    probe["a"] = 2
    v2 = tag.value
    probe["b"] = 3
    v3 = tag.value
    if used != 1 or v0 != v1 or len({v1, v2, v3}) != 3:
        return None
    return tuple(view(d) for d in dicts)


class _Before:
    """What the harness compares against after the program ran; filled by :func:`prepare` before the fork."""

    builtins: dict[str, Any] | None = None
    modules: dict[tuple[str, str], int] | None = None
    loaded: tuple[tuple[str, types.ModuleType], ...] = ()
    tags: tuple[Any, ...] | None = None
    versions: tuple[int, ...] = ()
    modules_tag: Any = None  # version tag of sys.modules
    modules_version: int = -1  # ... read right after the solution module was registered


def prepare() -> None:
    """Take the "before" snapshots once, in the trusted zygote; every forked child inherits them unchanged.

    Rules are the same as without it: after the program, builtins are restored and rebinding an attribute of a
    guarded module fails the job. Only the cost changes: when the same module objects are loaded and none of
    their dicts' version tags moved, nothing was rebound and there is nothing to compare or restore; otherwise
    the full comparison runs.
    """
    _Before.builtins = dict(vars(builtins))
    _Before.modules = _module_snapshot()
    _Before.loaded = tuple((m, sys.modules[m]) for m in _GUARDED_MODULES if m in sys.modules)
    views = _dict_version_views((sys.modules, *(vars(mod) for _, mod in _Before.loaded)))
    if views is not None:
        _Before.modules_tag, _Before.tags = views[0], views[1:]
        _Before.versions = tuple(t.value for t in _Before.tags)


def _after_program(builtins_snapshot: dict[str, Any], modules_before: dict[tuple[str, str], int]) -> list[str]:
    """Restore builtins if the program changed them; return the guarded module attributes it rebound."""
    tags = _Before.tags if builtins_snapshot is _Before.builtins else None
    if (tags is not None
            and (_Before.modules_tag.value == _Before.modules_version  # sys.modules untouched since registration
                 or all(sys.modules.get(name) is mod for name, mod in _Before.loaded))
            and tuple(t.value for t in tags) == _Before.versions):
        return []  # the same module objects, and not one of their dicts was modified
    _restore_builtins(builtins_snapshot)
    return [f"{m}.{a}" for (m, a), i in _module_snapshot().items()
            if (m, a) in modules_before and modules_before[(m, a)] != i]


def _restore_builtins(snapshot: dict[str, Any]) -> None:
    bdict = builtins.__dict__
    update = bdict.update
    bdict.clear()
    update(snapshot)


_TB_FRAMES = 12  # innermost frames shown per exception
_TB_CHAIN = 3  # exceptions shown from a __cause__/__context__ chain


def _source_line(sources: dict[str, str], filename: str, lineno: int) -> str:
    text = sources.get(filename)
    if text is None:
        if filename.startswith("<"):
            return ""
        import linecache

        return linecache.getline(filename, lineno).strip()
    parts = text.split("\n", lineno)
    return parts[lineno - 1].strip() if 0 < lineno <= len(parts) else ""


def _exc_text(exc: BaseException) -> str:
    try:
        msg = str(exc)
    except BaseException:  # noqa: B036 - a program's exception may break its own __str__
        msg = "<str() failed>"
    name = type(exc).__name__
    return f"{name}: {msg}" if msg else name


def format_failure(exc: BaseException, sources: dict[str, str]) -> str:
    """A traceback in the standard layout (innermost frames, chained exceptions), without the traceback module.

    Source lines come from the program and tests held in memory (``sources``: filename -> text). In a freshly
    forked child ``traceback.format_exception`` costs ~1 ms and ~230 page faults (linecache, caret anchors), and
    most verdicts of a data build are failures.
    """
    chain: list[BaseException] = []
    seen: set[int] = set()
    cur: BaseException | None = exc
    while cur is not None and id(cur) not in seen and len(chain) < _TB_CHAIN:
        seen.add(id(cur))
        chain.append(cur)
        cur = cur.__cause__ or (None if cur.__suppress_context__ else cur.__context__)
    blocks = []
    for e in reversed(chain):
        frames = []
        tb = e.__traceback__
        while tb is not None:
            if tb.tb_frame.f_code.co_filename != __file__:  # the harness's own frames are noise
                frames.append((tb.tb_frame.f_code, tb.tb_lineno))
            tb = tb.tb_next
        lines = ["Traceback (most recent call last):"]
        if len(frames) > _TB_FRAMES:
            lines.append(f"  ... {len(frames) - _TB_FRAMES} outer frames omitted")
        for code, lineno in frames[-_TB_FRAMES:]:
            lines.append(f'  File "{code.co_filename}", line {lineno}, in {code.co_name}')
            src = _source_line(sources, code.co_filename, lineno)
            if src:
                lines.append(f"    {src}")
        lines.append(_exc_text(e))
        blocks.append("\n".join(lines))
    return "\n\nThe above exception led to the following one:\n\n".join(blocks) + "\n"


def _tail(text: str, n: int = 1500) -> str:
    return text if len(text) <= n else "..." + text[-n:]


def compile_program(program: str) -> types.CodeType:
    """The program's code object, compiled as ``python solution.py`` would: no ``__future__`` flags inherited
    from this module (``from __future__ import annotations`` here must not turn the program's annotations into
    strings)."""
    return compile(program, PROGRAM_FILENAME, "exec", dont_inherit=True)


def run(program: str, tests: str, entry_point: str | None,
        compiled_tests: tuple[tuple[Any, ...], int] | None = None,
        compiled_program: types.CodeType | None = None) -> dict:
    """Execute program then tests; return the verdict record (never raises).

    ``compiled_tests`` is :func:`fusechat.sandbox.rewrite.rewrite_tests` of ``tests``, done beforehand by the
    (trusted) worker and kept by the zygote for all the samples that share one test suite; ``compiled_program``
    is :func:`compile_program` of ``program``, likewise done by the worker (``program`` is still needed for the
    source lines of tracebacks).
    """
    if sys.flags.optimize:
        return {"status": "error", "error": "interpreter runs with -O: asserts would be stripped"}
    prog_code = compiled_program
    if prog_code is None:
        try:
            prog_code = compile_program(program)
        except (SyntaxError, ValueError) as exc:
            return {"status": "syntax_error", "error": _tail(f"program: {exc!r}")}
    try:
        if compiled_tests is None:
            from fusechat.sandbox.rewrite import rewrite_tests  # ``ast`` is kept out of the zygote

            compiled_tests = rewrite_tests(tests)
        tests_code, n_asserts = compiled_tests
    except (SyntaxError, ValueError) as exc:
        return {"status": "error", "error": _tail(f"tests do not parse: {exc!r}")}
    if _Before.builtins is not None:  # prepared before the fork (the sandbox's zygote)
        builtins_snapshot, modules_before = _Before.builtins, _Before.modules or {}
    else:
        builtins_snapshot, modules_before = dict(vars(builtins)), _module_snapshot()
    module = types.ModuleType(MODULE_NAME)
    module.__file__ = PROGRAM_FILENAME
    sys.modules[MODULE_NAME] = module  # dataclasses, pickle and typing look the module up
    if _Before.modules_tag is not None:
        _Before.modules_version = _Before.modules_tag.value
    ns: dict[str, Any] = module.__dict__
    ns["__builtins__"] = builtins
    stage = "program"
    try:
        exec(prog_code, ns)
        stage = "tests"
        sys.settrace(None)
        sys.setprofile(None)
        changed = _after_program(builtins_snapshot, modules_before)
        if changed:
            return {"status": "failed", "error": f"solution rebound module attributes: {changed[:5]}"}
        ns["__builtins__"] = builtins  # the program may have rebound its own __builtins__
        ns["__fc_cmp__"] = _fc_cmp
        ns["__fc_truth__"] = _fc_truth
        _Counter.asserts = 0
        for part in tests_code:  # the suite's code objects, in order (see rewrite_tests)
            exec(part, ns)
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
        tb = format_failure(exc, {PROGRAM_FILENAME: program, TESTS_FILENAME: tests})
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
