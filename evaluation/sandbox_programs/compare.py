"""Output comparisons both code harnesses use: evalplus' float tolerance and the guarded ``==``.

Embedded in the sandbox suites of ``evaluation.code_exec`` (EvalPlus and LiveCodeBench).
"""

from typing import Any as _FcxAny

_FCX_INF = (float("inf"), float("-inf"))


def _fcx_allclose(a: _FcxAny, b: _FcxAny, rtol: float, atol: float) -> bool:
    """``np.allclose(a, b, rtol, atol)`` for numbers and equal-length flat lists of numbers, without importing
    numpy (~0.5 s in a fresh child); anything else goes to numpy itself (same results, tested against it)."""
    nums = (int, float)
    pairs: list[tuple[_FcxAny, _FcxAny]] | None
    if isinstance(a, nums) and isinstance(b, nums):
        pairs = [(a, b)]
    elif (isinstance(a, (list, tuple)) and isinstance(b, (list, tuple)) and len(a) == len(b)
          and all(isinstance(x, nums) for x in a) and all(isinstance(y, nums) for y in b)):
        pairs = list(zip(a, b, strict=False))
    else:
        pairs = None
    if pairs is not None and any(type(v) is int and not -2**63 <= v < 2**64 for pair in pairs for v in pair):
        pairs = None  # beyond int64 and uint64 numpy makes an object array, and its comparison raises
    if pairs is not None:
        try:
            for x, y in pairs:
                x, y = float(x), float(y)
                if x in _FCX_INF or y in _FCX_INF:
                    if x != y:
                        return False
                elif not abs(x - y) <= atol + rtol * abs(y):  # NaN on either side: never close
                    return False
            return True
        except OverflowError:
            pass  # an int beyond float range: numpy (below) decides, as it would have in evalplus
    import numpy as np

    return bool(np.allclose(a, b, rtol=rtol, atol=atol))


def _fcx_eq(a: _FcxAny, b: _FcxAny) -> _FcxAny:
    """``a == b`` through the sandbox harness's guard (``__fc_cmp__``, which refuses an outcome decided by a
    solution-defined ``__eq__``) when the harness provides it; plain ``==`` otherwise (direct use, tests)."""
    cmp = globals().get("__fc_cmp__")
    return cmp("==", a, b) if cmp is not None else a == b
