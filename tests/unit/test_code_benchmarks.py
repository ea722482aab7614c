"""Code benchmarks without running programs: prompts per family, extraction and sanitizing, pass@k, the LCB date
window and test-case decoding, the data embedding and the float comparison used inside the sandbox."""

from __future__ import annotations

import io
import json
import math
import pickle
import random

import jinja2
import pytest

from evaluation import code_exec, sandbox_programs
from evaluation.tasks import all_tasks
from evaluation.tasks._evalplus import (
    CHAT_PREFILL,
    FENCE_PREFILL,
    FUSEEVAL_STOP,
    INSTRUCTION_PREFIX,
    QWEN_SYSTEM,
    RESPONSE_PREFIX,
    completion_text,
    evalplus_prompt,
    sanitize,
)
from evaluation.tasks.humaneval import HumanEval
from evaluation.tasks.livecodebench import (
    LCB_REVISION,
    SYSTEM_MESSAGE_GENERIC,
    LiveCodeBench,
    in_window,
    lcb_prompt,
    problem_tests,
)
from evaluation.tasks.mbpp import MBPP
from fusechat.tiny_world.chat_formats import FAMILIES

HE_PROMPT = 'from typing import List\n\n\ndef add(a: int, b: int) -> int:\n    """ Add.\n    >>> add(1, 2)\n    3\n    """\n'


def _render(family: str, messages: list[dict], add_generation_prompt: bool = True) -> str:
    fam = FAMILIES[family]
    env = jinja2.Environment()
    env.globals["raise_exception"] = lambda m: (_ for _ in ()).throw(ValueError(m))
    return env.from_string(fam.chat_template).render(messages=messages, bos_token=fam.bos, eos_token=fam.eos,
                                                     add_generation_prompt=add_generation_prompt)


# ------------------------------------------------------------------------------------------------ prompts
def test_evalplus_qwen_prompt_is_fuseeval_chatml_string() -> None:
    p = evalplus_prompt("\n" + HE_PROMPT + "\n\n", "qwen2")
    rendered = _render("qwen2", p.messages) + p.prefill
    want = (f"<|im_start|>system\n{QWEN_SYSTEM}<|im_end|>\n<|im_start|>user\nCan you complete the following "
            f"Python function?\n```python\n{HE_PROMPT.strip()}\n```\n<|im_end|>\n<|im_start|>assistant\n```python\n")
    assert rendered == want


@pytest.mark.parametrize("family", ["llama3", "gemma2"])
def test_evalplus_chat_prompt_equals_fuseeval_magic_splitter_construction(family: str) -> None:
    """FuseEval renders user + assistant(response prefix, fence, splitter) and cuts at the splitter; rendering
    our messages with the generation prompt and appending the prefill must give the same string."""
    p = evalplus_prompt(HE_PROMPT, family)
    magic = "-[[]]-this-is-really-our-highest-priority-[[]]-"
    task = f"{INSTRUCTION_PREFIX}\n```\n{HE_PROMPT.strip()}\n```\n"
    resp = f"{RESPONSE_PREFIX}\n```python\n{magic}\n```\n"
    fuseeval = _render(family, [{"role": "user", "content": task}, {"role": "assistant", "content": resp}],
                       add_generation_prompt=False).split(magic)[0]
    assert _render(family, p.messages) + p.prefill == fuseeval
    assert p.prefill == CHAT_PREFILL and len(p.messages) == 1


def test_evalplus_decoding_is_greedy_2048_with_fuseeval_stops() -> None:
    for task in (HumanEval(), MBPP()):
        d = task.decoding
        assert (d.temperature, d.n, d.max_new_tokens) == (0.0, 1, 2048)
        assert {"\nif __name__", "\ndef main(", "\nprint(", "\n#", "\n```"} <= set(d.stop)
        assert d.stop == FUSEEVAL_STOP and task.max_model_len == 4096


def _lcb_item(starter: str = "", func: str | None = None) -> dict:
    return {"question_content": "Add two numbers.", "starter_code": starter, "contest_date": "2024-08-01T00:00:00",
            "metadata": json.dumps({"func_name": func} if func else {}),
            "public_test_cases": json.dumps([{"input": "1 2\n", "output": "3\n", "testtype": "stdin"}]),
            "private_test_cases": code_exec.encode_lcb_private([code_exec.LcbTest("2 2\n", "4\n", "stdin")])}


def test_lcb_prompt_styles_per_family() -> None:
    stdin_item = _lcb_item()
    starter = "class Solution:\n    def add(self, a: int, b: int) -> int:\n        "
    func_item = _lcb_item(starter, "add")
    llama = lcb_prompt(stdin_item, "llama3")
    assert [m["role"] for m in llama.messages] == ["system", "user"]
    assert llama.messages[0]["content"] == SYSTEM_MESSAGE_GENERIC
    user = llama.messages[1]["content"]
    assert user.startswith("### Question:\nAdd two numbers.\n\n### Format: Read the inputs from stdin")
    assert "```python\n# YOUR CODE HERE\n```\n\n### Answer: (use the provided format with backticks)\n\n" in user
    func_user = lcb_prompt(func_item, "qwen2").messages[1]["content"]
    assert "### Format: You will use the following starter code" in func_user
    assert f"```python\n{starter}\n```\n\n" in func_user
    gemma = lcb_prompt(func_item, "gemma2")
    assert [m["role"] for m in gemma.messages] == ["user"]
    assert gemma.messages[0]["content"] == SYSTEM_MESSAGE_GENERIC + "\n" + func_user
    _render("gemma2", gemma.messages)  # Gemma's template refuses a system role: this must not raise
    assert lcb_prompt(func_item, "llama3").prefill == ""


def test_lcb_decoding_and_parameters() -> None:
    t = LiveCodeBench()
    d = t.decoding
    assert (d.n, d.temperature, d.top_p, d.max_new_tokens, d.stop) == (10, 0.2, 0.95, 2000, ("###",))
    proto = t.protocol()
    assert proto["start_date"] == "2024-06-30" and proto["end_date"] == "2024-11-01" and proto["release"] == "release_v5"
    assert t.revision == LCB_REVISION and all(f"/resolve/{LCB_REVISION}/" in f.url for f in t.data.files)
    assert [f.name for f in t.data.files] == ["test.jsonl", "test2.jsonl", "test3.jsonl", "test4.jsonl",
                                              "test5.jsonl"]
    assert LiveCodeBench(release="release_v4", label="2407-2409").display == "LiveCodeBench 2407-2409"
    with pytest.raises(ValueError):
        LiveCodeBench(release="release_v9")
    with pytest.raises(ValueError):
        LiveCodeBench(start_date="30/06/2024")


# ------------------------------------------------------------------------------------------------ extraction
def test_completion_text_prefill_continuation_and_fences() -> None:
    # prefilled chat prompt: the model continues inside the opened fence and closes it
    assert completion_text(CHAT_PREFILL + "def f():\n\treturn 1\n```\nThis adds.") == "def f():\n    return 1\n"
    assert completion_text(FENCE_PREFILL + "def f():\n    return 2\n") == "def f():\n    return 2\n"
    # no prefill: a fenced answer is cut after its opening fence; unfenced code is kept whole
    assert completion_text("Sure!\n```python\ndef f():\n    return 3\n```\nDone") == "def f():\n    return 3\n"
    assert completion_text("def f():\n    return 4\n") == "def f():\n    return 4\n"


def test_sanitize_keeps_entry_point_and_its_dependencies() -> None:
    text = ("import math\n\ndef helper(x):\n    return math.sqrt(x)\n\ndef unrelated():\n    return 0\n\n"
            "def root(x):\n    return helper(x)\n\nprint(root(4))\nassert root(9) == 3\n")
    out = sanitize(text, "root")
    assert "import math" in out and "def helper" in out and "def root" in out
    assert "unrelated" not in out and "print(" not in out and "assert" not in out
    # an unfenced answer with prose around the code: the longest parsable block is kept
    prose = "Here is the function:\ndef root(x):\n    return x * 2\nIt doubles x."
    assert sanitize(prose, "root").strip() == "def root(x):\n    return x * 2"


def test_lcb_extract_code() -> None:
    assert code_exec.lcb_extract_code("text\n```python\nprint(1)\nprint(2)\n```\nmore") == "print(1)\nprint(2)"
    assert code_exec.lcb_extract_code("```\nx = 1\n```\n```python\ny = 2\n```") == "x = 1"
    assert code_exec.lcb_extract_code("only one fence ```python\nx = 1") == ""
    assert code_exec.lcb_extract_code("print(1)") == ""


# ------------------------------------------------------------------------------------------------ pass@k
def test_pass_at_k_matches_evalplus_and_combinatorics() -> None:
    from evalplus.eval import estimate_pass_at_k

    for n in (1, 5, 10, 20):
        for c in range(n + 1):
            for k in (1, 5, 10):
                if k > n:
                    continue
                ours = code_exec.pass_at_k(n, c, k)
                assert ours == pytest.approx(float(estimate_pass_at_k([n], [c], k)[0]), abs=1e-12)
                assert ours == pytest.approx(1 - math.comb(n - c, k) / math.comb(n, k))
    assert code_exec.pass_at_k(10, 3, 1) == pytest.approx(0.3)
    assert code_exec.pass_at_k(10, 0, 5) == 0.0 and code_exec.pass_at_k(10, 10, 1) == 1.0
    with pytest.raises(ValueError):
        code_exec.pass_at_k(10, 11, 1)


# ------------------------------------------------------------------------------------------------ LCB data
def test_date_window_is_lcb_compute_scores() -> None:
    assert in_window("2024-06-30T00:00:00", "2024-06-30", None)
    assert not in_window("2024-06-29T23:59:59", "2024-06-30", None)
    assert in_window("2025-01-04T00:00:00", "2024-06-30", None)  # no end date: everything after the start
    assert in_window("2024-11-30T00:00:00", "2024-08-01", "2024-11-30")
    assert not in_window("2024-11-30T12:00:00", "2024-08-01", "2024-11-30")  # LCB compares with midnight
    rows = [{"contest_date": d} for d in ("2024-05-01T00:00:00", "2024-07-15T00:00:00", "2024-12-01T00:00:00")]
    assert len(LiveCodeBench().prepare(rows)) == 1  # FuseEval's reported window ends 2024-11-01
    assert len(LiveCodeBench(end_date=None).prepare(rows)) == 2
    assert len(LiveCodeBench(start_date="2024-08-01", end_date="2024-11-30").prepare(rows)) == 0
    assert len(LiveCodeBench(start_date=None, end_date=None).prepare(rows)) == 3


def test_lcb_test_case_decoding_real_packing_and_refusal() -> None:
    tests = [code_exec.LcbTest("1\n", "2\n", "stdin"), code_exec.LcbTest("[1]\n3", "4", "functional")]
    packed = code_exec.encode_lcb_private(tests)
    assert code_exec.decode_lcb_tests(packed) == tests
    assert code_exec.decode_lcb_tests(json.dumps([{"input": "a", "output": "b", "testtype": "stdin"}])) == [
        code_exec.LcbTest("a", "b", "stdin")]

    class Evil:
        def __reduce__(self):
            return (print, ("pwned",))

    import base64
    import zlib

    evil = base64.b64encode(zlib.compress(pickle.dumps(Evil()))).decode()
    out = io.StringIO()
    import contextlib

    with contextlib.redirect_stdout(out), pytest.raises(pickle.UnpicklingError):
        code_exec.decode_lcb_tests(evil)
    assert out.getvalue() == ""  # nothing ran
    not_text = base64.b64encode(zlib.compress(pickle.dumps([1, 2]))).decode()
    with pytest.raises(ValueError):
        code_exec.decode_lcb_tests(not_text)
    with pytest.raises(ValueError):
        code_exec.decode_lcb_tests("%%% not base64 or json")


def test_synthetic_lcb_items_in_real_schema() -> None:
    items = LiveCodeBench().synthetic(random.Random(1), 6)
    keys = {"question_title", "question_content", "platform", "question_id", "contest_id", "contest_date",
            "starter_code", "difficulty", "public_test_cases", "private_test_cases", "metadata"}
    for it in items:
        assert set(it) == keys
        tests, fn = problem_tests(it)
        assert len(tests) >= 4 and {t.testtype for t in tests} == {"functional" if fn else "stdin"}
        assert bool(it["starter_code"]) == bool(fn)
        json.loads(it["public_test_cases"])
        with pytest.raises(json.JSONDecodeError):
            json.loads(it["private_test_cases"])  # packed like the real data
    assert len(LiveCodeBench().prepare(items)) == len(items)


def test_lcb_stdin_rewrite() -> None:
    code = "import sys\nfrom math import *\ndef main():\n    print(int(input()) + 1)\nif __name__ == '__main__':\n    main()\n"
    out = code_exec.lcb_stdin_source(code)
    assert out.startswith("import sys\nfrom math import *\nstdin = sys.stdin\nstdout = sys.stdout\ndef code():\n")
    assert "__main__" not in out
    compile(code_exec.lcb_program(code, None), "<p>", "exec")
    assert code_exec.lcb_program("def f():\n    return 1\n", "f").endswith("def f():\n    return 1\n")


# ------------------------------------------------------------------------------------------------ in-sandbox helpers
@pytest.mark.parametrize("value", [
    [1, "a", None, True, 2.5, (1, 2), {"k": [1]}, {1, 2}],
    [float("nan"), float("inf"), -0.0, complex(1, 2), frozenset({1}), set()],
    [[list(range(5))] * 3, b"bytes", ((),)],
    list(range(200_000)),
])
def test_embed_value_round_trip(value: list) -> None:
    ns = vars(sandbox_programs.link("loader"))
    back = eval(code_exec.embed_value(value), dict(ns))  # noqa: S307 - our own data expression
    assert repr(back) == repr(value) and [type(x) for x in back] == [type(x) for x in value]


# ------------------------------------------------------------------------------------------------ tasks
def test_code_tasks_registered_with_releases() -> None:
    tasks = all_tasks()
    assert {"humaneval", "mbpp", "livecodebench"} <= set(tasks)
    assert tasks["humaneval"].release == "v0.1.9" and tasks["humaneval"].data.expected_items == 164
    assert tasks["mbpp"].release == "v0.1.0" and tasks["mbpp"].data.expected_items == 399
    assert MBPP(release="v0.2.0").data.expected_items == 378
    assert MBPP(release="v0.2.0").data.files[0].url.endswith("/v0.2.0/MbppPlus.jsonl.gz")
    assert tasks["mbpp"].data.files[0].url.endswith("/FuseEval/Code-Eval/eval_plus/data/MbppPlus-v0.1.0.jsonl")
    assert HumanEval(shown="plus").protocol()["shown"] == "plus"
    with pytest.raises(ValueError):
        MBPP(release="v9")
    for t in (tasks["humaneval"], tasks["mbpp"], tasks["livecodebench"]):
        assert t.category == "code" and t.version and t.tables


def test_synthetic_evalplus_items_in_release_schema() -> None:
    he = HumanEval().synthetic(random.Random(0), 5)
    assert {"task_id", "prompt", "entry_point", "canonical_solution", "base_input", "plus_input", "atol",
            "contract"} <= set(he[0])
    mb = MBPP().synthetic(random.Random(0), 5)
    assert {"task_id", "prompt", "entry_point", "canonical_solution", "base_input", "plus_input", "atol", "code",
            "test_list", "test", "test_imports", "source_file", "contract"} <= set(mb[0])
    assert all(json.loads(json.dumps(it)) == it for it in he + mb)  # JSON, like the release files
    assert mb[0]["prompt"].startswith('"""\n') and "assert " in mb[0]["prompt"]


def test_fast_code_extract_equals_evalplus() -> None:
    from evalplus import sanitize as mod

    from evaluation.tasks import _evalplus

    sanitize("def f():\n    return 1\n", "f")  # installs the shortcut
    original = _evalplus._ORIGINAL_CODE_EXTRACT
    assert original is not None and mod.code_extract is _evalplus._code_extract_fast
    rng = random.Random(0)
    pieces = ["def f(x):", "    return x", "", "   ", "import math", "x = 1", "print(x)", "if x:", "    pass",
              "class A:", "    y = 2", "Here is the code:", "```", "'''", "x = (1,", "2)", "\\", "# note"]
    for _ in range(400):
        text = "\n".join(rng.choice(pieces) for _ in range(rng.randint(0, 9)))
        assert _evalplus._code_extract_fast(text) == original(text), repr(text)
    for _ in range(20):  # longer texts: the best-first search (most do not parse as a whole)
        text = "\n".join(rng.choice(pieces) for _ in range(rng.randint(10, 15)))
        assert _evalplus._code_extract_fast(text) == original(text), repr(text)


def test_code_extract_is_bounded_on_long_code_that_does_not_parse() -> None:
    """300 lines that never parse (upstream: over 270 s) and 3,000 with one broken line: a few seconds at most,
    and the broken-line case still finds upstream's window (everything after the broken line)."""
    import time

    from evaluation.tasks import _evalplus

    garbage = "\n".join(f"x{k} = (1, [2, {{3" for k in range(300))
    t0 = time.process_time()
    assert _evalplus._code_extract_fast(garbage) == "x0 = (1, [2, {3"
    body = [f"y{k} = {k}" for k in range(3000)]
    text = "\n".join(["Here is the code:", *body])
    assert _evalplus._code_extract_fast(text) == "\n".join(body)
    assert time.process_time() - t0 < 10
    assert sanitize("def f():\n    return '\ud800'\n", "f") == ""  # not valid Unicode: no program


def test_recipe_options_configure_code_tasks() -> None:
    he = all_tasks()["humaneval"].configured({"release": "v0.1.10", "shown": "plus", "sandbox": {"workers": 4}})
    assert (he.release, he.shown, he.metric) == ("v0.1.10", "plus", "pass@1 (plus tests, greedy)")
    assert he.data.files[0].name == "HumanEvalPlus-v0.1.10.jsonl.gz"
    assert all_tasks()["humaneval"].release == "v0.1.9"  # the registered task is unchanged
    lcb = all_tasks()["livecodebench"].configured({"end_date": "2024-11-30", "start_date": "2024-08-01"})
    assert (lcb.start_date, lcb.end_date, lcb.release) == ("2024-08-01", "2024-11-30", "release_v5")
    assert all_tasks()["mbpp"].configured({}) is all_tasks()["mbpp"]


def test_fetch_and_load_release_files_offline(tmp_path) -> None:
    """fetch_data with file:// URLs: a gzipped EvalPlus release, and LCB's several jsonl files concatenated, then
    loaded (checksummed) and prepared; a cache fetched for another release is refused."""
    import dataclasses
    import gzip

    from evaluation.data import DataError, load_items, sha256_file
    from evaluation.fetch_data import fetch_task, git_blob_id
    from evaluation.tasks.base import DataFile

    he = HumanEval(release="v0.1.10")  # evalplus' gzipped release asset, sha256-checked
    rows = he.synthetic(random.Random(0), 5)
    gz = tmp_path / "HumanEvalPlus.jsonl.gz"
    with gzip.open(gz, "wt") as f:
        f.writelines(json.dumps(r) + "\n" for r in rows)
    name = he.data.files[0].name
    he.data = dataclasses.replace(he.data, expected_items=5, files=(DataFile(name, gz.as_uri(), sha256_file(gz)),))
    fetch_task(he, tmp_path / "cache")
    assert load_items(he, None, data_dir=tmp_path / "cache").items == rows
    with pytest.raises(DataError, match="another release"):
        load_items(HumanEval(), None, data_dir=tmp_path / "cache")
    fuse = HumanEval()  # FuseEval's decompressed copy, checked by its git blob id
    plain = tmp_path / "HumanEvalPlus-v0.1.9.jsonl"
    plain.write_text("".join(json.dumps(r) + "\n" for r in rows))
    pin = DataFile(fuse.data.files[0].name, plain.as_uri(), git_blob=git_blob_id(plain))
    fuse.data = dataclasses.replace(fuse.data, expected_items=5, files=(pin,))
    fetch_task(fuse, tmp_path / "cache", force=True)
    assert load_items(fuse, None, data_dir=tmp_path / "cache").items == rows

    lcb = LiveCodeBench()
    items = lcb.synthetic(random.Random(0), 6)
    items[0] = {**items[0], "contest_date": "2023-05-01T00:00:00"}  # outside the window
    files = []
    for i, part in enumerate((items[:4], items[4:])):
        p = tmp_path / f"test{i or ''}.jsonl"
        p.write_text("".join(json.dumps(r) + "\n" for r in part))
        files.append(DataFile(f"test{i + 1 if i else ''}.jsonl", p.as_uri()))
    lcb.data = dataclasses.replace(lcb.data, expected_items=6, files=tuple(files))
    fetch_task(lcb, tmp_path / "cache")
    got = load_items(lcb, None, data_dir=tmp_path / "cache")
    assert got.items == items[1:] and got.provenance["prepared_from"] == 6
