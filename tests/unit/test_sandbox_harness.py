"""The in-child harness and the worker's test rewriting, in-process (no sandbox): rules and their fast paths."""

from __future__ import annotations

import math
import sys

import pytest

from fusechat.sandbox import harness
from fusechat.sandbox.rewrite import rewrite_tests

NESTED = """
def check(c):
    assert c(1) == 1
    if True:
        assert not c(2) == 3, 'm'
    for i in range(2):
        assert i in [0, 1]
    try:
        assert c(0) < 1
    except KeyError:
        assert False
    else:
        assert True
    finally:
        assert 1 <= 2
    while False:
        pass
    else:
        assert 3 >= 2
    with open('/dev/null') as f:
        assert f
    match 1:
        case 1:
            assert 1 != 2
    class K:
        assert 1
    async def g():
        assert 1
"""


def test_rewrite_counts_asserts_in_every_statement_block():
    _, n = rewrite_tests(NESTED)
    assert n == 12


@pytest.mark.parametrize("block", ["if True:\n    {a}\n", "for _ in [0]:\n    {a}\n",
                                   "try:\n    {a}\nfinally:\n    pass\n", "with open('/dev/null'):\n    {a}\n",
                                   "def t():\n    {a}\nt()\n", "match 0:\n    case 0:\n        {a}\n"])
def test_always_equal_is_caught_in_nested_blocks(block):
    prog = "class Eq:\n    def __eq__(self, o):\n        return True\ndef add(a, b):\n    return Eq()\n"
    tests = block.format(a="assert add(1, 2) == 3")
    rec = harness.run(prog, tests, None)
    assert rec["status"] == "failed" and "suspicious value" in rec["error"], rec
    assert harness.run("def add(a, b):\n    return a + b\n", tests, None)["status"] == "passed"


def test_format_failure_layout():
    prog = "def f(x):\n    return g(x)\ndef g(x):\n    raise ValueError('bad %s' % x)\n"
    err = harness.run(prog, "assert f(1) == 2\n", None)["error"]
    assert err.startswith("ValueError in tests: Traceback (most recent call last):")
    assert '  File "<solution>", line 4, in g\n    raise ValueError(\'bad %s\' % x)\n' in err
    assert '  File "<tests>", line 1, in <module>\n    assert f(1) == 2\n' in err
    assert err.rstrip().endswith("ValueError: bad 1")
    assert "harness.py" not in err  # the harness's own frames are left out


def test_format_failure_chains_and_cuts_deep_stacks():
    chained = "def f():\n    try:\n        1/0\n    except Exception as e:\n        raise KeyError(3) from e\n"
    err = harness.run(chained, "f()\n", None)["error"]
    assert err.index("ZeroDivisionError: division by zero") < err.index("KeyError: 3")
    assert "led to the following one" in err
    deep = harness.format_failure(_deep_error(), {harness.PROGRAM_FILENAME: ""})
    assert "outer frames omitted" in deep and deep.count('File "') == harness._TB_FRAMES


def _deep_error() -> BaseException:
    def r(n: int) -> int:
        return r(n + 1) if n < 50 else 1 // 0

    try:
        r(0)
    except ZeroDivisionError as exc:
        return exc
    raise AssertionError("unreachable")


@pytest.fixture
def prepared():
    """harness.prepare() as the zygote runs it, undone afterwards (it sets process-wide snapshots)."""
    saved = dict(vars(harness._Before))
    harness.prepare()
    yield harness._Before
    for k in ("builtins", "modules", "loaded", "tags", "versions", "modules_tag", "modules_version"):
        if k in saved:
            setattr(harness._Before, k, saved[k])
        elif k in vars(harness._Before):
            delattr(harness._Before, k)


@pytest.mark.skipif(sys.implementation.name != "cpython" or sys.version_info >= (3, 14),
                    reason="dict version tags are checked on CPython 3.11-3.13")
def test_version_tags_move_only_on_modification():
    d = {"a": 1}
    (tag,) = harness._dict_version_views((d,))
    v0 = tag.value
    assert tag.value == v0
    d["a"] = 2
    assert tag.value != v0


def test_fast_path_skips_the_snapshot_and_still_catches_rebinding(prepared, monkeypatch):
    if prepared.tags is None:
        pytest.skip("no dict version tags on this interpreter: the exact comparison always runs")
    real_snapshot = harness._module_snapshot
    monkeypatch.setattr(harness, "_module_snapshot", lambda: pytest.fail("slow path taken for a clean program"))
    assert harness.run("def add(a, b):\n    return a + b\n", "assert add(1, 2) == 3\n", None)["status"] == "passed"
    monkeypatch.setattr(harness, "_module_snapshot", real_snapshot)
    original = math.isclose
    try:
        rec = harness.run("import math\nmath.isclose = lambda *a, **k: True\ndef area(r):\n    return 0.0\n",
                          "import math\nassert math.isclose(area(1.0), 3.14159)\n", None)
    finally:
        math.isclose = original
    assert rec["status"] == "failed" and "math.isclose" in rec["error"], rec


def test_builtins_restored_when_changed(prepared):
    import builtins

    original = builtins.len
    try:
        rec = harness.run("import builtins\nbuiltins.len = lambda x: 3\ndef f():\n    return [1]\n",
                          "assert len(f()) == 1\n", None)
        assert rec["status"] == "passed", rec  # restored before the tests ran
        assert builtins.len is original
    finally:
        builtins.len = original


def test_programs_and_tests_do_not_inherit_future_flags():
    """This module and the harness use ``from __future__ import annotations``; programs must not."""
    prog = "def f(x: int) -> int:\n    return x\nA = f.__annotations__\n"
    assert harness.run(prog, "assert A['x'] is int\n", None)["status"] == "passed"
    codes, _ = rewrite_tests("def g(y: int):\n    pass\nassert g.__annotations__['y'] is int\n")
    ns: dict = {"__fc_truth__": bool, "__fc_cmp__": lambda op, a, b: a is b if op == "is" else a == b}
    for code in codes:
        exec(code, ns)


def test_rewrite_compiles_a_trailing_call_apart_with_the_same_meaning():
    """A suite ending in a lone expression (the benchmarks' call with the test data) compiles as a cached body
    plus that expression; line numbers, assert counts and the namespace are those of the whole suite. Any other
    suite (a statement last, an indented last line, one line) compiles whole."""
    suite = "def run(x):\n    assert x == 1\n    return 1 / (x - 1)\n\nrun(1)\n"
    codes, n = rewrite_tests(suite)
    assert len(codes) == 2 and n == 1
    assert rewrite_tests(suite.replace("run(1)", "run(2)"))[0][0] is codes[0]  # the shared body, compiled once
    ns: dict = {"__fc_truth__": bool, "__fc_cmp__": lambda op, a, b: a == b}
    with pytest.raises(ZeroDivisionError) as info:
        for code in codes:
            exec(code, ns)
    tb, lines = info.value.__traceback__, []
    while tb is not None:
        if tb.tb_frame.f_code.co_filename == "<tests>":
            lines.append(tb.tb_lineno)
        tb = tb.tb_next
    assert lines == [5, 3]
    for whole in ("x = 1\nassert x == 1\n", "def f():\n    pass\n    f()\n", "y = 2\nx = 3\n", "f()\n"):
        assert len(rewrite_tests(whole)[0]) == 1, whole
