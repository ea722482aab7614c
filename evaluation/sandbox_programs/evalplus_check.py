"""The per-test check of ``evalplus.eval.unsafe_execute`` (evalplus 0.3.1), fail-fast, run in the sandbox.

Embedded after the solution (same namespace), after ``compare`` and after evalplus' own special-oracle module
(``evalplus/eval/_special_oracle.py``, read from the installed package), then called once with the task's
inputs, expected outputs and per-test time limits. Any failed test raises (``AssertionError`` or the program's
own exception), which the sandbox harness turns into a ``failed`` verdict.
"""

import io as _fcx_io
import signal as _fcx_signal
import sys as _fcx_sys
from typing import TYPE_CHECKING as _FCX_TYPE_CHECKING
from typing import Any as _FcxAny

if _FCX_TYPE_CHECKING:  # defined by the texts a suite joins before this one (never imported at run time: see below)
    from evalplus.eval._special_oracle import (
        MBPP_OUTPUT_NOT_NONE_TASKS,
        MBPP_OUTPUT_SET_EQ_TASKS,
        _digit_distance_nums,
        _poly,
        _surface_Area,
    )

    from evaluation.sandbox_programs.compare import _fcx_allclose, _fcx_eq


class _FcxTimeoutError(Exception):
    """A test ran past its time limit (evalplus' ``TimeoutException``)."""


def _fcx_alarm(signum: int, frame: _FcxAny) -> None:
    raise _FcxTimeoutError("Timed out!")


class _FcxSink(_fcx_io.StringIO):
    """evalplus' ``WriteOnlyStringIO``: stdout, stderr and stdin of the solution while a test runs."""

    def read(self, *args: _FcxAny, **kwargs: _FcxAny) -> str:
        raise OSError

    def readline(self, *args: _FcxAny, **kwargs: _FcxAny) -> str:
        raise OSError

    def readlines(self, *args: _FcxAny, **kwargs: _FcxAny) -> list[str]:
        raise OSError

    def readable(self, *args: _FcxAny, **kwargs: _FcxAny) -> bool:
        return False


def _fcx_is_floats(x: _FcxAny) -> bool:
    """evalplus' ``is_floats``: a float, a non-empty list/tuple of floats, or a float numpy array (numpy only when
    the solution imported it)."""
    if isinstance(x, float):
        return True
    if isinstance(x, (list, tuple)) and x:
        return all(isinstance(i, float) for i in x)
    np = _fcx_sys.modules.get("numpy")
    if np is not None and isinstance(x, np.ndarray):
        return x.dtype == np.float64 or x.dtype == np.float32
    return False


def _fcx_matches(dataset: str, entry_point: str, inp: _FcxAny, out: _FcxAny, exp: _FcxAny, atol: float) -> bool:
    """evalplus' ``exact_match`` of one output, with its special oracles for a few MBPP tasks."""
    exact_match = _fcx_eq(out, exp)
    if dataset == "mbpp":
        if "are_equivalent" == entry_point:
            exact_match = exact_match or True
        elif "sum_div" == entry_point:
            exact_match = exact_match or out == 0
        elif "surface_Area" == entry_point:
            exact_match = exact_match or abs(out - _surface_Area(*inp)) <= atol
        elif "digit_distance_nums" == entry_point:
            exact_match = exact_match or out == _digit_distance_nums(*inp)
        elif entry_point in MBPP_OUTPUT_SET_EQ_TASKS:
            exact_match = set(out) == set(exp)
        elif entry_point in MBPP_OUTPUT_NOT_NONE_TASKS:
            if isinstance(out, bool):
                exact_match = out == exp
            else:
                exact_match = exp == (out is not None)
    return exact_match


def _fcx_evalplus(dataset: str, entry_point: str, inputs: list[_FcxAny], expected: list[_FcxAny], limits: list[float],
                  atol: float) -> None:
    """Call the solution's ``entry_point`` on every input under its time limit (``setitimer``, evalplus'
    ``time_limit``) with stdin/stdout/stderr swallowed, and compare with the expected output: exact (or special
    oracle), else, when ``atol`` is set (forced to 1e-6 once a float output is met), same type and length and
    ``allclose(rtol=1e-7, atol)``; HumanEval's ``find_zero`` checks ``|poly(x)| <= atol``. Raises at the first
    failing test."""
    fn = globals().get(entry_point)
    assert fn is not None, f"entry point {entry_point!r} is not defined"
    _fcx_signal.signal(_fcx_signal.SIGALRM, _fcx_alarm)
    for i, inp in enumerate(inputs):
        sink = _FcxSink()
        saved = (_fcx_sys.stdout, _fcx_sys.stderr, _fcx_sys.stdin)
        _fcx_sys.stdout = _fcx_sys.stderr = _fcx_sys.stdin = sink
        _fcx_signal.setitimer(_fcx_signal.ITIMER_REAL, limits[i])
        try:
            out = fn(*inp)
        finally:
            _fcx_signal.setitimer(_fcx_signal.ITIMER_REAL, 0)
            _fcx_sys.stdout, _fcx_sys.stderr, _fcx_sys.stdin = saved
        exp = expected[i]
        exact_match = _fcx_matches(dataset, entry_point, inp, out, exp, atol)
        if dataset == "humaneval" and "find_zero" == entry_point:
            assert abs(_poly(*inp, out)) <= atol, f"test {i}: |poly(x)| > atol"
            continue
        if atol == 0 and _fcx_is_floats(exp):
            atol = 1e-6
        if not exact_match and atol != 0:
            assert type(out) == type(exp), f"test {i}: output type differs"  # noqa: E721 - evalplus' check
            if isinstance(exp, (list, tuple)):
                assert len(out) == len(exp), f"test {i}: output length differs"
            assert _fcx_allclose(out, exp, 1e-07, atol), f"test {i}: not close"
        else:
            assert exact_match, f"test {i}: wrong output"
