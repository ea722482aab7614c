"""LiveCodeBench code generation ("2408-2411" in the FuseChat-3.0 tables) as FuseEval's ``Code-Eval/LiveCodeBench``
runs it (a vendored ``lcb_runner``; https://github.com/SLIT-AI/FuseChat-3.0, commit 5af2bad).

* data: ``livecodebench/code_generation_lite``, release a task parameter (``release_vN`` = the files ``test.jsonl``
  .. ``testN.jsonl`` of the hub repository, which its loading script concatenates; read as plain jsonl because
  ``datasets`` 4 no longer runs loading scripts). FuseEval ran ``--release_version release_latest``, whatever
  that was on the day; our default is ``release_v5`` (May 2023 - Jan 2025, 880 problems), the first release
  that covers the label's Aug-Nov 2024. Private test cases are ``base64(zlib(pickle(json)))``; decoded without
  allowing any pickle global (``evaluation.code_exec.decode_lcb_tests``).
* window: FuseEval's ``test.sh`` runs ``compute_scores --start_date 2024-06-30`` with no end date and writes the
  result to ``livecodebench-20240701-20241101.txt`` under the comment ``# LiveCodeBench(2408-2411)``: the window
  it reports ends on 2024-11-01, and the paper labels it 2408-2411. Without an end date ``release_v5`` would add
  the Dec-2024/Jan-2025 problems (which ``release_latest`` did not yet hold when the paper's numbers were made), so
  the default window is 2024-06-30 .. 2024-11-01: problems with ``start <= contest_date <= end`` (compared as
  datetimes at midnight, as LCB does). Parameters ``start_date`` / ``end_date``; the label stays "2408-2411".
* prompt (``lcb_runner/prompts/code_generation.py``): the generic system message ("You are an expert Python
  programmer ...") and the question template -- ``### Question:``, then for problems with starter code the
  instruction to use it and the starter code in a python fence, else the stdin/stdout instruction and a
  ``# YOUR CODE HERE`` fence, then ``### Answer: (use the provided format with backticks)``. Llama-3 style:
  system + user turns; Gemma style: no system role, the system text and a newline before the question in the
  user turn; the Llama-3 style is rendered with ``meta-llama/Meta-Llama-3-8B-Instruct``'s template (no
  Llama-3.1 date header) and keeps its BOS, so vLLM's makes two. FuseEval's ``lm_styles.py`` maps
  ``Qwen/Qwen2.5-7B-Instruct`` to ``CodeQwenInstruct``: the hand-written string "<|im_start|>system\\nYou are a
  helpful assistant.<|im_end|>\\n<|im_start|>user\\n\\n" + "You will be given a question ..." + "Question: " +
  the question (no ``###`` headings) + the format instruction and fence + "<|im_end|>\\n<|im_start|>assistant\\n"
  (``codeqwen_prompt_text``).
* decoding: the runner's defaults, which FuseEval does not override: n = 10, temperature 0.2, top-p 0.95,
  2,000 tokens, stop ``###``; ``max_model_len`` 4096.
* extraction: the lines between the first two lines containing a fence; scoring: LCB's ``run_test`` semantics
  in our sandbox (``evaluation/code_exec.py``), 6 s per test; a sample passes when every public and private
  test passes; per problem pass@1 = the unbiased estimator with k = 1 over the n samples; the metric is the
  mean over the problems in the window (``compute_scores``).
"""

from __future__ import annotations

import json
import random
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from evaluation import code_exec
from evaluation.code_exec import LcbTest, decode_lcb_tests, encode_lcb_private
from evaluation.family_prompts import llama3_text
from evaluation.tasks._code_synth import PROBLEMS, SynthProblem
from evaluation.tasks.base import (
    TABLES_14,
    DataFile,
    DataSpec,
    Decoding,
    Family,
    ItemResult,
    Prompt,
    ScoreContext,
    Task,
)

HUB_ID = "livecodebench/code_generation_lite"
FILE_URL = "https://huggingface.co/datasets/livecodebench/code_generation_lite/resolve/{revision}/{name}"
#: A commit of the hub repository that holds test.jsonl .. test6.jsonl (release_v6; a release's files are never
#: rewritten by later releases, which add files). Taken from public code that pins it; the hub cannot be reached
#: here, so that its test..test5 bytes equal what FuseEval's ``release_latest`` read is not confirmed offline.
LCB_REVISION = "0fe84c3912ea0c4d4a78037083943e8f0c4dd505"
#: release -> (number of jsonl files, problems), from the dataset card's change log.
RELEASES = {"release_v1": (1, 400), "release_v2": (2, 511), "release_v3": (3, 612), "release_v4": (4, 713),
            "release_v5": (5, 880), "release_v6": (6, 1055)}
SYSTEM_MESSAGE_GENERIC = (
    "You are an expert Python programmer. You will be given a question (problem specification) and will "
    "generate a correct Python program that matches the specification and passes all tests. You will NOT "
    "return anything except for the program.")
FORMATTING_MESSAGE_WITH_STARTER_CODE = ("You will use the following starter code to write the solution to the "
                                        "problem and enclose your code within delimiters.")
FORMATTING_WITHOUT_STARTER_CODE = ("Read the inputs from stdin solve the problem and write the answer to stdout "
                                   "(do not directly test on the sample inputs). Enclose your code within "
                                   "delimiters as follows.")
NO_SYSTEM_ROLE: tuple[Family, ...] = ("gemma2", "mistral")
#: ``PromptConstants.SYSTEM_MESSAGE_CODEQWEN`` (the CodeQwenInstruct style's whole system block and user header).
SYSTEM_MESSAGE_CODEQWEN = "<|im_start|>system\nYou are a helpful assistant.<|im_end|>\n<|im_start|>user"
CODEQWEN_INSTRUCTION = (
    "You will be given a question (problem specification) and will generate a correct Python program that matches "
    "the specification and passes all tests. You will NOT return anything except for the program.\n\n")


def question_template(item: dict[str, Any]) -> str:
    """LCB's ``get_generic_question_template_answer``."""
    prompt = f"### Question:\n{item['question_content']}\n\n"
    if item.get("starter_code"):
        prompt += f"### Format: {FORMATTING_MESSAGE_WITH_STARTER_CODE}\n"
        prompt += f"```python\n{item['starter_code']}\n```\n\n"
    else:
        prompt += f"### Format: {FORMATTING_WITHOUT_STARTER_CODE}\n"
        prompt += "```python\n# YOUR CODE HERE\n```\n\n"
    prompt += "### Answer: (use the provided format with backticks)\n\n"
    return prompt


def codeqwen_prompt_text(item: dict[str, Any]) -> str:
    """LCB ``format_prompt_generation`` for ``LMStyle.CodeQwenInstruct``: ``SYSTEM_MESSAGE_CODEQWEN`` + two newlines
    + ``get_codeqwen_question_template_answer`` ("Question: " without ``###`` headings, the fence, then the
    hand-written ``<|im_end|>`` and assistant header)."""
    prompt = CODEQWEN_INSTRUCTION + f"Question: {item['question_content']}\n\n"
    if item.get("starter_code"):
        prompt += f"{FORMATTING_MESSAGE_WITH_STARTER_CODE}\n"
        prompt += f"```python\n{item['starter_code']}\n```\n\n<|im_end|>\n"
    else:
        prompt += f"{FORMATTING_WITHOUT_STARTER_CODE}\n"
        prompt += "```python\n# YOUR CODE HERE\n```\n\n<|im_end|>\n"
    return f"{SYSTEM_MESSAGE_CODEQWEN}\n\n{prompt}<|im_start|>assistant\n"


def lcb_prompt(item: dict[str, Any], family: Family) -> Prompt:
    """The LMStyle prompt for ``family`` as FuseEval's ``lm_styles.py`` maps its three models: Llama-3.1 -> LLaMa3
    (system + user through ``meta-llama/Meta-Llama-3-8B-Instruct``'s template, i.e. no date header, unstripped, so
    vLLM adds a second BOS), Qwen2.5 -> CodeQwenInstruct (a hand-written ChatML string), Gemma-2 -> GemmaChat
    (one user turn, the template's BOS stripped before vLLM adds one). Mistral: the Gemma placement."""
    if family in NO_SYSTEM_ROLE:
        return Prompt([{"role": "user", "content": SYSTEM_MESSAGE_GENERIC + "\n" + question_template(item)}])
    messages = [{"role": "system", "content": SYSTEM_MESSAGE_GENERIC},
                {"role": "user", "content": question_template(item)}]
    if family == "qwen2":
        return Prompt(messages, text=codeqwen_prompt_text(item))
    return Prompt(messages, text=llama3_text(messages), add_bos=True)


def in_window(contest_date: str, start: str | None, end: str | None) -> bool:
    """LCB ``compute_scores``: ``start <= date`` and ``date <= end`` (dates parsed as midnight datetimes)."""
    when = datetime.fromisoformat(contest_date)
    if start is not None and when < datetime.strptime(start, "%Y-%m-%d"):
        return False
    return not (end is not None and when > datetime.strptime(end, "%Y-%m-%d"))


def problem_tests(item: dict[str, Any]) -> tuple[list[LcbTest], str | None]:
    """Public + private test cases (LCB's ``get_evaluation_sample`` order) and the function name (None: stdin)."""
    tests = decode_lcb_tests(item["public_test_cases"]) + decode_lcb_tests(item["private_test_cases"])
    meta = item.get("metadata") or "{}"
    meta = json.loads(meta) if isinstance(meta, str) else meta
    return tests, meta.get("func_name")


class LiveCodeBench(Task):
    id = "livecodebench"
    version = "2"
    display = "LiveCodeBench 2408-2411"
    metric = "pass@1 (n=10, T 0.2)"
    category = "code"
    scale = "percent"
    tables = TABLES_14
    order = 14
    tolerance = 3.0
    tolerance_why = "problem window depends on the release downloaded; pass@1 estimated from 10 samples at T 0.2"
    decoding = Decoding(temperature=0.2, top_p=0.95, n=10, max_new_tokens=2000, stop=("###",))
    max_model_len = 4096

    def __init__(self, release: str = "release_v5", start_date: str | None = "2024-06-30",
                 end_date: str | None = "2024-11-01", label: str = "2408-2411", timeout_s: int = code_exec.LCB_TIMEOUT_S,
                 revision: str = LCB_REVISION) -> None:
        if release not in RELEASES:
            raise ValueError(f"livecodebench: unknown release {release!r}; known: {', '.join(RELEASES)}")
        for d in (start_date, end_date):
            if d is not None:
                datetime.strptime(d, "%Y-%m-%d")  # a malformed date fails here, not after generation
        self.release, self.start_date, self.end_date, self.label = release, start_date, end_date, label
        self.timeout_s, self.revision = timeout_s, revision
        self.display = f"LiveCodeBench {label}"
        self.metric = f"pass@1 (n={self.decoding.n}, T {self.decoding.temperature})"
        n_files, n_items = RELEASES[release]
        names = ["test.jsonl"] + [f"test{i}.jsonl" for i in range(2, n_files + 1)]
        self.data = DataSpec(
            None, revision=revision, expected_items=n_items, licence="cc (dataset card); problem statements owned by LeetCode/AtCoder/"
            "Codeforces", files=tuple(DataFile(n, FILE_URL.format(revision=revision, name=n)) for n in names),
            note=f"{HUB_ID} {release} ({n_items} problems before the date window; files {names[0]}..{names[-1]})")

    PARAMS = ("release", "start_date", "end_date", "label", "timeout_s", "revision")

    def configured(self, options: dict[str, Any]) -> LiveCodeBench:
        """A copy with the recipe entry's release / window / label / timeout options applied."""
        params = {k: options[k] for k in self.PARAMS if k in options}
        if not params:
            return self
        current = {"release": self.release, "start_date": self.start_date, "end_date": self.end_date,
                   "label": self.label, "timeout_s": self.timeout_s, "revision": self.revision}
        return LiveCodeBench(**{**current, **params})

    # ------------------------------------------------------------------ data
    def prepare(self, rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
        """The release's problems inside the contest-date window."""
        return [r for r in rows if in_window(r["contest_date"], self.start_date, self.end_date)]

    # ------------------------------------------------------------------ generation
    def prompt(self, item: dict[str, Any], family: Family) -> Prompt:
        return lcb_prompt(item, family)

    # ------------------------------------------------------------------ scoring
    def score(self, item: dict[str, Any], responses: Sequence[str], ctx: ScoreContext) -> ItemResult:
        return self.score_batch([item], [responses], ctx)[0]

    def score_batch(self, items: Sequence[dict[str, Any]], responses: Sequence[Sequence[str]],
                    ctx: ScoreContext) -> list[ItemResult]:
        """Extract every sample's code and run it on all test cases in the sandbox (one batch)."""
        jobs, where = [], []
        graded: list[list[bool]] = [[False] * len(r) for r in responses]
        status: list[list[str]] = [["no_code"] * len(r) for r in responses]
        for i, (item, resps) in enumerate(zip(items, responses, strict=True)):
            tests, fn_name = problem_tests(item)
            ins, outs = [t.input for t in tests], [t.output for t in tests]
            suites: dict[bool, str] = {}
            for j, resp in enumerate(resps):
                code = code_exec.lcb_extract_code(resp)
                if not code.strip():
                    continue
                has_cls = "class Solution" in code
                if has_cls not in suites:
                    suites[has_cls] = code_exec.lcb_tests(ins, outs, fn_name, has_cls, self.timeout_s)
                jobs.append(code_exec.lcb_job(code, ins, outs, fn_name, self.timeout_s, tests=suites[has_cls]))
                where.append((i, j))
        pool = code_exec.sandbox_pool(ctx.resources, **ctx.options.get("sandbox", {}))
        for (i, j), res in zip(where, code_exec.run_jobs(pool, jobs), strict=True):
            graded[i][j] = res.passed
            status[i][j] = res.status
        out = []
        for item, g, st in zip(items, graded, status, strict=True):
            n, c = len(g), sum(g)
            p1 = code_exec.pass_at_k(n, c, 1) if n else 0.0
            out.append(ItemResult(score=p1, extracted=c, detail={
                "n": n, "correct": c, "graded": g, "status": st, "difficulty": item.get("difficulty"),
                "platform": item.get("platform"), "contest_date": item.get("contest_date")}))
        return out

    def summary(self, items: Sequence[dict[str, Any]], results: Sequence[ItemResult]) -> dict[str, Any]:
        """Problems in the window and pass@1 per difficulty (what LCB's ``compute_scores`` prints), in percent."""
        out: dict[str, Any] = {"problems": len(results), "window": [self.start_date, self.end_date],
                               "release": self.release}
        for level in ("easy", "medium", "hard"):
            sel = [r.score for it, r in zip(items, results, strict=True) if it.get("difficulty") == level]
            out[f"{level}_pass@1"] = 100.0 * sum(sel) / len(sel) if sel else None
        return out

    def protocol(self) -> dict[str, Any]:
        proto = super().protocol()
        proto.update({"release": self.release, "start_date": self.start_date, "end_date": self.end_date,
                      "label": self.label, "timeout_s": self.timeout_s, "extraction": "lcb extract_code (fences)",
                      "estimator": "pass@1 = 1 - C(n-c,1)/C(n,1), mean over problems"})
        return proto

    # ------------------------------------------------------------------ tiny world
    def synthetic(self, rng: random.Random, n: int) -> list[dict[str, Any]]:
        """Problems in ``code_generation_lite``'s schema, inside the default window: LeetCode-style functional
        problems (starter code, ``metadata.func_name``) and AtCoder-style stdin problems, alternating."""
        out = []
        pool = [p for p in PROBLEMS if p.name in _STDIN_READERS]
        order = list(pool)
        rng.shuffle(order)
        for i in range(n):
            prob = order[i % len(order)]
            functional = i % 2 == 0
            day = 1 + rng.randrange(27)
            month = 7 + rng.randrange(4)  # inside the default window (2024-06-30 .. 2024-11-01)
            cases = [args for args in prob.base_inputs(rng)] + prob.plus_inputs(rng)[:6]
            tests = [synth_test(prob, args, functional) for args in cases]
            row = {
                "question_title": f"synthetic {prob.name} {i}",
                "question_content": f"{prob.doc}\n\n" + (
                    f"Implement {prob.name}." if functional else
                    f"Input: {_STDIN_READERS[prob.name][1]}. Output: the answer on one line."),
                "platform": "leetcode" if functional else "atcoder",
                "question_id": f"synth-{i}", "contest_id": f"synthetic-contest-{i // 4}",
                "contest_date": f"2024-{month:02d}-{day:02d}T00:00:00",
                "starter_code": (f"class Solution:\n    def {prob.name}(self, {prob.params}) -> {prob.returns}:\n"
                                 "        ") if functional else "",
                "difficulty": rng.choice(["easy", "medium", "hard"]),
                "public_test_cases": json.dumps([{"input": t.input, "output": t.output, "testtype": t.testtype}
                                                 for t in tests[:2]]),
                "private_test_cases": encode_lcb_private(tests[2:]),
                "metadata": json.dumps({"func_name": prob.name} if functional else {}),
            }
            out.append(row)
        return out


# ---------------------------------------------------------------------------------------- synthetic programs
#: stdin format per synthetic problem: (Python lines reading the arguments, the statement's description).
_STDIN_READERS = {
    "add_numbers": ("a, b = map(int, input().split())\nargs = (a, b)", "two integers a b"),
    "is_prime": ("args = (int(input()),)", "one integer n"),
    "digit_sum": ("args = (int(input()),)", "one integer n"),
    "running_max": ("input()\nargs = (list(map(int, input().split())),)", "k, then k integers"),
    "count_vowels": ("args = (input(),)", "one line of text"),
    "reverse_words": ("args = (input(),)", "one line of text"),
}


def _canonical(prob: SynthProblem) -> Any:
    ns: dict[str, Any] = {}
    exec(prob.solution(), ns)  # our own synthetic reference solution (trusted), never model output
    return ns[prob.name]


def _stdin_text(prob: SynthProblem, args: list[Any]) -> str:
    if prob.name == "add_numbers":
        return f"{args[0]} {args[1]}\n"
    if prob.name == "running_max":
        return f"{len(args[0])}\n{' '.join(map(str, args[0]))}\n"
    return f"{args[0]}\n"


def _stdout_text(value: Any) -> str:
    return (" ".join(map(str, value)) if isinstance(value, list) else str(value)) + "\n"


def synth_test(prob: SynthProblem, args: list[Any], functional: bool) -> LcbTest:
    """One LCB test case for ``prob`` on ``args`` (functional: JSON lines; stdin: the statement's format)."""
    want = _canonical(prob)(*args)
    if functional:
        return LcbTest("\n".join(json.dumps(a) for a in args), json.dumps(want), "functional")
    return LcbTest(_stdin_text(prob, args), _stdout_text(want), "stdin")


def synth_program(item: dict[str, Any], kind: str = "canonical") -> str:
    """A program for a synthetic item: the canonical solution or a broken variant, in LCB's expected form
    (a ``Solution`` class for functional problems, a stdin/stdout script otherwise)."""
    meta = json.loads(item["metadata"])
    name = meta.get("func_name") or item["question_title"].split()[1]
    prob = next(p for p in PROBLEMS if p.name == name)
    body = prob.body if kind == "canonical" else prob.broken[kind]
    if meta.get("func_name"):
        inner = "".join("    " + line + "\n" for line in body.splitlines())
        return f"class Solution:\n    def {name}(self, {prob.params}) -> {prob.returns}:\n{inner}"
    reader = _STDIN_READERS[name][0]
    show = "print(' '.join(map(str, res)) if isinstance(res, list) else res)"
    return f"{prob.solution(kind)}\n\n{reader}\nres = {name}(*args)\n{show}\n"


TASK = LiveCodeBench()
