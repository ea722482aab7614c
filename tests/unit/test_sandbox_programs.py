"""The programs the code benchmarks run in the sandbox (``evaluation/sandbox_programs``): their functions called
directly, the same texts run through the sandbox, and a scan that no program the sandbox runs hides in a string
literal of the harness modules."""

from __future__ import annotations

import ast
import signal
import sys
import time
from pathlib import Path

import pytest

from evaluation import code_exec
from evaluation import sandbox_programs as programs
from fusechat.sandbox import SandboxPool

REPO = Path(__file__).resolve().parents[2]
UID_BASE = 64300  # apart from the other sandbox tests' uids


# ------------------------------------------------------------------------------------------------ direct calls
@pytest.fixture
def evalplus_check(monkeypatch):
    mod = programs.link("evalplus_check")
    monkeypatch.setitem(vars(mod), "add", lambda a, b: a + b)
    return mod


def test_evalplus_check_direct(evalplus_check) -> None:
    run = evalplus_check._fcx_evalplus
    run("humaneval", "add", [(1, 2), (3, 4)], [3, 7], [1.0, 1.0], 0.0)
    with pytest.raises(AssertionError, match="test 1: wrong output"):
        run("humaneval", "add", [(1, 2), (3, 4)], [3, 8], [1.0, 1.0], 0.0)
    run("humaneval", "add", [(0.1, 0.2)], [0.3], [1.0], 0.0)  # atol forced to 1e-6 for a float output
    with pytest.raises(AssertionError, match="not close"):
        run("humaneval", "add", [(0.1, 0.2)], [0.31], [1.0], 0.0)
    with pytest.raises(AssertionError, match="not defined"):
        run("humaneval", "missing", [()], [None], [1.0], 0.0)


def test_evalplus_check_time_limit_and_swallowed_io(evalplus_check, monkeypatch) -> None:
    def slow(x):
        time.sleep(5)

    def chatty(x):
        print("noise")
        return input()  # evalplus' stdin raises on read

    monkeypatch.setitem(vars(evalplus_check), "slow", slow)
    monkeypatch.setitem(vars(evalplus_check), "chatty", chatty)
    before = signal.getsignal(signal.SIGALRM)
    try:
        t0 = time.monotonic()
        with pytest.raises(evalplus_check._FcxTimeoutError):
            evalplus_check._fcx_evalplus("humaneval", "slow", [(1,)], [None], [0.05], 0.0)
        assert time.monotonic() - t0 < 2
        with pytest.raises(OSError):
            evalplus_check._fcx_evalplus("humaneval", "chatty", [(1,)], [None], [1.0], 0.0)
        assert sys.stdout is not None and sys.stdin is not None
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, before)


def test_evalplus_special_oracles(evalplus_check) -> None:
    m = evalplus_check._fcx_matches
    assert m("mbpp", "similar_elements", ((1, 2), (2, 1)), [2, 1], [1, 2], 0.0)  # set equality
    assert m("mbpp", "check_str", ("a",), "match", True, 0.0)  # not-None task
    assert not m("mbpp", "check_str", ("a",), None, True, 0.0)
    assert m("mbpp", "are_equivalent", (1, 2), False, True, 0.0)
    assert not m("humaneval", "similar_elements", ((1, 2), (2, 1)), [2, 1], [1, 2], 0.0)


def test_compare_eq_uses_the_harness_guard(monkeypatch) -> None:
    compare = programs.link("compare")
    assert compare._fcx_eq([1, 2], [1, 2]) and not compare._fcx_eq(1, 2)
    seen = []
    monkeypatch.setitem(vars(compare), "__fc_cmp__", lambda op, a, b: seen.append(op) or "guarded")
    assert compare._fcx_eq(1, 2) == "guarded" and seen == ["=="]


def test_loader_decodes_both_blob_kinds() -> None:
    load = programs.link("loader")._fcx_load
    for value in ([float("nan"), 1, "x", (1, 2)] * 20_000, [complex(1, 2), frozenset({1})] * 30_000):
        expr = code_exec.embed_value(value)
        assert expr.startswith("_fcx_load(")
        assert repr(eval(expr, {"_fcx_load": load})) == repr(value)  # noqa: S307 - our own data expression


def test_lcb_output_comparisons() -> None:
    lcb = programs.link("lcb_check")
    ok = lcb._fcx_stdout_ok
    assert ok("3\n", "3") and ok(" 1 2 \n", "1 2") and ok("a\n\nb\n", "a\nb\n")
    assert ok("0.3000001\n", "0.3") and not ok("0.31\n", "0.3") and not ok("x\n", "y")
    assert not ok("1\n2\n", "1 2")  # LCB's token-set step never matches: left out
    assert lcb._fcx_call_ok((1, 2), [1, 2]) and lcb._fcx_call_ok([1, 2], [[1, 2]])
    assert lcb._fcx_call_ok([(1, 2)], [[[1, 2]]]) and not lcb._fcx_call_ok(3, [4])
    assert lcb._fcx_json_fix([{"1": 2}], {"3": 4}) == ([{1: 2}], [{3: 4}])
    assert lcb._fcx_json_fix([{"a": 2}], [{"3": 4}]) == ([{"a": 2}], [{3: 4}])  # a non-int key: step skipped


def test_lcb_check_direct(monkeypatch) -> None:
    lcb = programs.link("lcb_check")
    monkeypatch.setitem(vars(lcb), "double", lambda x: 2 * x)

    def code():
        print(int(input()) + 1)

    monkeypatch.setitem(vars(lcb), "code", code)
    before = signal.getsignal(signal.SIGALRM)
    try:
        lcb._fcx_lcb("double", False, ["2", "[1]"], ["4", "[1, 1]"], 6)
        with pytest.raises(AssertionError, match="test 1: wrong answer"):
            lcb._fcx_lcb("double", False, ["2", "3"], ["4", "7"], 6)
        lcb._fcx_lcb(None, False, ["1\n", "5\n"], ["2\n", "6\n"], 6)
        with pytest.raises(AssertionError, match="test 0: wrong answer"):
            lcb._fcx_lcb(None, False, ["1\n"], ["3\n"], 6)
        assert sys.stdin is not None and callable(open)
    finally:
        signal.alarm(0)
        signal.signal(signal.SIGALRM, before)


def test_lcb_prelude_texts() -> None:
    alarm = programs.link("lcb_load_alarm")
    alarm._fcx_arm_load_alarm(100)
    assert 0 < signal.alarm(0) <= 100
    ns: dict = {}
    limit = sys.getrecursionlimit()
    try:
        exec(compile(programs.source("lcb_import_header"), "<header>", "exec"), ns)  # noqa: S102 - LCB's imports
        assert sys.getrecursionlimit() == 6 * 10**5
    finally:
        sys.setrecursionlimit(limit)
    # LCB's quirks: ``from typing import *`` comes last (typing.Counter), ``from sys import *`` binds stdin
    assert ns["heappush"] is __import__("heapq").heappush and ns["stdin"] is sys.stdin
    assert ns["Counter"] is __import__("typing").Counter
    program = code_exec.lcb_program("x = 1\n", "f")
    assert program.index("_fcx_arm_load_alarm(6)") < program.index("from string import *") < program.index("x = 1")


def test_program_modules_follow_the_rules() -> None:
    """Each module's text runs on its own: no ``__future__`` import, no import of this repository at run time."""
    for name in programs.REQUIRES:
        tree = ast.parse(programs.source(name))
        for node in tree.body:
            assert not (isinstance(node, ast.ImportFrom) and node.module == "__future__"), name
            if isinstance(node, (ast.Import, ast.ImportFrom)):
                mods = [a.name for a in node.names] if isinstance(node, ast.Import) else [node.module or ""]
                assert not any(m.split(".")[0] in ("evaluation", "fusechat", "evalplus") for m in mods), name
    for name in set(programs.REQUIRES) - {"lcb_import_header"}:  # LCB's header binds its names by design
        bound = {a.asname or a.name for node in ast.parse(programs.source(name)).body
                 if isinstance(node, (ast.Import, ast.ImportFrom)) for a in node.names}
        bound |= {node.name for node in ast.parse(programs.source(name)).body
                  if isinstance(node, (ast.FunctionDef, ast.ClassDef))}
        bound |= {t.id for node in ast.parse(programs.source(name)).body if isinstance(node, ast.Assign)
                  for t in node.targets if isinstance(t, ast.Name)}
        # the suite runs in the solution's namespace after it: it may not rebind a name the solution uses
        assert all(b.lower().startswith("_fcx") for b in bound), (name, sorted(bound))
    with pytest.raises(KeyError):
        programs.source("nope")
    with pytest.raises(ValueError):
        programs.call("print", "1")


# ------------------------------------------------------------------------------------------------ through the sandbox
@pytest.mark.skipif(sys.platform != "linux", reason="the sandbox is Linux-only")
def test_programs_through_the_sandbox_and_chains() -> None:
    add = "def add(a, b):\n    return a + b\n"
    wrong = "def add(a, b):\n    return a - b\n"
    base = code_exec.evalplus_job("humaneval", add, "add", [(1, 2)], [3], 0.0, [0.01])
    plus = code_exec.evalplus_job("humaneval", add, "add", [(1, 2), (5, 5)], [3, 10], 0.0, [0.01, 0.01])
    bad_base = code_exec.evalplus_job("humaneval", wrong, "add", [(1, 2)], [3], 0.0, [0.01])
    stdin = code_exec.lcb_job("a, b = map(int, input().split())\nprint(a + b)\n", ["1 2\n", "3 4\n"],
                              ["3\n", "7\n"], None)
    call = code_exec.lcb_job("class Solution:\n    def f(self, x):\n        return x * 2\n", ["3"], ["7"], "f")
    with SandboxPool(workers=2, uid_base=UID_BASE) as pool:
        ran = code_exec.run_chains(pool, [[base, plus], [bad_base, plus], [stdin], [call]])
        assert [[r.status for r in rs] for rs in ran] == [["passed", "passed"], ["failed"], ["passed"], ["failed"]]
        assert "wrong output" in ran[1][0].detail and "wrong answer" in ran[3][0].detail
        assert [r.status for r in pool.run_many([base, bad_base])] == ["passed", "failed"]


# ------------------------------------------------------------------------------------------------ no code in strings
#: Modules that build or run what the sandbox executes; the programs themselves live in evaluation/sandbox_programs.
HARNESS_MODULES = ["evaluation/code_exec.py", "evaluation/sandbox_programs/__init__.py",
                   *sorted(str(p.relative_to(REPO)) for p in (REPO / "fusechat" / "sandbox").glob("*.py"))]
#: String literals that are Python but no program of ours, each with why it stays a literal.
ALLOWED = {
    # the trusted worker's and zygote's interpreter entry points (an import and a call; nothing sandboxed)
    "from fusechat.sandbox.worker import main; main()",
    "from fusechat.sandbox.zygote import main; main()",
    # LiveCodeBench's own stdin rewrite glue (upstream's text, wrapping the model's program lines in ``code()``)
    "stdin = sys.stdin\nstdout = sys.stdout\ndef code():\n",
}


def _string_literals(tree: ast.AST) -> list[tuple[int, str]]:
    """Every string constant and f-string (formatted parts as ``x``) that is not a docstring."""
    docs = set()
    for node in ast.walk(tree):
        if isinstance(node, (ast.Module, ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)) and node.body:
            first = node.body[0]
            if isinstance(first, ast.Expr) and isinstance(first.value, ast.Constant):
                docs.add(id(first.value))
    out = []
    for node in ast.walk(tree):
        if isinstance(node, ast.JoinedStr):
            out.append((node.lineno, "".join(v.value if isinstance(v, ast.Constant) else "x" for v in node.values)))
            docs.update(id(v) for v in node.values)
    for node in ast.walk(tree):
        if isinstance(node, ast.Constant) and isinstance(node.value, str) and id(node) not in docs:
            out.append((node.lineno, node.value))
    return out


_ONE_LINERS = (ast.Expr, ast.Assign, ast.AnnAssign)  # "size=1m,mode=1777" and "worker: x" parse as these


def _is_statement_code(text: str) -> bool:
    """Python with a statement beyond a lone expression or assignment (a definition, import, loop, ...), or with
    several statements; also when it ends in an open block (``def f():`` with its body to come)."""
    for candidate in (text, text.rstrip() + "\n    pass\n"):
        try:
            tree = ast.parse(candidate)
        except (SyntaxError, ValueError):
            continue
        if any(not isinstance(stmt, _ONE_LINERS) for stmt in tree.body):
            return True
        return len(tree.body) > 1 and any(not isinstance(stmt, ast.Expr) for stmt in tree.body)
    return False


@pytest.mark.parametrize("path", HARNESS_MODULES)
def test_no_sandbox_program_in_a_string_literal(path: str) -> None:
    tree = ast.parse((REPO / path).read_text())
    hidden = [(line, text[:60]) for line, text in _string_literals(tree)
              if text not in ALLOWED and _is_statement_code(text)]
    assert not hidden, f"{path}: Python in string literals (move it to evaluation/sandbox_programs): {hidden}"


def test_the_scan_finds_code_in_strings() -> None:
    src = ('X = "def f(a):\\n    return a\\n"\nY = f"import os\\nos.{1}"\nZ = "for i in x:\\n"\nW = "a == b"\n'
           'V = "a = 1; b = 2"\nU = "size=1m,mode=1777"\n')
    found = {t for _, t in _string_literals(ast.parse(src)) if _is_statement_code(t)}
    assert found == {"def f(a):\n    return a\n", "import os\nos.x", "for i in x:\n", "a = 1; b = 2"}
