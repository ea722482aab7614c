"""Test suites compiled with every ``assert`` routed through the harness's checks (trusted side).

``assert a OP b, m`` becomes ``assert __fc_truth__(__fc_cmp__('OP', a, b)), m`` and ``assert x`` becomes
``assert __fc_truth__(x)``: :mod:`fusechat.sandbox.harness` counts the executed asserts and refuses comparisons
decided by a solution-defined dunder. Done by the worker, once per test suite; kept apart from the harness so
that the zygote does not hold ``ast`` (about 1.5 MB that every fork and exit would pay for).
"""

from __future__ import annotations

import ast
import functools
from typing import Any

from fusechat.sandbox.harness import TESTS_FILENAME

_CMP_NAMES = {ast.Eq: "==", ast.NotEq: "!=", ast.Lt: "<", ast.LtE: "<=", ast.Gt: ">", ast.GtE: ">=", ast.In: "in",
              ast.NotIn: "not in"}
_STMT_LISTS = ("body", "orelse", "finalbody", "handlers", "cases")


class _AssertRewriter:
    """``assert a OP b, m`` -> ``assert __fc_truth__(__fc_cmp__('OP', a, b)), m`` (and ``assert x`` likewise).

    Asserts are statements, so only statement lists are walked (bodies, ``else``/``finally`` blocks, exception
    handlers, ``match`` cases), never expressions: test suites are mostly large literals, and visiting every
    node of them made rewriting ~4x slower than parsing.
    """

    def __init__(self) -> None:
        self.count = 0

    def _new(self, node: ast.AST, at: ast.stmt) -> Any:
        node.lineno, node.col_offset = at.lineno, at.col_offset
        node.end_lineno, node.end_col_offset = at.end_lineno, at.end_col_offset
        return node

    def _call(self, name: str, args: list[ast.expr], at: ast.stmt) -> ast.Call:
        return self._new(ast.Call(self._new(ast.Name(name, ast.Load()), at), args, []), at)

    def _wrap_test(self, test: ast.expr, at: ast.stmt) -> ast.expr:
        if isinstance(test, ast.Compare) and len(test.ops) == 1 and type(test.ops[0]) in _CMP_NAMES:
            name = _CMP_NAMES[type(test.ops[0])]
            return self._call("__fc_cmp__", [self._new(ast.Constant(name), at), test.left, test.comparators[0]], at)
        if isinstance(test, ast.UnaryOp) and isinstance(test.op, ast.Not):
            inner = self._call("__fc_truth__", [self._wrap_test(test.operand, at)], at)
            return self._new(ast.UnaryOp(ast.Not(), inner), at)
        return test

    def rewrite(self, node: ast.AST) -> None:
        """Rewrite every assert in the statement lists under ``node``, in place."""
        for field in _STMT_LISTS:
            block = getattr(node, field, None)
            if not isinstance(block, list):
                continue
            for i, stmt in enumerate(block):
                if isinstance(stmt, ast.Assert):
                    self.count += 1
                    wrapped = self._call("__fc_truth__", [self._wrap_test(stmt.test, stmt)], stmt)
                    block[i] = ast.copy_location(ast.Assert(wrapped, stmt.msg), stmt)
                else:
                    self.rewrite(stmt)


def _rewrite_whole(source: str) -> tuple[Any, int]:
    """``source`` parsed, its asserts rewritten, compiled: (code object, number of assert statements)."""
    tree = ast.parse(source, TESTS_FILENAME)
    rw = _AssertRewriter()
    rw.rewrite(tree)
    return compile(tree, TESTS_FILENAME, "exec", dont_inherit=True), rw.count


#: The last few suite bodies compiled (the worker's, across jobs): the suites of one benchmark share their body
#: (the harness modules) and differ only in their last line (the call with the test data).
_rewrite_body = functools.lru_cache(maxsize=8)(_rewrite_whole)


def rewrite_tests(source: str) -> tuple[tuple[Any, ...], int]:
    """Compile ``source`` with asserts rewritten; return (code objects to execute in order, number of asserts).

    A suite whose last line is a lone expression at column 0 (the benchmarks' generated call, holding the test
    data) is compiled in two parts: the body before it (rewritten through the AST, and cached, so the suites of
    one benchmark compile their shared body once) and the expression (compiled straight from source: an
    expression holds no assert statement, and parsing a large data literal into Python AST objects cost four
    times as much). Executing the two in order is executing the suite: both parts parse on their own, so the cut
    lies between two complete statements. Any other suite is compiled whole. No ``__future__`` flags are
    inherited from this module: the tests compile as they would on their own.
    """
    body, newline, last = source.rstrip("\n").rpartition("\n")
    if newline and last and not last[0].isspace():
        try:  # the same line numbers as in the whole suite
            tail = compile("\n" * (body.count("\n") + 1) + last, TESTS_FILENAME, "eval", dont_inherit=True)
            head, count = _rewrite_body(body)
        except (SyntaxError, ValueError):
            pass  # not a lone expression after complete statements: compiled whole below
        else:
            return (head, tail), count
    code, count = _rewrite_whole(source)
    return (code,), count
