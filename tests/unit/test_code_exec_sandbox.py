"""Code benchmarks end to end in the sandbox: verdicts on synthetic items (canonical and broken programs), the
EvalPlus and LiveCodeBench runner rules that decide them, and the metric."""

from __future__ import annotations

import json
import random
import sys

import pytest

from evaluation import code_exec
from evaluation.tasks._code_synth import PROBLEMS
from evaluation.tasks._evalplus import CHAT_PREFILL, FENCE_PREFILL
from evaluation.tasks.base import ScoreContext
from evaluation.tasks.humaneval import HumanEval
from evaluation.tasks.livecodebench import LiveCodeBench, synth_program
from evaluation.tasks.mbpp import MBPP
from fusechat.sandbox import SandboxPool

pytestmark = pytest.mark.skipif(sys.platform != "linux", reason="the sandbox is Linux-only")
UID_BASE = 64200  # apart from the default pool's uids, so concurrent sandbox tests do not meet
BY_NAME = {p.name: p for p in PROBLEMS}


@pytest.fixture(scope="module")
def ctx():
    c = ScoreContext(options={"sandbox": {"uid_base": UID_BASE}})
    yield c
    for res in c.resources.values():
        if hasattr(res, "close"):
            res.close()


@pytest.fixture(scope="module")
def pool(ctx):
    return code_exec.sandbox_pool(ctx.resources, uid_base=UID_BASE)


@pytest.mark.parametrize("task_cls", [HumanEval, MBPP])
def test_evalplus_verdicts_on_synthetic_items(task_cls, ctx) -> None:
    task = task_cls()
    items = task.synthetic(random.Random(3), len(PROBLEMS))
    responses, kinds = [], []
    for it in items:
        prob = BY_NAME[it["entry_point"]]
        ks = ["canonical", *prob.broken]
        kinds.append(ks)
        # Llama/Gemma-style prefill for canonical, Qwen-style for the rest: both continuations are handled
        responses.append([(CHAT_PREFILL if k == "canonical" else FENCE_PREFILL) + prob.solution(k) + "\n```\nok"
                          for k in ks])
    results = task.score_batch(items, responses, ctx)
    for ks, res in zip(kinds, results, strict=True):
        for k, v in zip(ks, res.detail["verdicts"], strict=True):
            base_ok, plus_ok = v["base"] == "passed", v["plus"] == "passed"
            if k == "canonical":
                assert base_ok and plus_ok, v
            elif k == "plus_only":
                assert base_ok and not plus_ok, v
            else:
                assert not base_ok, (k, v)
        n, base_c = len(ks), sum(k in ("canonical", "plus_only") for k in ks)
        assert res.detail["base_pass@1"] == pytest.approx(base_c / n)
        assert res.detail["plus_pass@1"] == pytest.approx(1 / n)
        assert res.score == res.detail["base_pass@1"]  # the table shows base
    assert task.aggregate(items, results) == pytest.approx(100 * sum(r.score for r in results) / len(results))
    summary = task.summary(items, results)
    assert summary["base_pass@1"] == pytest.approx(task.aggregate(items, results))
    assert summary["plus_pass@1"] < summary["base_pass@1"] and summary["shown"] == "base"
    timeouts = [v["base"] for r in results for v in r.detail["verdicts"] if v["base"] == "timeout"]
    assert all(s == "timeout" for s in timeouts)


def _ep(pool, dataset, code, ep, inputs, expected, atol=0.0):
    job = code_exec.evalplus_job(dataset, code, ep, inputs, expected, atol, [0.001] * len(inputs))
    return pool.run(job)


def test_evalplus_rules(pool) -> None:
    """Float tolerance (atol forced to 1e-6 for floats), type check, special oracles, swallowed I/O."""
    assert _ep(pool, "humaneval", "def f(x):\n    return x / 3\n", "f", [[1.0]], [0.3333334]).passed
    assert not _ep(pool, "humaneval", "def f(x):\n    return x / 3\n", "f", [[1.0]], [0.33334]).passed
    assert not _ep(pool, "humaneval", "def f(x):\n    return 1\n", "f", [[1.0]], [1.0000001]).passed  # int vs float
    assert _ep(pool, "humaneval", "def f(x):\n    return [x, x]\n", "f", [[2]], [[2, 2]]).passed
    # MBPP set-equality oracle (Mbpp/2 similar_elements) and the not-None oracle (check_str)
    assert _ep(pool, "mbpp", "def similar_elements(a, b):\n    return [3, 1]\n", "similar_elements",
               [[(1, 3), (3, 1)]], [(1, 3)]).passed
    assert _ep(pool, "mbpp", "import re\ndef check_str(s):\n    return re.match('a', s)\n", "check_str",
               [["abc"], ["xbc"]], [True, False]).passed
    # HumanEval/32 find_zero: any root within atol passes
    poly = ("import math\ndef poly(xs, x):\n    return sum(c * math.pow(x, i) for i, c in enumerate(xs))\n"
            "def find_zero(xs):\n    return 1.0\n")
    assert _ep(pool, "humaneval", poly, "find_zero", [[[-1, 1]]], [99.0], atol=1e-6).passed
    # printing in every call and reading stdin: output is swallowed; reading fails as in evalplus
    chatty = "def f(x):\n    for _ in range(2000):\n        print('x' * 500)\n    return x\n"
    assert _ep(pool, "humaneval", chatty, "f", [[i] for i in range(30)], list(range(30))).passed
    assert not _ep(pool, "humaneval", "def f(x):\n    return input()\n", "f", [[1]], ["1"]).passed
    # a missing entry point and a solution-defined always-equal object fail
    assert not _ep(pool, "humaneval", "def g(x):\n    return x\n", "f", [[1]], [1]).passed
    eq = "class A:\n    def __eq__(self, o):\n        return True\ndef f(x):\n    return A()\n"
    assert not _ep(pool, "humaneval", eq, "f", [[1]], [5]).passed


def test_evalplus_time_limit_and_task_cap() -> None:
    limits = code_exec.evalplus_time_limits([0.01, 0.5, 2.0])
    assert limits == [1.0, 2.0, 8.0]  # max(1 s, 4 x ground truth)
    job = code_exec.evalplus_job("mbpp", "def f(x):\n    return x\n", "f", [[1]] * 100, [1] * 100, 0, [1.0] * 100)
    assert job.timeout_s == 62.0  # min(60, sum of limits) + 2


def test_lcb_verdicts_on_synthetic_items(ctx) -> None:
    task = LiveCodeBench()
    items = task.synthetic(random.Random(5), 6)
    responses, kinds = [], []
    for it in items:
        name = json.loads(it["metadata"]).get("func_name") or it["question_title"].split()[1]
        ks = ["canonical", *[k for k in BY_NAME[name].broken if k != "loop"]]
        kinds.append(ks)
        responses.append([f"Here you go:\n```python\n{synth_program(it, k)}\n```\n" for k in ks] + ["no fence"])
    results = task.score_batch(items, responses, ctx)
    for ks, res in zip(kinds, results, strict=True):
        assert res.detail["graded"][0] is True, res.detail
        assert res.detail["status"][-1] == "no_code" and res.detail["graded"][-1] is False
        n, c = len(ks) + 1, sum(res.detail["graded"])
        assert res.score == pytest.approx(code_exec.pass_at_k(n, c, 1))
        assert 1 <= c < n
    assert task.aggregate(items, results) == pytest.approx(100 * sum(r.score for r in results) / len(results))
    summary = task.summary(items, results)
    assert summary["problems"] == len(items) and summary["window"] == ["2024-06-30", "2024-11-01"]


def _lcb(pool, code, ins, outs, fn=None):
    return pool.run(code_exec.lcb_job(code, ins, outs, fn, timeout_s=2))


def test_lcb_stdin_rules(pool: SandboxPool) -> None:
    ins, outs = ["3\n1 2 3\n", "2\n5 5\n"], ["6\n", "10\n"]
    variants = {
        "input": "n = int(input())\nprint(sum(map(int, input().split())))\n",
        "read": "import sys\ndata = sys.stdin.read().split()\nprint(sum(map(int, data[1:])))\n",
        "readline": "import sys\nsys.stdin.readline()\nprint(sum(map(int, sys.stdin.readline().split())))\n",
        "main_guard": "def main():\n    input()\n    print(sum(map(int, input().split())))\n\n"
                      "if __name__ == '__main__':\n    main()\n",
        "exit": "import sys\ninput()\nprint(sum(map(int, input().split())))\nsys.exit(0)\n",
        "spaces": "input()\nprint('  ' + str(sum(map(int, input().split()))) + '  ')\n",
    }
    for name, code in variants.items():
        assert _lcb(pool, code, ins, outs).passed, name
    assert _lcb(pool, "input()\nprint(6.0000001)\n", ["1\n1\n"], ["6\n"]).passed  # float-tolerant lines
    assert not _lcb(pool, "input()\nprint(7)\n", ins, outs).passed
    # LCB quirks kept: its header's `from io import *` / `from sys import *` bind `open` and `stdin` at module
    # level, so open(0) and a bare `stdin` read the real (empty) stdin, not the test input
    assert not _lcb(pool, "data = open(0).read().split()\nprint(sum(map(int, data[1:])))\n", ins, outs).passed
    assert not _lcb(pool, "data = stdin.read().split()\nprint(sum(map(int, data[1:])))\n", ins, outs).passed
    assert not _lcb(pool, "while True:\n    pass\n", ins, outs).passed
    # LCB's rewrite puts the code in a function: a `global` of a top-level name breaks, as in LCB
    glob = "n = int(input())\ndef f():\n    global n\n    return n\nprint(f())\n"
    assert not _lcb(pool, glob, ["6\n"], ["6\n"]).passed


def test_lcb_call_based_rules(pool: SandboxPool) -> None:
    sol = "class Solution:\n    def f(self, xs: List[int], k: int) -> List[int]:\n        return {ret}\n"
    ins, outs = ["[1, 2]\n3"], ["[4, 5]"]
    assert _lcb(pool, sol.format(ret="[x + k for x in xs]"), ins, outs, "f").passed
    assert _lcb(pool, sol.format(ret="tuple(x + k for x in xs)"), ins, outs, "f").passed  # tuple -> list
    assert not _lcb(pool, sol.format(ret="[x + k + 1 for x in xs]"), ins, outs, "f").passed
    assert _lcb(pool, "def f(xs, k):\n    return [x + k for x in xs]\n", ins, outs, "f").passed  # no class
    eq = "class A:\n    def __eq__(self, o):\n        return True\nclass Solution:\n    def f(self, xs, k):\n" \
         "        return A()\n"
    assert not _lcb(pool, eq, ins, outs, "f").passed
    slow_load = "import time\ntime.sleep(5)\nclass Solution:\n    def f(self, xs, k):\n        return [4, 5]\n"
    assert not _lcb(pool, slow_load, ins, outs, "f").passed  # loading must finish within the timeout


class _ScriptedGenerator:
    """A stand-in model for the generation stage: answers each code prompt with a canonical or broken program
    (continuing after the prefill, like a chat model), cut at the stop strings as vLLM would."""

    def __init__(self, family: str, answer) -> None:
        from fusechat.tiny_world.chat_formats import FAMILIES

        self.family, self.answer, self.fam = family, answer, FAMILIES[family]

    @property
    def tokenizer(self):
        import jinja2

        fam = self.fam

        class Tok:
            def apply_chat_template(self, messages, tokenize=False, add_generation_prompt=False, **_template_vars):
                env = jinja2.Environment()
                env.globals["raise_exception"] = lambda m: (_ for _ in ()).throw(ValueError(m))
                return env.from_string(fam.chat_template).render(
                    messages=messages, add_generation_prompt=add_generation_prompt, bos_token=fam.bos,
                    eos_token=fam.eos)

        return Tok()

    def complete(self, prompts, params):
        from fusechat.generation import Completion

        out = []
        for text in prompts:
            row = []
            for j in range(params.n):
                full = self.answer(text, j)
                cut = min([full.find(s) for s in params.stop if s in full] or [len(full)])
                row.append(Completion(full[:cut], "stop", 10, 10))
            out.append(row)
        return out


@pytest.mark.parametrize("family", ["llama3", "qwen2", "gemma2"])
def test_code_tasks_through_the_generation_stage(family, ctx, tmp_path) -> None:
    """generate_task (prompt rendering, prefill, stops, n samples) then score_batch: canonical answers pass,
    broken ones fail, per task and family."""
    from evaluation.generate import generate_task
    from fusechat.io import read_jsonl

    for task in (HumanEval(), MBPP(), LiveCodeBench()):
        items = task.synthetic(random.Random(11), 3)

        def answer(text, j, task=task, items=items):
            it = next(x for x in items if (x.get("question_content") or x.get("prompt", "").strip()) in text)
            kind = "canonical" if j % 2 == 0 else "wrong"
            if isinstance(task, LiveCodeBench):
                name = json.loads(it["metadata"]).get("func_name") or it["question_title"].split()[1]
                kind = kind if kind in ("canonical", *BY_NAME[name].broken) else next(iter(BY_NAME[name].broken))
                return f"```python\n{synth_program(it, kind)}\n```\nThis solves it."
            prob = BY_NAME[it["entry_point"]]
            kind = kind if kind == "canonical" or kind in prob.broken else next(iter(prob.broken))
            return prob.solution(kind) + "\n```\nExplanation follows."

        gen = _ScriptedGenerator(family, answer)
        generate_task(lambda gen=gen: gen, task, items, family, tmp_path / family, "M", 7, 8, cap=None)
        rows = read_jsonl(tmp_path / family / f"{task.id}.jsonl")
        assert all(resp.startswith(r["prefill"]) for r in rows for resp in r["responses"])
        results = task.score_batch(items, [r["responses"] for r in rows], ctx)
        if isinstance(task, LiveCodeBench):
            assert all(len(r.detail["graded"]) == 10 for r in results)
            assert all(r.detail["graded"][0] and not r.detail["graded"][1] for r in results), task.id
            assert all(r.score == pytest.approx(0.5) for r in results)
        else:
            assert all(r.score == 1.0 for r in results), [r.detail for r in results]
