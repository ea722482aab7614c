"""Test derivation for the coding prompts, static checks, and code extraction from model responses.

Paper rule (FuseChat-3.0 blog, "Filtering", Code; docs/method.md): a code response is *correct* when it passes
static analysis **and** test cases; the harness and analyzer were not released, so this module is our
explicit version of both. Dynamic checks run in :mod:`fusechat.sandbox`.

**self-oss-instruct** (``bigcode/self-oss-instruct-sc2-exec-filter-50k``; fields ``fingerprint, sha1, seed,
concepts, instruction, response, prompt, id``). Assumption, written down because we could not open the data
here: the ``response`` holds the reference solution in fenced code blocks followed by a tests section -- a
heading or tag whose text is "Tests" (``### Tests``, ``## Tests``, ``[Tests]``, ``**Tests**``) -- whose fenced
code blocks are assert-based tests. :func:`self_oss_tests` returns those blocks joined; the rows were already
execution-filtered by their authors, so the tests run against the reference solution.

**LeetCode** (``greengerong/leetcode``; fields ``id, slug, title, difficulty, content, java, c++, python,
javascript, explanation``) has no test cases. :func:`leetcode_tests` derives them from the statement's
examples: each ``Example N`` block's ``Input: a = …, b = …`` and ``Output: …`` become
``assert <entry>(<a>, <b>) == <output>``, with values parsed as Python literals after mapping
``true/false/null``. The entry point is the function (or ``Solution`` method) named in the row's ``python``
column. Limits, all counted as "no derivable tests" rather than guessed:

* inputs that are linked lists or trees (``head``/``root``/``ListNode``/``TreeNode``) -- the examples
  write them as arrays that would need a constructor;
* design problems (``Input`` is a list of method names and a list of argument lists);
* values that are not Python literals after the mapping (e.g. ``"a "`` with stray spaces survives, but
  ``[[1,2],[3]]`` mixed with prose does not);
* problems accepting *any* valid answer or any order ("return the answer in any order") -- we skip them,
  since exact equality would fail correct solutions;
* the examples are few (usually 2-3) and public: a solution that special-cases them passes. These are weak
  tests, stated as such.
"""

from __future__ import annotations

import ast
import builtins
import html
import re
import symtable
from dataclasses import dataclass, field

_FENCE = re.compile(r"```[ \t]*([A-Za-z0-9_+-]*)[^\n]*\n(.*?)```", re.DOTALL)
_TESTS_HEADING = re.compile(r"^\s*(?:#{1,6}\s*|\[|\*\*)?\s*tests?\s*(?:\]|\*\*)?\s*:?\s*$",
                            re.IGNORECASE | re.MULTILINE)


def code_blocks(text: str) -> list[tuple[str, str]]:
    """All fenced code blocks of ``text`` as (language, code)."""
    return [(m.group(1).lower(), m.group(2)) for m in _FENCE.finditer(text or "")]


def extract_code(response: str) -> str | None:
    """The program of a model response: the longest ```python (or ```py) block; else the longest unlabelled
    block that parses; else the whole response when it parses as Python; else None."""
    blocks = code_blocks(response)
    py = [c for lang, c in blocks if lang in ("python", "py", "python3")]
    if py:
        return max(py, key=len)
    for c in sorted((c for lang, c in blocks if not lang), key=len, reverse=True):
        if _parses(c):
            return c
    if response and "```" not in response and _parses(response):
        return response
    return None


def _parses(src: str) -> bool:
    try:
        ast.parse(src)
        return True
    except (SyntaxError, ValueError):
        return False


# --------------------------------------------------------------------------------------------- static checks
@dataclass
class StaticReport:
    """Outcome of :func:`static_check`; ``ok`` only when every check passed."""

    parses: bool = False
    compiles: bool = False
    defines_entry_point: bool | None = None
    undefined_names: list[str] = field(default_factory=list)
    error: str = ""

    @property
    def ok(self) -> bool:
        """All checks passed."""
        return self.parses and self.compiles and self.defines_entry_point is not False and not self.undefined_names


def undefined_names(src: str) -> list[str]:
    """Global names read somewhere in ``src`` but never bound at module level nor builtins (sorted)."""
    top = symtable.symtable(src, "<program>", "exec")
    bound = {s.get_name() for s in top.get_symbols() if s.is_assigned() or s.is_imported()}
    bound |= {s.get_name() for s in top.get_symbols() if s.is_namespace()}  # def/class at top level
    star = "*" in bound or re.search(r"^\s*from\s+\S+\s+import\s+\*", src, re.MULTILINE) is not None
    used: set[str] = set()

    def walk(table: symtable.SymbolTable) -> None:
        for s in table.get_symbols():
            if s.is_referenced() and (s.is_global() or table.get_type() == "module") and not s.is_assigned() \
                    and not s.is_imported() and not s.is_parameter():
                used.add(s.get_name())
        for child in table.get_children():
            walk(child)

    walk(top)
    if star:
        return []
    return sorted(n for n in used if n not in bound and not hasattr(builtins, n)
                  and n not in ("__name__", "__file__", "__doc__", "__builtins__", "__spec__"))


def entry_point_defined(src: str, entry_point: str) -> bool:
    """Whether ``entry_point`` is a top-level function/class/assignment, or a method of a top-level class."""
    tree = ast.parse(src)
    for node in tree.body:
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef) and node.name == entry_point:
            return True
        if isinstance(node, ast.Assign) and any(isinstance(t, ast.Name) and t.id == entry_point
                                                for t in node.targets):
            return True
        if isinstance(node, ast.ClassDef) and any(
                isinstance(b, ast.FunctionDef | ast.AsyncFunctionDef) and b.name == entry_point for b in node.body):
            return True
    return False


def static_check(src: str, entry_point: str | None = None) -> StaticReport:
    """Parse, compile, entry point defined (when given), no undefined global names."""
    rep = StaticReport()
    try:
        ast.parse(src)
        rep.parses = True
        compile(src, "<program>", "exec", dont_inherit=True)
        rep.compiles = True
    except (SyntaxError, ValueError) as exc:
        rep.error = f"{type(exc).__name__}: {exc}"
        return rep
    if entry_point:
        rep.defines_entry_point = entry_point_defined(src, entry_point)
    try:
        rep.undefined_names = undefined_names(src)
    except (SyntaxError, ValueError) as exc:  # pragma: no cover - already parsed
        rep.error = str(exc)
    return rep


# ----------------------------------------------------------------------------------------- self-oss-instruct
def self_oss_tests(response: str) -> tuple[str | None, str | None]:
    """(solution code, tests code) of a self-oss-instruct ``response`` (None for a missing part)."""
    matches = list(_TESTS_HEADING.finditer(response or ""))
    m = matches[-1] if matches else None
    if m is None:
        return extract_code(response), None
    before, after = response[: m.start()], response[m.end():]
    tests = [c for lang, c in code_blocks(after) if lang in ("python", "py", "")]
    return extract_code(before), ("\n".join(tests) if tests else None)


# ------------------------------------------------------------------------------------------------ LeetCode
_EXAMPLE = re.compile(r"\*\*Example\s+\d+:?\*\*:?(.*?)(?=\*\*Example\s+\d+|\*\*Constraints|\Z)", re.DOTALL)
_INPUT = re.compile(r"\*\*Input:?\*\*:?\s*(.*?)\s*\n?\s*\*\*Output:?\*\*:?\s*(.*?)\s*(?:\n|$)", re.DOTALL)
_SKIP_HINTS = ("ListNode", "TreeNode", "Node.", "in any order", "any valid", "any of them", "multiple answers",
               "multiple valid", "return any")


def _unescape(s: str) -> str:
    s = html.unescape(s).replace("\\[", "[").replace("\\]", "]").replace("\\_", "_").replace("\\*", "*")
    return s.replace("`", "").strip()


def _literal(s: str) -> object:
    s = re.sub(r"\btrue\b", "True", re.sub(r"\bfalse\b", "False", re.sub(r"\bnull\b", "None", s)))
    return ast.literal_eval(s.strip())


def _split_args(s: str) -> list[tuple[str, str]]:
    """``a = [1,2], b = "x, y"`` -> [("a", "[1,2]"), ("b", '"x, y"')] (commas inside brackets/quotes kept)."""
    parts, depth, quote, cur = [], 0, None, ""
    for ch in s:
        if quote:
            quote = None if ch == quote else quote
        elif ch in "\"'":
            quote = ch
        elif ch in "([{":
            depth += 1
        elif ch in ")]}":
            depth -= 1
        if ch == "," and depth == 0 and not quote:
            parts.append(cur)
            cur = ""
        else:
            cur += ch
    parts.append(cur)
    out = []
    for p in parts:
        if "=" not in p:
            raise ValueError(f"argument without a name: {p!r}")
        name, val = p.split("=", 1)
        out.append((name.strip(), val.strip()))
    return out


def leetcode_entry_point(python_solution: str) -> tuple[str | None, bool]:
    """(function name, is a ``Solution`` method) from the row's python column."""
    code = extract_code(python_solution) or python_solution
    try:
        tree = ast.parse(code)
    except (SyntaxError, ValueError):
        return None, False
    for node in tree.body:
        if isinstance(node, ast.ClassDef) and node.name == "Solution":
            for b in node.body:
                if isinstance(b, ast.FunctionDef) and not b.name.startswith("_"):
                    return b.name, True
        if isinstance(node, ast.FunctionDef):
            return node.name, False
    return None, False


def leetcode_tests(content: str, python_solution: str) -> tuple[str | None, str]:
    """(tests code, reason) derived from the statement's examples; tests is None with the reason when none."""
    if any(h in content for h in _SKIP_HINTS):
        return None, "unsupported: linked list / tree / any-order answer"
    entry, is_method = leetcode_entry_point(python_solution)
    if entry is None:
        return None, "no python entry point"
    call = f"Solution().{entry}" if is_method else entry
    lines = []
    for ex in _EXAMPLE.finditer(content):
        m = _INPUT.search(ex.group(1))
        if not m:
            continue
        try:
            args = _split_args(_unescape(m.group(1)))
            if any(a in ("head", "root") for a, _ in args):
                return None, "unsupported: linked list / tree input"
            vals = [repr(_literal(v)) for _, v in args]
            out = repr(_literal(_unescape(m.group(2))))
        except (ValueError, SyntaxError) as exc:
            return None, f"example not a Python literal: {exc}"
        lines.append(f"assert {call}({', '.join(vals)}) == {out}")
    if not lines:
        return None, "no parsable examples"
    return "\n".join(lines) + "\n", f"{len(lines)} examples"
