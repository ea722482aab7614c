"""LiveCodeBench's ``run_test`` (``lcb_runner/evaluation/testing_util.py`` as vendored by FuseEval), fail-fast,
run in the sandbox after the LCB program (``evaluation.code_exec.lcb_program``), in its namespace.

Call-based problems call ``Solution().<fn>`` (or the module function) on JSON-decoded arguments; stdin problems
call the rewritten program's ``code()`` with ``sys.stdin`` a ``StringIO`` of the input, ``builtins.open``
returning one, and ``sys.stdout`` captured. Outputs are compared with LCB's cascade. Each ``except Exception``
below is one of LCB's own bare ``try/except: pass`` steps (a comparison step that raises just does not match);
the narrower ``Exception`` keeps ``SystemExit``/``KeyboardInterrupt`` and our time-out apart.
"""

import builtins as _fcx_builtins
import io as _fcx_io
import json as _fcx_json
import signal as _fcx_signal
import sys as _fcx_sys
from typing import TYPE_CHECKING as _FCX_TYPE_CHECKING
from typing import Any as _FcxAny

if _FCX_TYPE_CHECKING:  # defined by the texts a suite joins before this one (see the package docstring)
    from evaluation.sandbox_programs.compare import _fcx_allclose, _fcx_eq

if __spec__ is None:  # embedded: the program loaded within LCB's load time-out, cancel its alarm
    _fcx_signal.alarm(0)


class _FcxTimeoutError(Exception):
    """A test ran past LCB's time-out (LCB's ``TimeoutException``)."""


def _fcx_alarm(signum: int, frame: _FcxAny) -> None:
    raise _FcxTimeoutError("timeout")


def _fcx_int_like(v: _FcxAny) -> bool:
    return isinstance(v, int) or (isinstance(v, str) and v.isdigit())


def _fcx_strip_eq(s1: str, s2: str) -> bool:
    return s1.strip() == s2.strip()


def _fcx_float_lines_ok(output: list[str], exp_lines: list[str]) -> bool:
    """LCB's float step: every line a float and all close (rtol 1e-5, atol 1e-8), unless every line pair is
    integer-like. A line that is not a number (``ValueError``) or a comparison that raises means no match."""
    try:
        if not all(_fcx_int_like(a) and _fcx_int_like(b) for a, b in zip(output, exp_lines, strict=False)):
            out_f = [float(e) for e in output]
            exp_f = [float(e) for e in exp_lines]
            if len(out_f) == len(exp_f):
                return _fcx_allclose(out_f, exp_f, 1e-05, 1e-08)
    except Exception:  # LCB: bare except -> this step does not match
        return False
    return False


def _fcx_stdout_ok(raw: str, expected: str) -> bool:
    """LCB's comparison cascade of a stdin program's output with the expected text (its last, token-set step
    compares lists with sets and never matches, so it is left out)."""
    output = raw.splitlines()
    if _fcx_strip_eq("\n".join(output), expected):
        return True
    if _fcx_strip_eq("\n".join(o.strip() for o in output), expected):
        return True
    if output == [expected]:
        return True
    exp_lines = [x.strip() for x in expected.split("\n") if len(x)]
    if output == [exp_lines] or output == exp_lines:
        return True
    output = [o for o in output if len(o)]
    if output == [exp_lines] or output == exp_lines:
        return True
    return _fcx_float_lines_ok(output, exp_lines)


def _fcx_call_ok(got: _FcxAny, exp: _FcxAny) -> _FcxAny:
    """LCB's call-based comparison: tuples as lists, the expected value or its first element, and a list of
    tuples as a list of lists (a ``got`` that cannot be indexed just skips that step, as in LCB)."""
    if isinstance(got, tuple):
        got = list(got)
    ok = _fcx_eq(got, exp)
    if isinstance(exp, list) and exp:
        ok = ok or _fcx_eq(got, exp[0])
    try:
        if isinstance(got[0], tuple):
            ok = ok or _fcx_eq([list(x) for x in got], exp[0])
    except Exception:  # LCB: bare except (got is not indexable, empty, or exp has no [0])
        pass
    return ok  # its truth is tested by the suite's (guarded) assert


def _fcx_int_keys(d: _FcxAny) -> _FcxAny:
    """``{int(k): v}`` of a dict, as LCB converts JSON object keys; raises when a key is not an integer."""
    return {int(k): v for k, v in d.items()}


def _fcx_json_fix(args: list[_FcxAny], exp: _FcxAny) -> tuple[list[_FcxAny], _FcxAny]:
    """LCB's three key conversions of JSON-decoded arguments and expected output; each one that raises (a key
    that is not an integer, an ``exp`` without ``[0]``) is skipped, as LCB's bare excepts skip it."""
    try:
        if isinstance(args[0], dict):
            args = [_fcx_int_keys(args[0])]
    except Exception:  # LCB: bare except
        pass
    try:
        if isinstance(exp, dict):
            exp = [_fcx_int_keys(exp)]
    except Exception:  # LCB: bare except
        pass
    try:
        if isinstance(exp[0], dict):
            exp = [_fcx_int_keys(exp[0])]
    except Exception:  # LCB: bare except
        pass
    return args, exp


def _fcx_lcb(fn_name: str | None, has_solution_class: bool, inputs: list[str], outputs: list[str],
             timeout: int) -> None:
    """Run every test case with LCB's per-test alarm; raise at the first wrong answer or time-out."""
    _fcx_signal.signal(_fcx_signal.SIGALRM, _fcx_alarm)
    if fn_name is not None:
        _fcx_signal.alarm(timeout)
        try:
            owner = globals()["Solution"]() if has_solution_class else None
        finally:
            _fcx_signal.alarm(0)
        method = getattr(owner, fn_name) if owner is not None else globals().get(fn_name)
    else:
        method = globals().get("code")
    assert method is not None, "unable to extract code"
    for i, (inp, out) in enumerate(zip(inputs, outputs, strict=False)):
        if fn_name is not None:
            args = [_fcx_json.loads(line) for line in inp.split("\n")]
            exp = _fcx_json.loads(out)
            args, exp = _fcx_json_fix(args, exp)
            _fcx_signal.alarm(timeout)
            try:
                got = method(*args)
            except _FcxTimeoutError:
                raise AssertionError(f"test {i}: time limit exceeded") from None
            finally:
                _fcx_signal.alarm(0)
            assert _fcx_call_ok(got, exp), f"test {i}: wrong answer"
        else:
            saved = (_fcx_sys.stdin, _fcx_sys.stdout, _fcx_builtins.open)
            captured = _fcx_io.StringIO()
            _fcx_sys.stdin = _fcx_io.StringIO(inp)
            _fcx_sys.stdout = captured
            _fcx_builtins.open = lambda *args, _inp=inp, **kwargs: _fcx_io.StringIO(_inp)
            _fcx_signal.alarm(timeout)
            try:
                try:
                    method()
                except SystemExit:
                    pass  # LCB: a program that calls exit() is judged on what it printed
            except _FcxTimeoutError:
                raise AssertionError(f"test {i}: time limit exceeded") from None
            finally:
                _fcx_signal.alarm(0)
                _fcx_sys.stdin, _fcx_sys.stdout, _fcx_builtins.open = saved
            assert _fcx_stdout_ok(captured.getvalue(), out), f"test {i}: wrong answer"
