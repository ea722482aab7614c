"""HumanEval and MBPP as FuseEval's ``Code-Eval/eval_plus`` runs them (EvalPlus data, sanitizer and tests).

FuseEval (https://github.com/SLIT-AI/FuseChat-3.0, commit 5af2bad, ``FuseEval/Code-Eval/eval_plus``):

* prompt per family (``model.py``): **Llama-3 / Gemma-2** get EvalPlus' chat prompt -- one user turn "Please
  provide a self-contained Python script that solves the following problem in a markdown code block:" with the
  stripped task prompt in a bare fence, and the assistant turn prefilled with "Below is a Python script with a
  self-contained function that solves the problem and passes corresponding tests:" and an opened python fence;
  **Qwen-2.5** (``--model_type qwen2``) gets a ChatML string with the system message "You are an intelligent
  programming assistant to produce Python algorithmic solutions", the user turn "Can you complete the following
  Python function?" with the prompt in a python fence, and the assistant turn prefilled with the python fence;
* BOS: the templated string goes to vLLM, which adds a BOS; ``Gemma2Chat`` strips the template's first,
  ``Llama3Chat`` does not (two BOS tokens for Llama);
* decoding: greedy, one sample, 2,048 new tokens, ``max_model_len`` 4096, stop at FuseEval's list (EOS strings of
  every family, ``\\nif __name__``, ``\\ndef main(``, ``\\nprint(``, ``\\n#`` -- any comment at column 0 -- and
  the closing fence ``\\n```````);
* post-processing: tabs become four spaces, the text is cut at the first fence, then ``evalplus.sanitize``
  (the installed evalplus 0.3.1's tree-sitter sanitizer) with the task's entry point;
* scoring: ``evalplus.evaluate`` semantics (see ``evaluation/code_exec.py``) on the base tests and on the plus
  tests; "plus" passes only when base and plus tests both pass (EvalPlus' rule). The table shows **base**
  (``shown="base"``): FuseChat's Qwen2.5-7B-Instruct HumanEval value, 85.4, sits next to Qwen's own base-test
  figure, 84.8, while its HumanEval+ figure is lower; the paper does not say. Both are recorded per item.

Data: the release is a task parameter: FuseEval pinned evalplus 0.2.1, whose defaults are HumanEval+ v0.1.9 and
MBPP+ v0.1.0 (399 tasks) -- our defaults, read from FuseEval's own vendored copies (``Code-Eval/eval_plus/data`` at
5af2bad: MBPP+ by sha256, HumanEval+ by git blob id, its bytes being absent from the public snapshots); evalplus
0.3.1 (installed) defaults to v0.1.10 and v0.2.0 (378 tasks, broken tasks removed), read from evalplus' release
assets (``https://github.com/evalplus/{humanevalplus,mbppplus}_release``) by the sha256 public code pins. Ground-truth outputs and times come from evalplus' own ``get_groundtruth`` (it runs the canonical
solutions, trusted dataset code, in-process, as ``evalplus.evaluate`` does) and are cached by evalplus.
"""

from __future__ import annotations

import hashlib
import json
import random
from collections.abc import Sequence
from typing import Any, ClassVar, Literal

from evaluation import code_exec
from evaluation.tasks.base import (
    FUSECHAT_TABLES,
    FUSEEVAL_COMMIT,
    FUSEEVAL_RAW,
    DataFile,
    DataSpec,
    Decoding,
    Family,
    ItemResult,
    Prompt,
    ScoreContext,
    Task,
)

INSTRUCTION_PREFIX = ("Please provide a self-contained Python script that solves the following problem in a "
                      "markdown code block:")
RESPONSE_PREFIX = ("Below is a Python script with a self-contained function that solves the problem and passes "
                   "corresponding tests:")
QWEN_SYSTEM = "You are an intelligent programming assistant to produce Python algorithmic solutions"
#: FuseEval's stop list for chat models (``model.py``: the module-level EOS list plus the chat subclasses' fence).
FUSEEVAL_STOP = ("<|endoftext|>", "<|endofmask|>", "<|end_of_text|>", "<|eot_id|>", "<|eom_id|>", "<eos>",
                 "<end_of_turn>", "</s>", "\nif __name__", "\ndef main(", "\nprint(", "\n#", "\n```")
FENCE_PREFILL = "```python\n"
CHAT_PREFILL = f"{RESPONSE_PREFIX}\n```python\n"
RELEASE_URL = "https://github.com/evalplus/{repo}/releases/download/{version}/{name}.jsonl.gz"
#: FuseEval's vendored EvalPlus data folder (the decompressed files evalplus caches), at FUSEEVAL_COMMIT
FUSEEVAL_EVALPLUS = f"{FUSEEVAL_RAW}/Code-Eval/eval_plus/data"


def release_asset(repo: str, name: str, version: str, sha256: str) -> DataFile:
    """evalplus' gzipped release asset ``version`` of ``name``, with its sha256."""
    return DataFile(f"{name}-{version}.jsonl.gz", RELEASE_URL.format(repo=repo, version=version, name=name),
                    sha256=sha256)


def fuseeval_copy(name: str, version: str, *, sha256: str | None = None, git_blob: str | None = None) -> DataFile:
    """FuseEval's vendored decompressed copy ``<name>-<version>.jsonl`` (``Code-Eval/eval_plus/data``)."""
    file = f"{name}-{version}.jsonl"
    return DataFile(file, f"{FUSEEVAL_EVALPLUS}/{file}", sha256=sha256, git_blob=git_blob)

Shown = Literal["base", "plus"]
#: The two test sets, in the order a sample's chain runs them (plus only after base passed).
PARTS = ("base", "plus")
#: A sample's plus verdict when its base tests failed: the plus tests are not run, as evalplus' plus figure
#: (base and plus passed) is already decided.
PLUS_SKIPPED = "skipped: base tests failed"


def evalplus_prompt(task_prompt: str, family: Family) -> Prompt:
    """FuseEval's EvalPlus prompt for ``family`` (ChatML variant for Qwen, EvalPlus chat prompt otherwise).

    FuseEval passes ``task["prompt"].strip()`` to the model wrapper; the chat prompt strips it again."""
    code = task_prompt.strip()
    if family == "qwen2":
        user = f"Can you complete the following Python function?\n```python\n{code}\n```\n"
        return Prompt([{"role": "system", "content": QWEN_SYSTEM}, {"role": "user", "content": user}],
                      prefill=FENCE_PREFILL)
    user = f"{INSTRUCTION_PREFIX}\n```\n{code}\n```\n"
    # FuseEval's Gemma2Chat strips the template's BOS before vLLM adds one ("deal with double bos"); Llama3Chat does
    # not, so Llama sees two
    return Prompt([{"role": "user", "content": user}], prefill=CHAT_PREFILL, add_bos=family == "llama3")


def completion_text(response: str) -> str:
    """What FuseEval writes as the sample file: the generation after the prefill, tabs as four spaces, cut at
    the first fence.

    ``response`` is prefill + generation (the task contract). A response that does not start with one of the
    prefills (a backend that could not prefill) is cut after its first opening python fence, when it has one.
    """
    text = response
    for prefill in (CHAT_PREFILL, FENCE_PREFILL):
        if text.startswith(prefill):
            text = text[len(prefill):]
            break
    else:
        for fence in ("```python\n", "```py\n", "```\n"):
            at = text.find(fence)
            if at >= 0:
                text = text[at + len(fence):]
                break
    text = text.replace("\t", "    ")
    if "```" in text:
        text = text.split("```")[0]
    return text


#: Characters ``ast.parse`` may read (summed over windows) while ``code_extract`` searches text that does not parse
#: as a whole: ~2 s of parsing here. Upstream's search is cubic (300 lines that do not parse: over 270 s).
EXTRACT_PARSE_BUDGET = 4_000_000


def _parses(code: str) -> bool:
    """``evalplus.syncheck.syntax_check`` that never raises (upstream lets ``ValueError``/``RecursionError``
    through, and ``UnicodeEncodeError`` on a lone surrogate)."""
    import ast

    try:
        ast.parse(code)
        return True
    except (SyntaxError, MemoryError, ValueError, RecursionError):
        return False


def _code_extract_fast(text: str, budget: int = EXTRACT_PARSE_BUDGET) -> str:
    """``evalplus.sanitize.code_extract`` (the first window of >= 2 lines, in (start, end) order, with the most
    non-blank lines among the windows that parse; ``lines[0]`` when none does), searched best-first.

    Upstream tries every window (i < j) in order: O(lines^2) parses, ~7 s for 150 lines of valid code, over 270 s
    for 300 lines that do not parse. When the whole text parses, the answer is lines ``0 .. max(last non-blank,
    1)`` (checked to parse). Otherwise windows are tried by non-blank count, highest first, and in upstream's
    order within a count, so the first window that parses is upstream's answer. The search reads at most
    ``budget`` characters; text whose answer is not found within it gets ``lines[0]``, upstream's answer when no
    window parses (a deviation only where upstream would need minutes). ``tests/unit/test_code_benchmarks.py``
    and ``tests/unit/test_scorer_properties.py`` compare both on random texts.
    """
    import bisect

    lines = text.split("\n")
    nonblank = [k for k, line in enumerate(lines) if line.strip()]
    if len(lines) > 1 and _parses(text) and nonblank:
        candidate = "\n".join(lines[:max(nonblank[-1], 1) + 1])
        if _parses(candidate):
            return candidate
    n = len(lines)
    prefix = [0]  # prefix[k]: non-blank lines among lines[:k]
    for line in lines:
        prefix.append(prefix[-1] + (1 if line.strip() else 0))
    starts = [0]  # character offset of each line in text
    for line in lines:
        starts.append(starts[-1] + len(line) + 1)
    spent = 0
    for count in range(prefix[-1], 0, -1):
        for i in range(n - 1):
            if prefix[i] + count > prefix[-1]:
                break
            spent += 8
            # windows i..j (j > i) with exactly ``count`` non-blank lines: prefix[j + 1] - prefix[i] == count
            lo = max(bisect.bisect_left(prefix, prefix[i] + count) - 1, i + 1)
            hi = bisect.bisect_right(prefix, prefix[i] + count) - 2
            for j in range(lo, min(hi, n - 1) + 1):
                spent += starts[j + 1] - starts[i] + 64
                if spent > budget:
                    return lines[0]
                if _parses(text[starts[i]:starts[j + 1] - 1]):
                    return "\n".join(lines[i:j + 1])
    return lines[0]


_ORIGINAL_CODE_EXTRACT = None


def text_encodable(text: str) -> bool:
    """Whether ``text`` is valid Unicode (no lone surrogates): what a Python source file can hold."""
    try:
        text.encode("utf-8")
        return True
    except UnicodeEncodeError:
        return False


def sanitize(completion: str, entry_point: str) -> str:
    """``evalplus.sanitize.sanitize`` (tree-sitter: keep imports and the definitions the entry point reaches),
    with :func:`_code_extract_fast` in place of its cubic ``code_extract``. A completion that is not valid
    Unicode (a lone surrogate: no source file can hold it; upstream raises) sanitizes to "" and fails."""
    global _ORIGINAL_CODE_EXTRACT
    from evalplus import sanitize as mod

    if not text_encodable(completion):
        return ""
    if _ORIGINAL_CODE_EXTRACT is None:
        _ORIGINAL_CODE_EXTRACT = mod.code_extract
        mod.code_extract = _code_extract_fast
    return mod.sanitize(completion, entry_point)


def dataset_hash(items: Sequence[dict[str, Any]]) -> str:
    """A content key for evalplus' ground-truth cache (``evalplus.evaluate.get_groundtruth``)."""
    blob = json.dumps([[it["task_id"], it["prompt"], it["canonical_solution"], repr(it["base_input"]),
                        repr(it["plus_input"])] for it in items], sort_keys=True)
    return "fusechat-" + hashlib.md5(blob.encode()).hexdigest()


class EvalPlusTask(Task):
    """A FuseEval EvalPlus benchmark; subclasses name the dataset and its releases."""

    category = "code"
    scale = "percent"
    tables = FUSECHAT_TABLES
    decoding = Decoding(temperature=0.0, n=1, max_new_tokens=2048, stop=FUSEEVAL_STOP)
    max_model_len = 4096
    tolerance = 3.0

    dataset: ClassVar[str]  # evalplus' name: "humaneval" | "mbpp"
    release_repo: ClassVar[str]
    release_name: ClassVar[str]
    releases: ClassVar[dict[str, int]]  # release -> expected task count
    default_release: ClassVar[str]
    #: per release, the checksummed file: FuseEval's vendored copy where it ships one, else evalplus' asset
    release_files: ClassVar[dict[str, DataFile]]
    not_none_tasks: ClassVar[tuple[str, ...]] = ()

    def __init__(self, release: str | None = None, shown: Shown = "base",
                 min_time_limit: float = code_exec.EVALPLUS_MIN_TIME_LIMIT,
                 gt_time_limit_factor: float = code_exec.EVALPLUS_GT_TIME_LIMIT_FACTOR) -> None:
        self.release = release or self.default_release
        if self.release not in self.releases:
            raise ValueError(f"{self.id}: unknown release {self.release!r}; known: {', '.join(self.releases)}")
        if shown not in ("base", "plus"):
            raise ValueError(f"{self.id}: shown must be 'base' or 'plus', not {shown!r}")
        self.shown = shown
        self.min_time_limit = min_time_limit
        self.gt_time_limit_factor = gt_time_limit_factor
        self.metric = f"pass@1 ({shown} tests, greedy)"
        pin = self.release_files[self.release]
        where = "FuseEval's vendored copy" if FUSEEVAL_COMMIT in pin.url else "evalplus' release asset"
        self.data = DataSpec(None, expected_items=self.releases[self.release], licence=self.licence_note,
                             files=(pin,), note=f"EvalPlus {self.release_name} {self.release} ({where})")

    licence_note: ClassVar[str] = ""
    PARAMS: ClassVar[tuple[str, ...]] = ("release", "shown", "min_time_limit", "gt_time_limit_factor")

    def configured(self, options: dict[str, Any]) -> EvalPlusTask:
        """A copy with ``release`` / ``shown`` / time-limit options from the recipe entry applied."""
        params = {k: options[k] for k in self.PARAMS if k in options}
        if not params:
            return self
        current = {"release": self.release, "shown": self.shown, "min_time_limit": self.min_time_limit,
                   "gt_time_limit_factor": self.gt_time_limit_factor}
        return type(self)(**{**current, **params})

    # ------------------------------------------------------------------ data
    def problem(self, item: dict[str, Any]) -> dict[str, Any]:
        """The item as evalplus' loader returns it (``get_mbpp_plus`` deserialises MBPP+ inputs into tuples, sets
        and complex numbers); items stay JSON as released, so this runs at scoring time."""
        return item

    # ------------------------------------------------------------------ generation
    def prompt(self, item: dict[str, Any], family: Family) -> Prompt:
        return evalplus_prompt(item["prompt"], family)

    # ------------------------------------------------------------------ scoring
    def expected_outputs(self, items: Sequence[dict[str, Any]], ctx: ScoreContext) -> dict[str, dict[str, Any]]:
        """evalplus' expected outputs and reference times per task id (computed once, cached by evalplus)."""
        cache = ctx.resources.setdefault("evalplus_ground_truth", {})
        key = dataset_hash(items)
        if key not in cache:
            from evalplus.evaluate import get_groundtruth

            problems = {it["task_id"]: self.problem(it) for it in items}
            cache[key] = get_groundtruth(problems, key, list(self.not_none_tasks))
        return cache[key]

    def score(self, item: dict[str, Any], responses: Sequence[str], ctx: ScoreContext) -> ItemResult:
        return self.score_batch([item], [responses], ctx)[0]

    def score_batch(self, items: Sequence[dict[str, Any]], responses: Sequence[Sequence[str]],
                    ctx: ScoreContext) -> list[ItemResult]:
        """Sanitize every response and run its base and plus tests in the sandbox (one batch for all items)."""
        truth = self.expected_outputs(items, ctx)
        chains, where, solutions = [], [], []
        for i, (raw, resps) in enumerate(zip(items, responses, strict=True)):
            item = self.problem(raw)
            exp = truth[item["task_id"]]
            suites = {}
            for part in PARTS:
                limits = code_exec.evalplus_time_limits(exp[f"{part}_time"], self.min_time_limit,
                                                        self.gt_time_limit_factor)
                suites[part] = code_exec.evalplus_tests(self.dataset, item["entry_point"], item[f"{part}_input"],
                                                        exp[part], item["atol"], limits)
            sols = [sanitize(completion_text(r), item["entry_point"]) for r in resps]
            solutions.append(sols)
            for j, sol in enumerate(sols):
                chains.append([code_exec.evalplus_job(
                    self.dataset, sol, item["entry_point"], item[f"{part}_input"], exp[part], item["atol"],
                    exp[f"{part}_time"], self.min_time_limit, self.gt_time_limit_factor, tests=suites[part])
                    for part in PARTS])
                where.append((i, j))
        pool = code_exec.sandbox_pool(ctx.resources, **ctx.options.get("sandbox", {}))
        verdicts: list[list[dict[str, str]]] = [[{} for _ in r] for r in responses]
        for (i, j), ran in zip(where, code_exec.run_chains(pool, chains), strict=True):
            for part, res in zip(PARTS, ran, strict=False):
                verdicts[i][j][part] = res.status
                if not res.passed:
                    verdicts[i][j][f"{part}_detail"] = res.detail[-400:]
            if len(ran) < len(PARTS):  # the base tests failed: the plus tests were not run (see code_exec)
                verdicts[i][j]["plus"] = PLUS_SKIPPED
        out = []
        for sols, vs in zip(solutions, verdicts, strict=True):
            n = len(vs)
            base_c = sum(v["base"] == "passed" for v in vs)
            plus_c = sum(v["base"] == "passed" and v["plus"] == "passed" for v in vs)
            base_p = code_exec.pass_at_k(n, base_c, 1) if n else 0.0
            plus_p = code_exec.pass_at_k(n, plus_c, 1) if n else 0.0
            out.append(ItemResult(score=base_p if self.shown == "base" else plus_p, extracted=sols[0] if sols else None,
                                  detail={"base_pass@1": base_p, "plus_pass@1": plus_p, "shown": self.shown,
                                          "release": self.release, "verdicts": vs}))
        return out

    def summary(self, items: Sequence[dict[str, Any]], results: Sequence[ItemResult]) -> dict[str, Any]:
        """Both figures EvalPlus prints (base tests; base + plus tests), in percent, and which one is shown."""
        n = len(results) or 1
        return {"shown": self.shown, "release": self.release,
                "base_pass@1": 100.0 * sum(r.detail["base_pass@1"] for r in results) / n,
                "plus_pass@1": 100.0 * sum(r.detail["plus_pass@1"] for r in results) / n}

    def protocol(self) -> dict[str, Any]:
        proto = super().protocol()
        proto.update({"release": self.release, "shown": self.shown, "sanitizer": "evalplus.sanitize (0.3.1)",
                      "min_time_limit_s": self.min_time_limit, "gt_time_limit_factor": self.gt_time_limit_factor,
                      "task_time_cap_s": code_exec.EVALPLUS_TASK_CAP_S,
                      "memory_mb": code_exec.CODE_EVAL_LIMITS.memory_mb})
        return proto

    # ------------------------------------------------------------------ tiny world
    def synthetic(self, rng: random.Random, n: int) -> list[dict[str, Any]]:
        raise NotImplementedError
