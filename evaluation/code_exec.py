"""Running model-written programs for the code benchmarks: every program runs in :mod:`fusechat.sandbox`.

The checks reproduce what the benchmarks' own harnesses decide, test by test, but inside our sandbox instead of
their in-process guards (``reliability_guard``, which their own docstrings call "NOT a security sandbox"):

* **EvalPlus** (HumanEval+/MBPP+, ``evalplus.eval.untrusted_check`` of evalplus 0.3.1): the solution is executed,
  then its entry point is called on every input with a per-test time limit ``max(min_time_limit,
  factor * ground-truth time)`` (evalplus' defaults: 1 s and 4x) and compared with the ground-truth output:
  exact equality, the special oracles of a few tasks, and ``np.allclose(rtol=1e-7, atol)`` for floats (atol is
  forced to 1e-6 once a float output is met). Fail-fast, as ``evalplus.evaluate`` without ``--test-details``.
  The job's wall clock is ``min(60, sum(limits)) + 2`` s (evalplus' per-task cap plus its join slack).
* **LiveCodeBench** (``lcb_runner/evaluation/testing_util.py`` as vendored by FuseEval): call-based (LeetCode
  functional) problems call ``Solution().<fn>`` (or the module function) on JSON-decoded arguments; stdin
  problems are rewritten as LCB does (imports kept, everything else moved into ``def code():``) and called with
  ``sys.stdin`` a ``StringIO`` of the input, ``builtins.open`` returning one, and ``sys.stdout`` captured (LCB
  stacks ``mock.patch`` decorators whose ``sys.stdin.readline/read/readlines`` patches are entered *before*
  ``sys.stdin`` is replaced, so they patch the old stdin and the program sees a plain ``StringIO``); outputs
  are compared with LCB's cascade (stripped text, per line, float-tolerant lines; its final token-set step
  compares lists with sets and never matches). Quirks kept: LCB's import header (``from io import *``,
  ``from sys import *``) binds ``open`` and ``stdin`` at module level, so ``open(0)`` and a bare ``stdin`` read
  the real, empty stdin; ``global`` names of the rewritten code break. 6 s per test and for loading, fail-fast,
  global limit ``(6 + 1) * tests + 5`` s. LiveBench's coding category reuses this runner.
* Comparisons of a program's output go through the sandbox harness's guard (an output object whose ``__eq__``
  the program defined fails), and float tolerance is checked without importing numpy in the child when the
  values are numbers or flat lists of numbers (same results as ``np.allclose``, tested against it).

Stable API (LiveBench's coding tasks import it): :func:`lcb_job`, :func:`run_jobs`, :func:`sandbox_pool`,
:func:`lcb_extract_code`, :func:`decode_lcb_tests`, :func:`pass_at_k`, :func:`evalplus_job`.

Test data travels inside the test suite as Python literals (compiled once per suite by the sandbox worker, so a
program cannot patch the decoder), or, when large or not literal-safe, as a zlib+base64 ``marshal`` blob.
"""

from __future__ import annotations

import ast
import base64
import binascii
import json
import marshal
import math
import os
import pickle
import zlib
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from fusechat.sandbox import CodeJob, Limits, SandboxPool, SandboxResult

#: Literal test data up to this many characters is embedded as Python source; beyond it as a compressed blob.
LITERAL_MAX_CHARS = 256 * 1024
#: evalplus' defaults (``evalplus.config``: DEFAULT_MIN_TIME_LIMIT 1.0, DEFAULT_GT_TIME_LIMIT_FACTOR 4.0) and its
#: per-task cap (``EVALPLUS_TIMEOUT_PER_TASK``, 60 s).
EVALPLUS_MIN_TIME_LIMIT = 1.0
EVALPLUS_GT_TIME_LIMIT_FACTOR = 4.0
EVALPLUS_TASK_CAP_S = 60.0
#: LiveCodeBench's ``--timeout`` default (seconds per test case and for loading the program).
LCB_TIMEOUT_S = 6
#: evalplus' memory limit (``EVALPLUS_MAX_MEMORY_BYTES``, 4 GiB); LCB sets none. Used for every code benchmark.
CODE_EVAL_LIMITS = Limits(memory_mb=4096, cgroup_memory_mb=4608)


# --------------------------------------------------------------------------------------------------- pool
def default_workers() -> int:
    """evalplus' default parallelism (half the CPUs: time limits are wall-clock, so do not over-subscribe), at
    least 2."""
    return max(2, (os.cpu_count() or 2) // 2)


def sandbox_pool(resources: dict[str, Any], workers: int | None = None, uid_base: int = 64000) -> SandboxPool:
    """The scoring stage's shared sandbox pool (``ScoreContext.resources["sandbox"]``), started on first use;
    ``workers`` defaults to :func:`default_workers` (recipe: ``options.sandbox.workers``).

    The stage closes every resource after scoring; ``SandboxPool.close`` stops the workers.
    """
    pool = resources.get("sandbox")
    if pool is None:
        pool = SandboxPool(workers=workers or default_workers(), limits=CODE_EVAL_LIMITS, uid_base=uid_base)
        resources["sandbox"] = pool
    return pool


def run_jobs(pool: SandboxPool, jobs: Sequence[CodeJob]) -> list[SandboxResult]:
    """Run ``jobs`` on ``pool``; results in input order (one per job, errors included)."""
    return pool.run_many(list(jobs)) if jobs else []


# --------------------------------------------------------------------------------------------------- pass@k
def pass_at_k(n: int, c: int, k: int) -> float:
    """The unbiased pass@k estimator of Chen et al. (2021) used by human-eval, EvalPlus and LiveCodeBench:
    ``1 - C(n - c, k) / C(n, k)`` for ``n`` samples of which ``c`` passed."""
    if not 0 <= c <= n or k < 1 or n < 1:
        raise ValueError(f"pass@k needs 0 <= c <= n and k, n >= 1 (n={n}, c={c}, k={k})")
    if n - c < k:
        return 1.0
    return 1.0 - math.comb(n - c, k) / math.comb(n, k)


# --------------------------------------------------------------------------------------------------- data
_PLAIN_SCALARS = (type(None), bool, int, str, bytes)


def _literal_safe(obj: Any, budget: list[int]) -> bool:
    """Whether ``repr(obj)`` evaluates back to an equal object of the same types (finite floats, builtins)."""
    budget[0] -= 1
    if budget[0] < 0:
        return False
    tp = type(obj)
    if tp in _PLAIN_SCALARS:
        return True
    if tp is float:
        return math.isfinite(obj)
    if tp in (list, tuple):
        return all(_literal_safe(x, budget) for x in obj)
    if tp is dict:
        return all(_literal_safe(k, budget) and _literal_safe(v, budget) for k, v in obj.items())
    if tp in (set, frozenset):
        return tp is set and len(obj) > 0 and all(_literal_safe(x, budget) for x in obj)
    return False


def embed_value(obj: Any) -> str:
    """A Python expression that rebuilds ``obj`` inside the sandbox (see the module docstring)."""
    if _literal_safe(obj, [200_000]):
        text = repr(obj)
        if len(text) <= LITERAL_MAX_CHARS:
            return text
    try:
        blob = b"M" + marshal.dumps(obj)
    except ValueError:
        blob = b"P" + pickle.dumps(obj, protocol=4)
    return f"_fcx_load({base64.b64encode(zlib.compress(blob, 6)).decode('ascii')!r})"


_LOADER = '''
def _fcx_load(text):
    import binascii, zlib
    raw = zlib.decompress(binascii.a2b_base64(text))
    if raw[:1] == b"M":
        import marshal
        return marshal.loads(raw[1:])
    import pickle
    return pickle.loads(raw[1:])
'''


# --------------------------------------------------------------------------------------------------- evalplus
#: The per-test check of ``evalplus.eval.unsafe_execute`` (0.3.1), fail-fast; runs inside the sandbox after the
#: solution, in its namespace. ``_fcx_oracles`` is evalplus' ``_special_oracle`` source, embedded when needed.
# Comparisons both harnesses use (evalplus' float tolerance, the optional hostile-__eq__ guard).
_COMPARE = '''
def _fcx_allclose(a, b, rtol, atol):
    """np.allclose(a, b, rtol, atol) for numbers and equal-length flat lists of numbers, without importing numpy
    (~0.5 s in a fresh child); anything else goes to numpy itself."""
    nums = (int, float)
    if isinstance(a, nums) and isinstance(b, nums):
        pairs = [(a, b)]
    elif (isinstance(a, (list, tuple)) and isinstance(b, (list, tuple)) and len(a) == len(b)
          and all(isinstance(x, nums) for x in a) and all(isinstance(y, nums) for y in b)):
        pairs = list(zip(a, b))
    else:
        pairs = None
    if pairs is not None and any(type(v) is int and not -2**63 <= v < 2**63 for pair in pairs for v in pair):
        pairs = None  # numpy makes such ints an object array, and its comparison raises
    if pairs is not None:
        try:
            for x, y in pairs:
                x, y = float(x), float(y)
                if x != x or y != y:
                    return False
                if x in (float("inf"), float("-inf")) or y in (float("inf"), float("-inf")):
                    if x != y:
                        return False
                elif not abs(x - y) <= atol + rtol * abs(y):
                    return False
            return True
        except OverflowError:
            pass
    import numpy as np
    return bool(np.allclose(a, b, rtol=rtol, atol=atol))
def _fcx_eq(a, b):
    cmp = globals().get("__fc_cmp__")
    return cmp("==", a, b) if cmp is not None else a == b
'''


_EVALPLUS_CHECK = '''
import io as _fcx_io, signal as _fcx_signal, sys as _fcx_sys
class _FcxTimeout(Exception):
    pass
def _fcx_alarm(signum, frame):
    raise _FcxTimeout("Timed out!")
class _FcxSink(_fcx_io.StringIO):
    def read(self, *args, **kwargs):
        raise OSError
    def readline(self, *args, **kwargs):
        raise OSError
    def readlines(self, *args, **kwargs):
        raise OSError
    def readable(self, *args, **kwargs):
        return False
def _fcx_is_floats(x):
    if isinstance(x, float):
        return True
    if isinstance(x, (list, tuple)) and x:
        return all(isinstance(i, float) for i in x)
    np = _fcx_sys.modules.get("numpy")
    if np is not None and isinstance(x, np.ndarray):
        return x.dtype == np.float64 or x.dtype == np.float32
    return False
def _fcx_evalplus(dataset, entry_point, inputs, expected, limits, atol):
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
        if dataset == "humaneval":
            if "find_zero" == entry_point:
                assert abs(_poly(*inp, out)) <= atol, f"test {i}: |poly(x)| > atol"
                continue
        if atol == 0 and _fcx_is_floats(exp):
            atol = 1e-6
        if not exact_match and atol != 0:
            assert type(out) == type(exp), f"test {i}: output type differs"
            if isinstance(exp, (list, tuple)):
                assert len(out) == len(exp), f"test {i}: output length differs"
            assert _fcx_allclose(out, exp, 1e-07, atol), f"test {i}: not close"
        else:
            assert exact_match, f"test {i}: wrong output"
'''


def _special_oracle_source() -> str:
    """evalplus' own special-oracle module (``evalplus.eval._special_oracle``), read from the installed package."""
    import importlib.util
    from pathlib import Path

    spec = importlib.util.find_spec("evalplus")
    if spec is None or spec.origin is None:
        raise RuntimeError("evalplus is not installed (pip install evalplus==0.3.1)")
    return (Path(spec.origin).parent / "eval" / "_special_oracle.py").read_text()


def evalplus_time_limits(ref_times: Sequence[float], min_time_limit: float = EVALPLUS_MIN_TIME_LIMIT,
                         factor: float = EVALPLUS_GT_TIME_LIMIT_FACTOR) -> list[float]:
    """evalplus' per-test limits: ``max(min_time_limit, factor * ground-truth seconds)``."""
    return [max(min_time_limit, factor * t) for t in ref_times]


def evalplus_tests(dataset: str, entry_point: str, inputs: Sequence[Any], expected: Sequence[Any],
                   atol: float, time_limits: Sequence[float]) -> str:
    """The sandbox test suite reproducing ``evalplus.eval.unsafe_execute`` for one task and one test set."""
    if dataset not in ("humaneval", "mbpp"):
        raise ValueError(f"evalplus dataset must be humaneval or mbpp, not {dataset!r}")
    if not (len(inputs) == len(expected) == len(time_limits)):
        raise ValueError("inputs, expected outputs and time limits differ in length")
    return "\n".join([
        _LOADER, _special_oracle_source(), _COMPARE, _EVALPLUS_CHECK,
        f"_fcx_evalplus({dataset!r}, {entry_point!r}, {embed_value(list(inputs))}, {embed_value(list(expected))},"
        f" {list(time_limits)!r}, {float(atol)!r})",
    ])


def evalplus_job(dataset: str, solution: str, entry_point: str, inputs: Sequence[Any], expected: Sequence[Any],
                 atol: float, ref_times: Sequence[float], min_time_limit: float = EVALPLUS_MIN_TIME_LIMIT,
                 factor: float = EVALPLUS_GT_TIME_LIMIT_FACTOR, task_cap_s: float = EVALPLUS_TASK_CAP_S,
                 tests: str | None = None) -> CodeJob:
    """One evalplus check (base or plus tests) of ``solution`` as a sandbox job.

    ``tests`` may be passed when already built (all samples of a task share one suite, which the sandbox
    compiles once per worker).
    """
    limits = evalplus_time_limits(ref_times, min_time_limit, factor)
    if tests is None:
        tests = evalplus_tests(dataset, entry_point, inputs, expected, atol, limits)
    return CodeJob(program=solution, tests=tests, timeout_s=min(task_cap_s, sum(limits)) + 2.0)


# --------------------------------------------------------------------------------------------------- LCB
#: The import header LCB puts before every program (``testing_util.run_test``), plus an alarm of LCB's load
#: timeout: the program's top level must finish within it (LCB's ``signal.alarm`` around loading the module).
LCB_IMPORT_HEADER = (
    "from string import *\nfrom re import *\nfrom datetime import *\nfrom collections import *\n"
    "from heapq import *\nfrom bisect import *\nfrom copy import *\nfrom math import *\nfrom random import *\n"
    "from statistics import *\nfrom itertools import *\nfrom functools import *\nfrom operator import *\n"
    "from io import *\nfrom sys import *\nfrom json import *\nfrom builtins import *\nfrom typing import *\n"
    "import string\nimport re\nimport datetime\nimport collections\nimport heapq\nimport bisect\nimport copy\n"
    "import math\nimport random\nimport statistics\nimport itertools\nimport functools\nimport operator\n"
    "import io\nimport sys\nimport json\nsys.setrecursionlimit(6*10**5)\n"
)


def _load_alarm(timeout_s: int) -> str:
    return f"import signal as _fcx_sig0\n_fcx_sig0.alarm({int(timeout_s)})\n"


def lcb_stdin_source(code: str) -> str:
    """LCB's rewrite of a stdin program: drop a final ``if __name__ == '__main__':`` guard (keeping its body),
    keep top-level ``import``/``from`` lines, and move everything else into ``def code():`` (tab-indented)."""
    try:
        tree = ast.parse(code)
        last = tree.body[-1]
        if isinstance(last, ast.If) and ast.unparse(last.test).strip() == "__name__ == '__main__'":
            code = ast.unparse(tree.body[:-1]) + "\n" + ast.unparse(last.body)
    except (SyntaxError, ValueError, IndexError, RecursionError, MemoryError):  # upstream: a bare except
        pass
    lines = []
    for x in code.split("\n"):
        lines.append(x + "\n" if x.startswith(("from ", "import ")) else "\t" + x + "\n")
    out, started = "", False
    for line in lines:
        if line.startswith("\t") and not started:
            out += "stdin = sys.stdin\nstdout = sys.stdout\ndef code():\n" + line
            started = True
        elif started and line.startswith(("from ", "import ")):
            out += "\t" + line
        else:
            out += line
    return out


def lcb_program(code: str, fn_name: str | None, timeout_s: int = LCB_TIMEOUT_S) -> str:
    """The program LCB loads for ``code``: its import header, then the code (call-based) or the rewritten code
    (stdin). The load alarm is ours (see :data:`LCB_IMPORT_HEADER`); the tests cancel it first."""
    body = code if fn_name else lcb_stdin_source(code)
    return _load_alarm(timeout_s) + LCB_IMPORT_HEADER + body


_LCB_CHECK = '''
import io as _fcx_io, json as _fcx_json, signal as _fcx_signal, sys as _fcx_sys, builtins as _fcx_builtins
_fcx_signal.alarm(0)
class _FcxTimeout(Exception):
    pass
def _fcx_alarm(signum, frame):
    raise _FcxTimeout("timeout")
def _fcx_int_like(v):
    return isinstance(v, int) or (isinstance(v, str) and v.isdigit())
def _fcx_strip_eq(s1, s2):
    return s1.strip() == s2.strip()
def _fcx_stdout_ok(raw, expected):
    output = raw.splitlines()
    if _fcx_strip_eq("\\n".join(output), expected):
        return True
    if _fcx_strip_eq("\\n".join(o.strip() for o in output), expected):
        return True
    if output == [expected]:
        return True
    exp_lines = [x.strip() for x in expected.split("\\n") if len(x)]
    if output == [exp_lines] or output == exp_lines:
        return True
    output = [o for o in output if len(o)]
    if output == [exp_lines] or output == exp_lines:
        return True
    try:
        if not all(_fcx_int_like(a) and _fcx_int_like(b) for a, b in zip(output, exp_lines)):
            out_f = [float(e) for e in output]
            exp_f = [float(e) for e in exp_lines]
            if len(out_f) == len(exp_f):
                return _fcx_allclose(out_f, exp_f, 1e-05, 1e-08)
    except Exception:
        pass
    return False
def _fcx_call_ok(got, exp):
    if isinstance(got, tuple):
        got = list(got)
    ok = _fcx_eq(got, exp)
    if isinstance(exp, list) and exp:
        ok = ok or _fcx_eq(got, exp[0])
    try:
        if isinstance(got[0], tuple):
            ok = ok or _fcx_eq([list(x) for x in got], exp[0])
    except Exception:
        pass
    return ok
def _fcx_json_fix(args, exp):
    try:
        if isinstance(args[0], dict):
            args = [{int(k): v for k, v in args[0].items()}]
    except Exception:
        pass
    try:
        if isinstance(exp, dict):
            exp = [{int(k): v for k, v in exp.items()}]
    except Exception:
        pass
    try:
        if isinstance(exp[0], dict):
            exp = [{int(k): v for k, v in exp[0].items()}]
    except Exception:
        pass
    return args, exp
def _fcx_lcb(fn_name, has_solution_class, inputs, outputs, timeout):
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
    for i, (inp, out) in enumerate(zip(inputs, outputs)):
        if fn_name is not None:
            args = [_fcx_json.loads(line) for line in inp.split("\\n")]
            exp = _fcx_json.loads(out)
            args, exp = _fcx_json_fix(args, exp)
            _fcx_signal.alarm(timeout)
            try:
                got = method(*args)
            except _FcxTimeout:
                raise AssertionError(f"test {i}: time limit exceeded") from None
            finally:
                _fcx_signal.alarm(0)
            assert _fcx_call_ok(got, exp), f"test {i}: wrong answer"
        else:
            saved = (_fcx_sys.stdin, _fcx_sys.stdout, _fcx_builtins.open)
            captured = _fcx_io.StringIO()
            _fcx_sys.stdin = _fcx_io.StringIO(inp)
            _fcx_sys.stdout = captured
            _fcx_builtins.open = lambda *args, **kwargs: _fcx_io.StringIO(inp)
            _fcx_signal.alarm(timeout)
            try:
                try:
                    method()
                except SystemExit:
                    pass
            except _FcxTimeout:
                raise AssertionError(f"test {i}: time limit exceeded") from None
            finally:
                _fcx_signal.alarm(0)
                _fcx_sys.stdin, _fcx_sys.stdout, _fcx_builtins.open = saved
            assert _fcx_stdout_ok(captured.getvalue(), out), f"test {i}: wrong answer"
'''


def lcb_tests(inputs: Sequence[str], outputs: Sequence[str], fn_name: str | None, has_solution_class: bool,
              timeout_s: int = LCB_TIMEOUT_S) -> str:
    """The sandbox test suite reproducing LCB's ``run_test`` for one problem's test cases."""
    if len(inputs) != len(outputs):
        raise ValueError(f"{len(inputs)} test inputs but {len(outputs)} outputs")
    return "\n".join([_LOADER, _COMPARE, _LCB_CHECK,
                      f"_fcx_lcb({fn_name!r}, {bool(has_solution_class)!r}, {embed_value(list(inputs))}, "
                      f"{embed_value(list(outputs))}, {int(timeout_s)})"])


def lcb_job(code: str, inputs: Sequence[str], outputs: Sequence[str], fn_name: str | None,
            timeout_s: int = LCB_TIMEOUT_S, tests: str | None = None) -> CodeJob:
    """One LCB-style check of ``code`` (the extracted program) as a sandbox job.

    ``fn_name`` is the problem's ``metadata["func_name"]`` (call-based) or None (stdin). ``tests`` may be passed
    when already built by :func:`lcb_tests` -- but ``has_solution_class`` depends on the code (LCB instantiates
    ``Solution`` when ``"class Solution"`` occurs in it), so build it per code or group by that flag.
    """
    if tests is None:
        tests = lcb_tests(inputs, outputs, fn_name, "class Solution" in code, timeout_s)
    return CodeJob(program=lcb_program(code, fn_name, timeout_s), tests=tests,
                   timeout_s=float((timeout_s + 1) * len(inputs) + 5))


def lcb_extract_code(model_output: str) -> str:
    """LCB's ``extract_code`` for chat styles: the lines between the first two lines containing a fence
    (empty string when there are fewer than two)."""
    lines = model_output.split("\n")
    fences = [i for i, line in enumerate(lines) if "```" in line]
    if len(fences) < 2:
        return ""
    return "\n".join(lines[fences[0] + 1:fences[1]])


@dataclass(frozen=True)
class LcbTest:
    """One LCB test case (``public_test_cases`` / ``private_test_cases`` entries)."""

    input: str
    output: str
    testtype: str  # "stdin" | "functional"


class _NoGlobalsUnpickler(pickle.Unpickler):
    """An unpickler that refuses every global (class, function): only str/bytes/numbers/containers load."""

    def find_class(self, module: str, name: str) -> Any:  # noqa: D401 - pickle API
        raise pickle.UnpicklingError(f"refusing global {module}.{name} in LCB test data")


def _unpack_private(raw: str) -> Any:
    """``json.loads(unpickle(zlib.decompress(base64.b64decode(raw))))`` with globals refused."""
    import io

    try:
        packed = zlib.decompress(base64.b64decode(raw.encode("utf-8"), validate=False))
    except (binascii.Error, zlib.error, ValueError) as exc:
        raise ValueError(f"LCB test cases are neither JSON nor base64+zlib: {exc}") from None
    text = _NoGlobalsUnpickler(io.BytesIO(packed)).load()
    if not isinstance(text, (str, bytes)):
        raise ValueError(f"LCB private test cases unpickled to {type(text).__name__}, expected JSON text")
    return json.loads(text)


def decode_lcb_tests(raw: str) -> list[LcbTest]:
    """The test cases of an LCB ``public_test_cases``/``private_test_cases`` field.

    Public cases (and private ones of old releases) are a JSON list. Private cases of
    ``livecodebench/code_generation_lite`` are ``base64(zlib(pickle(json_text)))``; LCB calls ``pickle.loads`` on
    them. We unpickle with globals refused (:class:`_NoGlobalsUnpickler`): a pickle holding only a string cannot
    name a class or function, so nothing in the data can run code, and anything else is rejected.
    """
    try:
        data = json.loads(raw)
    except json.JSONDecodeError:
        data = _unpack_private(raw)
    if not isinstance(data, list):
        raise ValueError("LCB test cases must be a JSON list")
    return [LcbTest(str(t["input"]), str(t["output"]), str(t["testtype"])) for t in data]


def encode_lcb_private(tests: Sequence[LcbTest]) -> str:
    """The inverse of :func:`decode_lcb_tests` for private cases, in the real data's packing (tiny world)."""
    text = json.dumps([{"input": t.input, "output": t.output, "testtype": t.testtype} for t in tests])
    return base64.b64encode(zlib.compress(pickle.dumps(text, protocol=4))).decode("ascii")
