"""The sandbox's output comparisons (``evaluation/sandbox_programs/compare.py``), the rules both code harnesses score
by: evalplus' float tolerance is ``np.allclose`` (``|x - y| <= atol + rtol·|y|``, NaN never close, an infinity
only equal to itself), and ``==`` goes through the harness's guard when the suite provides one. Tested in-process
(``sandbox_programs.link``), so the mutation target ``sandbox_compare`` (tools/mutation.py) reaches every line."""

from __future__ import annotations

import random

import numpy as np
import pytest

from evaluation import sandbox_programs

compare = sandbox_programs.link("compare")
allclose = compare._fcx_allclose
INF, NAN = float("inf"), float("nan")


def _verdict(fn, x, y, atol, rtol=1e-7) -> bool | str:
    """True/False, or "error" (inside the sandbox an exception is a failed test, as in evalplus)."""
    try:
        return bool(fn(x, y, rtol=rtol, atol=atol) if fn is np.allclose else fn(x, y, rtol, atol))
    except Exception:
        return "error"


def test_sandbox_allclose_matches_numpy() -> None:
    """2,000 random number pairs and flat lists, with the special values mixed in: the same verdict as numpy."""
    rng = random.Random(0)
    specials = [0.0, -0.0, 1e-7, INF, -INF, NAN, 1, True, 10**20]
    for _ in range(2000):
        n = rng.randint(0, 4)
        a = [rng.choice(specials) if rng.random() < 0.2 else rng.uniform(-2, 2) for _ in range(n)]
        b = [x + rng.choice([0, 1e-9, 1e-6, 1e-3]) if isinstance(x, float) and rng.random() < 0.7
             else rng.choice(specials) for x in a]
        atol = rng.choice([0.0, 1e-6, 1e-3])
        for x, y in ((a, b), (a[0] if a else 0.5, b[0] if b else 0.5)):
            assert _verdict(allclose, x, y, atol) == _verdict(np.allclose, x, y, atol), (x, y, atol)


@pytest.mark.parametrize(("a", "b", "rtol", "atol", "want"), [
    (1.0, 1.0 + 1e-3, 0.0, 1e-3, True),         # the bound is inclusive: |x - y| == atol is close
    (1.0, 1.0 + 2e-3, 0.0, 1e-3, False),
    (1.0, 1.0101, 0.01, 0.0, True),             # rtol scales |y|, the expected value (numpy's asymmetry) ...
    (1.0101, 1.0, 0.01, 0.0, False),            # ... not |x|
    (2.0, 2.5, 0.1, 0.3, True),                 # atol + rtol·|y| = 0.55 >= 0.5: both terms add
    (2.0, 2.5, 0.1, 0.2, False),                # 0.45 < 0.5
    (NAN, NAN, 0.0, 1.0, False),                # NaN is never close, not even to NaN
    (1.0, NAN, 0.0, 1.0, False),
    (INF, INF, 0.0, 0.0, True),                 # an infinity equals itself only
    (-INF, -INF, 0.0, 0.0, True),
    (INF, -INF, 0.0, 0.0, False),
    (INF, 1e308, 1.0, 1.0, False),
    (1e308, INF, 1.0, 1.0, False),
    (3, 3.0000001, 1e-7, 0.0, True),            # ints and floats compare as numbers
    (True, 1.0, 0.0, 0.0, True),
    ([1.0, 2.0], (1.0, 2.0 + 1e-9), 0.0, 1e-6, True),   # equal-length flat lists element by element
    ([1.0, 2.0], [1.0, 2.1], 0.0, 1e-6, False),
    ([1.0, NAN], [1.0, NAN], 0.0, 1.0, False),
    ([INF, 1.0], [INF, 1.0], 0.0, 0.0, True),
    ([], [], 0.0, 0.0, True),
    ([1.0], [1.0, 1.0], 0.0, 0.0, True),        # unequal lengths: numpy decides (it broadcasts a length-1 list)
    ([[1.0, 2.0]], [[1.0, 2.0]], 0.0, 0.0, True),  # nested: numpy decides
    (2**70, 2**70 + 1, 1e-7, 0.0, True),        # an int beyond int64 goes through float, as close as numpy says
    (1.0, [1.0, 1.0], 0.0, 0.0, True),          # a number against a list: numpy broadcasts
    ([1.0, 1.0], 1.0, 0.0, 0.0, True),
    ([[1.0]], [[1.0 + 5e-6]], 0.0, 0.0, False),   # numpy's path gets rtol and atol, not its defaults (1e-5, 1e-8)
    ([[1.0]], [[1.0 + 5e-6]], 1e-5, 0.0, True),
    ([[0.0]], [[1e-9]], 0.0, 0.0, False),
    ([[0.0]], [[1e-9]], 0.0, 1e-8, True),
])
def test_allclose_rules(a, b, rtol, atol, want) -> None:
    assert allclose(a, b, rtol, atol) is want


def test_ints_beyond_int64_and_float_range() -> None:
    """An int numpy would hold as an object (outside int64 and uint64) goes to numpy (same verdict, including numpy's
    errors); one beyond float range raises OverflowError in the fast path and numpy decides too."""
    for a, b in ((2**63, 2**63), ([2**63, 1], [2**63, 1]), (10**400, 10**400), (-(2**63) - 1, 0),
                 # numpy holds these as objects and subtracts them exactly; through float they would be equal
                 ([2**63 + 1, -1], [2**63, -1]), ([2**63, -1], [2**63 - 1, -1]), (-(2**63) - 2, -(2**63) - 1),
                 ([2**63 - 1], [-(2**63) - 1]), ([2**64], [2**64]), ([2**64 - 1, -1], [2**64 - 1, -1]),
                 ([1.0, 2.0], ["1.0", "2.0"])):  # strings: numpy's error, not float("1.0")
        assert _verdict(allclose, a, b, 0.0, 0.0) == _verdict(np.allclose, a, b, 0.0, 0.0), (a, b)


def test_numpy_is_only_imported_off_the_fast_path(monkeypatch: pytest.MonkeyPatch) -> None:
    """Numbers and flat lists never import numpy (~0.5 s in a fresh sandbox child); other shapes do."""
    import builtins

    seen: list[str] = []
    real = builtins.__import__

    def spy(name, *args, **kwargs):
        seen.append(name)
        return real(name, *args, **kwargs)

    monkeypatch.setattr(builtins, "__import__", spy)
    assert allclose(1.0, 1.0, 0.0, 0.0) and allclose([1, 2.0], [1, 2.0], 0.0, 0.0)
    edges = [-(2**63), -1000, 1000, 2**64 - 1]  # every int64 and uint64 is a number the fast path takes
    assert allclose(edges, edges, 0.0, 0.0) and not allclose(float("nan"), float("nan"), 0.0, 1.0)
    assert "numpy" not in seen
    assert allclose([[1.0]], [[1.0]], 0.0, 0.0) and "numpy" in seen


def test_eq_goes_through_the_harness_guard(monkeypatch: pytest.MonkeyPatch) -> None:
    assert compare._fcx_eq([1, 2], [1, 2]) is True and compare._fcx_eq(1, 2) is False
    seen: list[tuple] = []
    monkeypatch.setitem(vars(compare), "__fc_cmp__", lambda op, a, b: seen.append((op, a, b)) or "guarded")
    assert compare._fcx_eq(1, 2) == "guarded" and seen == [("==", 1, 2)]
